import type { BehaviourRegistry } from '../core/behaviour.js';
import { ErrorCode, TesseraError } from '../core/errors.js';
import { WebRtcPeerConnector } from '../net/webrtc-peer-connector.js';
import { initPhysics } from '../sim/physics.js';
import { openWebSocketLink, type WebSocketConstructor } from '../net/websocket-link.js';
import { conditionedLink, realTimeScheduler } from '../net/conditioned-link.js';
import type { Link } from '../net/link.js';
import type { NetworkConditions } from '../net/memory-network.js';
import type { PeerConnector } from '../net/peer-connector.js';
import { WorldClient, type ReplicaMode, type TransportMode } from './world-client.js';
import type { SpeculationConfig } from '../replica/speculative-replicas.js';
import type { ReplicationConfig } from '../net/tile-authority.js';

/** Options of `joinWorld`. */
export interface JoinOptions {
  /** The relay's WebSocket URL, e.g. `ws://127.0.0.1:8787/`. */
  readonly relay: string;
  /** The world's name on that relay. */
  readonly world: string;
  readonly name?: string;
  /** A join token (needed when the relay runs with `--secret`). */
  readonly token?: string;
  /** `auto` (default): direct WebRTC paths, the relay for pairs that cannot connect; `webrtc`: direct only; `relay`: never direct. */
  readonly transport?: TransportMode;
  /** ICE servers for WebRTC; none by default (no STUN or TURN server is ever contacted unless you list one). */
  readonly iceServers?: RTCIceServer[];
  readonly registry?: BehaviourRegistry;
  /** How often owned tiles send deltas and keyframes (default: deltas at 20 Hz, keyframes every second). */
  readonly replication?: ReplicationConfig;
  /** How often the client steps, ms (default 4). */
  readonly updateEveryMs?: number;
  /** How long to wait for the relay's welcome, ms (default 10 000). */
  readonly timeoutMs?: number;
  /**
   * Simulated network trouble on everything this client sends (relay and peers): one-way delay
   * and jitter (ms) and loss of unreliable messages (0..1), seeded. For trying a game under
   * latency; off by default.
   */
  readonly conditions?: Partial<NetworkConditions> & { seed?: number };
  /** How other owners' tiles move between updates (default `speculative`). */
  readonly replicaMode?: ReplicaMode;
  /** Limits of speculative replicas (rewind depth, replay budget). */
  readonly speculation?: Partial<SpeculationConfig>;
  /** Test seams: another WebSocket or peer connector (e.g. for Node). */
  readonly webSocket?: WebSocketConstructor;
  readonly connector?: PeerConnector;
}

/** A joined world: the client, plus `leave()` which stops its timer and closes every connection. */
export interface WorldHandle {
  readonly client: WorldClient;
  leave(): void;
}

/**
 * Joins a world: connects to the relay, waits for its welcome, and keeps the client running
 * on a timer. Rejects with a clear error when the relay cannot be reached or refuses the join.
 */
export async function joinWorld(opts: JoinOptions): Promise<WorldHandle> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  await initPhysics(); // owned tiles and keyframes need Rapier
  const cond = opts.conditions;
  const scheduler = cond ? realTimeScheduler() : undefined;
  let linkSeed = cond?.seed ?? 1;
  const condition = (l: Link): Link => (cond && scheduler ? conditionedLink(l, cond, linkSeed++, scheduler) : l);
  const link = condition(await openWebSocketLink(opts.relay, opts.webSocket, timeoutMs));
  const transport = opts.transport ?? 'auto';
  const hasRtc = typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection === 'function';
  const rtc = opts.connector ?? (transport !== 'relay' && hasRtc ? new WebRtcPeerConnector(opts.iceServers ? { iceServers: opts.iceServers } : {}) : undefined);
  const connector: PeerConnector | undefined =
    rtc && cond
      ? {
          connect: (self, remote, initiator, sendSignal) => {
            const conn = rtc.connect(self, remote, initiator, sendSignal);
            let wrapped: Link | undefined;
            return {
              get link() {
                return (wrapped ??= condition(conn.link));
              },
              signal: (d) => conn.signal(d),
              get onOpen() {
                return conn.onOpen;
              },
              set onOpen(f) {
                conn.onOpen = f;
              },
              destroy: () => conn.destroy(),
            };
          },
        }
      : rtc;
  const client = new WorldClient({
    relay: link,
    world: opts.world,
    transport: connector ? transport : 'relay',
    now: () => performance.timeOrigin + performance.now(),
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    ...(opts.replicaMode !== undefined ? { replicaMode: opts.replicaMode } : {}),
    ...(opts.speculation !== undefined ? { speculation: opts.speculation } : {}),
    ...(connector ? { connector } : {}),
    ...(opts.registry ? { registry: opts.registry } : {}),
    ...(opts.replication ? { replication: opts.replication } : {}),
  });
  const timer = setInterval(() => client.update(), opts.updateEveryMs ?? 4);
  const handle: WorldHandle = {
    client,
    leave: () => {
      clearInterval(timer);
      client.close();
    },
  };
  await new Promise<void>((resolve, reject) => {
    const fail = (reason: string): void => {
      clearInterval(timer);
      client.close();
      reject(new TesseraError(ErrorCode.BadInput, `could not join world ${JSON.stringify(opts.world)} at ${opts.relay}: ${reason}`));
    };
    const t = setTimeout(() => fail(`no welcome within ${timeoutMs} ms`), timeoutMs);
    client.on('joined', () => {
      clearTimeout(t);
      resolve();
    });
    client.on('closed', (e) => {
      clearTimeout(t);
      if (!client.joined) fail(e.reason);
    });
    client.on('error', (e) => {
      if (!client.joined && e.reason.startsWith('relay:')) {
        clearTimeout(t);
        fail(e.reason);
      }
    });
  });
  return handle;
}
