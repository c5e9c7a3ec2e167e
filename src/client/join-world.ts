import type { BehaviourRegistry } from '../core/behaviour.js';
import { ErrorCode, TesseraError } from '../core/errors.js';
import { WebRtcPeerConnector } from '../net/webrtc-peer-connector.js';
import { openWebSocketLink, type WebSocketConstructor } from '../net/websocket-link.js';
import type { SignatureCheck } from '../net/lease-verifier.js';
import { conditionedLink, realTimeScheduler } from '../net/conditioned-link.js';
import type { Link } from '../net/link.js';
import type { NetworkConditions } from '../net/memory-network.js';
import type { PeerConnector } from '../net/peer-connector.js';
import type { PlayerClient, ReplicaMode, TransportMode } from './player-client.js';
import { WorkerClient } from '../player-worker/worker-client.js';
import { RtcBridge } from '../player-worker/rtc-bridge.js';
import type { PageToWorker, SessionOptions, WorkerToPage } from '../player-worker/protocol.js';
import type { SpeculationConfig } from '../replica/speculative-replicas.js';
import type { ReplicationConfig } from '../net/tile-authority.js';
import { WorldDocument } from '../authoring/world-document.js';
import { DocSync } from '../net/doc-sync.js';

/** Colours players get when they do not choose one. */
const PROFILE_COLOURS = ['#ff8c42', '#3fa7ff', '#c86bff', '#ffd23f', '#ff5d8f', '#4fd1c5', '#a3e635', '#f1f5f9'];

/**
 * The kinds module's URL, absolute: a relative one is the page's (as a `<script src>` would be),
 * in the worker and on the page alike; imported as given, it would resolve against this library's module.
 */
function kindsModuleUrl(kinds: string | URL): string {
  const base = globalThis.location?.href;
  return base === undefined ? String(kinds) : new URL(String(kinds), base).href;
}

/** Options of `joinWorld`. */
export interface JoinOptions {
  /** The relay's WebSocket URL, e.g. `ws://127.0.0.1:8787/`. */
  readonly relay: string;
  /** The world's name on that relay. */
  readonly world: string;
  /** Display name in the roster and the world's profiles. */
  readonly name?: string;
  /** A join token (needed when the relay runs with `--secret`). */
  readonly token?: string;
  /** `auto` (default): direct WebRTC paths, the relay for pairs that cannot connect; `webrtc`: direct only; `relay`: never direct. */
  readonly transport?: TransportMode;
  /** ICE servers for WebRTC; none by default (no STUN or TURN server is ever contacted unless you list one). */
  readonly iceServers?: RTCIceServer[];
  /**
   * The world's kinds, for `simulation: 'main'` only (behaviours are functions and cannot be
   * posted to a worker: a worker loads them from `kinds`).
   */
  readonly registry?: BehaviourRegistry;
  /**
   * URL of a module defining the world's kinds, imported by the simulation (in the worker, or on
   * the page with `simulation: 'main'`): it exports, as `default` or `kinds`, a
   * `BehaviourRegistry` or a function returning one. Default: the standard kinds. A module that
   * fails to load, or lacks a kind the relay's world simulates, fails the join with a clear error.
   *
   * The URL is imported at run time, so it must be JavaScript a browser can import as it is, its
   * own imports (`tessera-engine`) resolved: with a bundler, build the kinds module as an entry of
   * its own with its exports kept, and point at the built file. Not
   * `new URL('./kinds.ts', import.meta.url)`: Vite's build copies that file as an asset,
   * uncompiled. With Vite (`vite` serves `src/kinds.ts` compiled; `vite build` writes `dist/kinds.js`):
   *
   * ```ts
   * // vite.config.ts
   * export default defineConfig({
   *   build: {
   *     rolldownOptions: {
   *       input: { index: 'index.html', kinds: 'src/kinds.ts' },
   *       preserveEntrySignatures: 'exports-only', // keep the kinds module's exports
   *       output: { entryFileNames: (c) => (c.name === 'kinds' ? 'kinds.js' : 'assets/[name]-[hash].js') },
   *     },
   *   },
   * });
   * // src/main.ts
   * const kinds = new URL(import.meta.env.DEV ? 'src/kinds.ts' : 'kinds.js', new URL(import.meta.env.BASE_URL, location.href));
   * ```
   *
   * The repository's `examples/starter` does exactly this (`docs/getting-started.md`, "Your own app").
   */
  readonly kinds?: string | URL;
  /**
   * Where the player's simulation runs: `worker` — the relay connection, owned tiles and replicas
   * in a Web Worker, the page keeping only drawing and WebRTC (the default wherever `Worker`
   * exists) — or `main`, on the calling thread (the default in Node, and whenever a `registry`,
   * `verifySignature`, `webSocket` or `connector` is given: functions cannot be posted to a worker).
   */
  readonly simulation?: 'worker' | 'main';
  /** Starts the player worker (default: the library's `workers/player.worker.js`); for bundlers that need it spelled out. */
  readonly createWorker?: () => Worker;
  /** How many times the first join is tried (back-off 0.25 s doubling to 4 s) before giving up (default 6); refusals are not retried. */
  readonly joinAttempts?: number;
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
  readonly conditions?: Partial<NetworkConditions> & {
    /** Seed of the simulated jitter and loss (default 1). */
    seed?: number;
  };
  /** How other owners' tiles move between updates (default `speculative`). */
  readonly replicaMode?: ReplicaMode;
  /** Limits of speculative replicas (rewind depth, replay budget). */
  readonly speculation?: Partial<SpeculationConfig>;
  /** This player's colour in the world's profiles and presence, `#rrggbb` (default: one of a palette). */
  readonly color?: string;
  /** How lease signatures are checked on this thread (default @noble/ed25519; Node may pass a faster `node:crypto` one). */
  readonly verifySignature?: SignatureCheck;
  /** Test seams: another WebSocket or peer connector (e.g. for Node). */
  readonly webSocket?: WebSocketConstructor;
  /** Test seam: makes the direct peer connections instead of the browser's WebRTC (`simulation: 'main'` only). */
  readonly connector?: PeerConnector;
}

/** Where a joined world's connection stands. */
export type ConnectionStatus = 'connected' | 'reconnecting' | 'left';

/** A change of connection status: while reconnecting, the attempt number and the wait before it. */
export interface StatusEvent {
  /** The new status. */
  readonly status: ConnectionStatus;
  /** Reconnection attempt number, from 1 (0 when leaving). */
  readonly attempt: number;
  /** Wait before that attempt, ms (0 once connected or left). */
  readonly retryInMs: number;
  /** Why the status changed (the lost connection's reason, `joined again`, …). */
  readonly reason: string;
}

/**
 * A joined world. `client` is the current client: when the relay goes away (restarted, killed,
 * network cut), the handle reconnects on its own with back-off (0.25 s doubling to 4 s) and
 * `client` becomes a new, joined client; `on('status', …)` reports each step. `leave()` stops.
 */
export interface WorldHandle {
  /** The current client; replaced by a new, joined one after each reconnection. */
  readonly client: PlayerClient;
  /** Where the connection stands now. */
  readonly status: ConnectionStatus;
  /**
   * The world's shared document: `world.layout` (place, move, configure, remove objects: the
   * edit mode) and `world.social` (profile, chat, who is online). It lives as long as the
   * handle, across reconnections; edits made while the relay is away are sent when it is back.
   */
  readonly world: WorldDocument;
  /** True when the relay has stored every edit this player made; `whenAcknowledged()` waits for it. */
  readonly acknowledged: boolean;
  /** Resolves once the relay has stored every document edit made so far (`acknowledged` is true). */
  whenAcknowledged(): Promise<void>;
  /** Why the last document message was refused (by the relay, or from a peer), if one was. */
  readonly docRefusal: string | undefined;
  /** Where the simulation runs: `worker` or `main`. */
  readonly simulation: 'worker' | 'main';
  /** Subscribes to connection status changes; returns the function that unsubscribes. */
  on(event: 'status', listener: (e: StatusEvent) => void): () => void;
  /** Leaves the world: stops reconnecting, closes the client and the document sync; status becomes `left`. */
  leave(): void;
}

/** Makes clients of one joined world, each a fresh connection to the relay. */
interface ClientOpener {
  open(): Promise<PlayerClient>;
  dispose(): void;
}

/** A join attempt's failure; `final` when trying again cannot help (the relay refused, the kinds are wrong). */
class JoinFailure extends Error {
  constructor(
    message: string,
    readonly final: boolean,
  ) {
    super(message);
  }
}

const isFinalReason = (reason: string): boolean => reason.startsWith('relay:') || reason.startsWith('kinds module');

/** Waits until a client is welcomed; rejects with the relay's reason, the client's, or a timeout. */
function whenJoined(client: PlayerClient, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new JoinFailure(`no welcome within ${timeoutMs} ms`, false)), timeoutMs);
    client.on('joined', () => {
      clearTimeout(t);
      resolve();
    });
    client.on('closed', (e) => {
      clearTimeout(t);
      if (!client.joined) reject(new JoinFailure(e.reason, isFinalReason(e.reason)));
    });
    client.on('error', (e) => {
      if (!client.joined && isFinalReason(e.reason)) {
        clearTimeout(t);
        reject(new JoinFailure(e.reason, true));
      }
    });
  });
}

function chooseSimulation(opts: JoinOptions): 'worker' | 'main' {
  if (opts.simulation === 'worker') {
    if (opts.registry) throw new TesseraError(ErrorCode.BadInput, 'joinWorld: a `registry` holds functions and cannot be posted to the player worker: pass `kinds` (a module URL) instead, or `simulation: \'main\'`');
    if (typeof Worker !== 'function') throw new TesseraError(ErrorCode.BadInput, 'joinWorld: `simulation: \'worker\'` needs Web Workers, which this runtime lacks');
    return 'worker';
  }
  if (opts.simulation === 'main') return 'main';
  // A browser runs the player in a Web Worker unless the caller hands over what only this thread
  // can hold: functions (a registry, a signature check) or test seams (a WebSocket, a connector).
  const canPost = !opts.registry && !opts.verifySignature && !opts.webSocket && !opts.connector;
  return typeof Worker === 'function' && canPost ? 'worker' : 'main';
}

/**
 * Joins a world: connects to the relay, waits for its welcome, and keeps the client running —
 * in a Web Worker where the runtime has one (`simulation`), else on this thread. A first join that times out is tried
 * again like a reconnection (`joinAttempts`); rejects with a clear error when the relay cannot be
 * reached, refuses the join, or the world's kinds do not match.
 */
export async function joinWorld(opts: JoinOptions): Promise<WorldHandle> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const simulation = chooseSimulation(opts);
  const cond = opts.conditions;
  const scheduler = cond ? realTimeScheduler() : undefined;
  let linkSeed = cond?.seed ?? 1;
  const condition = (l: Link): Link => (cond && scheduler ? conditionedLink(l, cond, linkSeed++, scheduler) : l);
  const transport = opts.transport ?? 'auto';
  const hasRtc = typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection === 'function';
  const rtc = opts.connector ?? (transport !== 'relay' && hasRtc ? new WebRtcPeerConnector(opts.iceServers ? { iceServers: opts.iceServers } : {}) : undefined);
  const opener = simulation === 'worker' ? workerOpener(opts, rtc, condition, timeoutMs) : await mainOpener(opts, rtc, condition, timeoutMs);

  /** One attempt: a fresh client, welcomed, or closed and rejected. */
  const attempt = async (): Promise<PlayerClient> => {
    let c: PlayerClient | undefined;
    try {
      c = await opener.open();
      await whenJoined(c, timeoutMs);
      return c;
    } catch (e) {
      c?.close();
      // A relay that could not be reached (busy, restarting) may answer the next attempt; any other error is final.
      throw e instanceof JoinFailure ? e : new JoinFailure(e instanceof Error ? e.message : String(e), e instanceof TesseraError && e.code !== ErrorCode.Unreachable);
    }
  };
  const attempts = Math.max(1, opts.joinAttempts ?? 6);
  let client: PlayerClient | undefined;
  const reasons: string[] = [];
  for (let i = 1; i <= attempts && !client; i++) {
    try {
      client = await attempt();
    } catch (e) {
      const f = e as JoinFailure;
      reasons.push(f.message);
      if (f.final || i === attempts) {
        opener.dispose();
        throw new TesseraError(ErrorCode.BadInput, `could not join world ${JSON.stringify(opts.world)} at ${opts.relay}${reasons.length > 1 ? ` (${reasons.length} attempts)` : ''}: ${reasons.join('; ')}`);
      }
      await new Promise((r) => setTimeout(r, Math.min(4000, 250 * 2 ** (i - 1))));
    }
  }
  let current = client!;
  let status: ConnectionStatus = 'connected';
  const listeners = new Set<(e: StatusEvent) => void>();
  const tell = (e: StatusEvent): void => {
    status = e.status;
    for (const l of listeners) l(e);
  };
  const world = new WorldDocument(current.worldConfig!.tileEdge);
  if (current.role !== 'creator') world.layout.readOnly = `this member joined as a ${current.role ?? 'player'} (only a creator's token allows layout edits)`;
  const sync = new DocSync(world);
  world.social.setProfile({ name: (opts.name ?? '').trim().slice(0, 32) || `player ${current.peerId}`, color: opts.color ?? PROFILE_COLOURS[Math.abs(current.peerId - 1) % PROFILE_COLOURS.length]! });
  sync.attach(current);
  // The relay went away: try again and again, waiting longer each time (at most 4 s).
  const reconnect = async (reason: string): Promise<void> => {
    const hasLeft = (): boolean => status === 'left';
    for (let n = 1; !hasLeft(); n++) {
      const wait = Math.min(4000, 250 * 2 ** (n - 1));
      tell({ status: 'reconnecting', attempt: n, retryInMs: wait, reason });
      await new Promise((r) => setTimeout(r, wait));
      if (hasLeft()) return;
      try {
        const next = await attempt();
        if (hasLeft()) return next.close();
        current = next;
        watch(current);
        sync.attach(current);
        tell({ status: 'connected', attempt: n, retryInMs: 0, reason: 'joined again' });
        return;
      } catch (e) {
        reason = e instanceof Error ? e.message : String(e);
      }
    }
  };
  const watch = (c: PlayerClient): void => {
    c.on('closed', (e) => {
      if (status === 'left' || c !== current) return;
      void reconnect(e.reason);
    });
  };
  watch(current);
  return {
    get client() {
      return current;
    },
    get status() {
      return status;
    },
    world,
    simulation,
    get acknowledged() {
      return sync.acknowledged;
    },
    whenAcknowledged: () => sync.whenAcknowledged(),
    get docRefusal() {
      return sync.lastRefusal || undefined;
    },
    on: (_event, listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    leave: () => {
      status = 'left';
      sync.close();
      world.destroy();
      current.close();
      opener.dispose();
      for (const l of listeners) l({ status: 'left', attempt: 0, retryInMs: 0, reason: 'left by the application' });
    },
  };
}

/** Clients on the calling thread, each stepped by its own timer. */
async function mainOpener(opts: JoinOptions, rtc: PeerConnector | undefined, condition: (l: Link) => Link, timeoutMs: number): Promise<ClientOpener> {
  // Imported here, not at the top: the simulation (Rapier's WebAssembly, several MB) stays out of
  // a bundled page that only runs `simulation: 'worker'`, where the worker has its own copy.
  const [{ initPhysics }, { WorldClient }, { standardKinds }, { loadKindsModule }] = await Promise.all([import('../sim/physics.js'), import('./world-client.js'), import('../kinds/standard-kinds.js'), import('./kinds-module.js')]);
  await initPhysics(); // owned tiles and keyframes need Rapier
  const registry = opts.registry ?? (opts.kinds ? await loadKindsModule(kindsModuleUrl(opts.kinds)) : standardKinds());
  const transport = opts.transport ?? 'auto';
  const connector: PeerConnector | undefined = rtc && opts.conditions ? conditionedConnector(rtc, condition) : rtc;
  return {
    open: async () => {
      const link = condition(await openWebSocketLink(opts.relay, opts.webSocket, timeoutMs));
      const client = new WorldClient({
        relay: link,
        world: opts.world,
        transport: connector ? transport : 'relay',
        now: () => performance.timeOrigin + performance.now(),
        registry,
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.token !== undefined ? { token: opts.token } : {}),
        ...(opts.replicaMode !== undefined ? { replicaMode: opts.replicaMode } : {}),
        ...(opts.speculation !== undefined ? { speculation: opts.speculation } : {}),
        ...(connector ? { connector } : {}),
        ...(opts.replication ? { replication: opts.replication } : {}),
        ...(opts.verifySignature ? { verifySignature: opts.verifySignature } : {}),
      });
      const timer = setInterval(() => client.update(), opts.updateEveryMs ?? 4);
      client.on('closed', () => clearInterval(timer));
      return client;
    },
    dispose: () => {},
  };
}

/** Clients in one Web Worker (one session per connection); the page bridges WebRTC for it. */
function workerOpener(opts: JoinOptions, rtc: PeerConnector | undefined, condition: (l: Link) => Link, timeoutMs: number): ClientOpener {
  const worker = opts.createWorker?.() ?? new Worker(new URL('../../workers/player.worker.js', import.meta.url), { type: 'module', name: 'tessera-player' });
  const post = (m: PageToWorker, transfer?: Transferable[]): void => worker.postMessage(m, transfer ?? []);
  const bridge = rtc ? new RtcBridge(rtc, post, opts.conditions ? condition : undefined) : undefined;
  const sessions = new Map<number, WorkerClient>();
  let nextSession = 1;
  worker.onmessage = (ev: MessageEvent<WorkerToPage>) => {
    const m = ev.data;
    if (m.t === 'event' || m.t === 'frame') sessions.get(m.session)?.onWorker(m);
    else bridge?.onWorker(m);
  };
  worker.onerror = (ev: ErrorEvent) => {
    const reason = `kinds module or player worker failed: ${ev.message || 'the worker script did not load'}`;
    for (const [session, c] of sessions) {
      // An error thrown while the worker runs leaves the worker (and its sessions) running: end the
      // session there too, or it stays in the world as a second player beside the reconnected one.
      post({ t: 'close', session });
      c.onWorker({ t: 'event', session, name: 'closed', e: { reason } });
    }
  };
  const options: SessionOptions = {
    relay: opts.relay,
    world: opts.world,
    transport: opts.transport ?? 'auto',
    timeoutMs,
    updateEveryMs: opts.updateEveryMs ?? 4,
    frameEveryMs: 16,
    rtc: bridge !== undefined,
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    ...(opts.replicaMode !== undefined ? { replicaMode: opts.replicaMode } : {}),
    ...(opts.speculation !== undefined ? { speculation: opts.speculation } : {}),
    ...(opts.replication ? { replication: opts.replication } : {}),
    ...(opts.conditions ? { conditions: opts.conditions } : {}),
    ...(opts.kinds !== undefined ? { kinds: kindsModuleUrl(opts.kinds) } : {}),
  };
  return {
    open: () => {
      const session = nextSession++;
      const c = new WorkerClient(session, post, { ...options, ...(opts.conditions ? { conditions: { ...opts.conditions, seed: (opts.conditions.seed ?? 1) + session * 101 } } : {}) }, () => performance.timeOrigin + performance.now());
      sessions.set(session, c);
      c.on('closed', () => sessions.delete(session));
      return Promise.resolve(c);
    },
    dispose: () => {
      bridge?.closeAll();
      worker.terminate();
    },
  };
}

/** A connector whose direct links carry simulated network trouble. */
function conditionedConnector(rtc: PeerConnector, condition: (l: Link) => Link): PeerConnector {
  return {
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
  };
}
