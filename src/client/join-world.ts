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
import { WorldDocument } from '../authoring/world-document.js';
import { DocSync } from '../net/doc-sync.js';

/** Colours players get when they do not choose one. */
const PROFILE_COLOURS = ['#ff8c42', '#3fa7ff', '#c86bff', '#ffd23f', '#ff5d8f', '#4fd1c5', '#a3e635', '#f97316'];

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
  /** This player's colour in the world's profiles and presence, `#rrggbb` (default: one of a palette). */
  readonly color?: string;
  /** Test seams: another WebSocket or peer connector (e.g. for Node). */
  readonly webSocket?: WebSocketConstructor;
  readonly connector?: PeerConnector;
}

/** Where a joined world's connection stands. */
export type ConnectionStatus = 'connected' | 'reconnecting' | 'left';

/** A change of connection status: while reconnecting, the attempt number and the wait before it. */
export interface StatusEvent {
  readonly status: ConnectionStatus;
  readonly attempt: number;
  readonly retryInMs: number;
  readonly reason: string;
}

/**
 * A joined world. `client` is the current client: when the relay goes away (restarted, killed,
 * network cut), the handle reconnects on its own with back-off (0.25 s doubling to 4 s) and
 * `client` becomes a new, joined client; `on('status', …)` reports each step. `leave()` stops.
 */
export interface WorldHandle {
  readonly client: WorldClient;
  readonly status: ConnectionStatus;
  /**
   * The world's shared document: `world.layout` (place, move, configure, remove objects: the
   * edit mode) and `world.social` (profile, chat, who is online). It lives as long as the
   * handle, across reconnections; edits made while the relay is away are sent when it is back.
   */
  readonly world: WorldDocument;
  /** True when the relay has stored every edit this player made; `whenAcknowledged()` waits for it. */
  readonly acknowledged: boolean;
  whenAcknowledged(): Promise<void>;
  /** Why the last document message was refused (by the relay, or from a peer), if one was. */
  readonly docRefusal: string | undefined;
  on(event: 'status', listener: (e: StatusEvent) => void): () => void;
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
  const newClient = (relay: Link): WorldClient =>
    new WorldClient({
      relay,
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
  /** Runs a client until it is welcomed; rejects with the relay's reason or a timeout. */
  const joined = (client: WorldClient): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no welcome within ${timeoutMs} ms`)), timeoutMs);
      client.on('joined', () => {
        clearTimeout(t);
        resolve();
      });
      client.on('closed', (e) => {
        clearTimeout(t);
        if (!client.joined) reject(new Error(e.reason));
      });
      client.on('error', (e) => {
        if (!client.joined && e.reason.startsWith('relay:')) {
          clearTimeout(t);
          reject(new Error(e.reason));
        }
      });
    });

  let client = newClient(link);
  let world: WorldDocument | undefined;
  let sync: DocSync | undefined;
  let timer = setInterval(() => client.update(), opts.updateEveryMs ?? 4);
  let status: ConnectionStatus = 'connected';
  const listeners = new Set<(e: StatusEvent) => void>();
  const tell = (e: StatusEvent): void => {
    status = e.status;
    for (const l of listeners) l(e);
  };
  try {
    await joined(client);
  } catch (e) {
    clearInterval(timer);
    client.close();
    throw new TesseraError(ErrorCode.BadInput, `could not join world ${JSON.stringify(opts.world)} at ${opts.relay}: ${e instanceof Error ? e.message : String(e)}`);
  }
  world = new WorldDocument(client.worldConfig!.tileEdge);
  if (client.role !== 'creator') world.layout.readOnly = `this member joined as a ${client.role ?? 'player'} (only a creator's token allows layout edits)`;
  sync = new DocSync(world);
  world.social.setProfile({ name: (opts.name ?? '').trim().slice(0, 32) || `player ${client.peerId}`, color: opts.color ?? PROFILE_COLOURS[Math.abs(client.peerId - 1) % PROFILE_COLOURS.length]! });
  sync.attach(client);
  // The relay went away: try again and again, waiting longer each time (at most 4 s).
  const reconnect = async (reason: string): Promise<void> => {
    clearInterval(timer);
    const hasLeft = (): boolean => status === 'left';
    for (let attempt = 1; !hasLeft(); attempt++) {
      const wait = Math.min(4000, 250 * 2 ** (attempt - 1));
      tell({ status: 'reconnecting', attempt, retryInMs: wait, reason });
      await new Promise((r) => setTimeout(r, wait));
      if (hasLeft()) return;
      let next: WorldClient | undefined;
      try {
        next = newClient(condition(await openWebSocketLink(opts.relay, opts.webSocket, timeoutMs)));
        const t = setInterval(() => next!.update(), opts.updateEveryMs ?? 4);
        try {
          await joined(next);
        } catch (e) {
          clearInterval(t);
          throw e;
        }
        client = next;
        timer = t;
        watch(client);
        sync?.attach(client);
        tell({ status: 'connected', attempt, retryInMs: 0, reason: 'joined again' });
        return;
      } catch (e) {
        next?.close();
        reason = e instanceof Error ? e.message : String(e);
      }
    }
  };
  const watch = (c: WorldClient): void => {
    c.on('closed', (e) => {
      if (status === 'left' || c !== client) return;
      void reconnect(e.reason);
    });
  };
  watch(client);
  const handle: WorldHandle = {
    get client() {
      return client;
    },
    get status() {
      return status;
    },
    world,
    get acknowledged() {
      return sync!.acknowledged;
    },
    whenAcknowledged: () => sync!.whenAcknowledged(),
    get docRefusal() {
      return sync!.lastRefusal || undefined;
    },
    on: (_event, listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    leave: () => {
      status = 'left';
      clearInterval(timer);
      sync?.close();
      world?.destroy();
      client.close();
      for (const l of listeners) l({ status: 'left', attempt: 0, retryInMs: 0, reason: 'left by the application' });
    },
  };
  return handle;
}
