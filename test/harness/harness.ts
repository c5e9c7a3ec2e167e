// The seeded in-memory harness: N real clients and the real relay logic in one process, over
// a network whose delays, order and losses come from one seed. A failing run prints its seed
// and replays exactly from it (HARNESS_SEED=<seed> npx vitest run <file>).
import {
  MemoryNetwork,
  MemoryPeerConnector,
  standardKinds,
  VirtualScheduler,
  WorldClient,
  type NetworkConditions,
  type Link,
  type PeerId,
  type ReplicaMode,
  type SceneDesc,
  type TransportMode,
} from '../../src/index.js';
import { ed25519Signer } from '../../relay/lease-signer.js';
import { nodeEd25519Check } from '../../src/bot/node-signature-check.js';
import { RelayCore, type RelayCoreOptions } from '../../relay/relay-core.js';
import type { TileCheckpoint } from '../../relay/store/world-store.js';
import { SCENES } from '../../relay/server.js';

export interface HarnessOptions {
  readonly seed: number;
  readonly scene?: SceneDesc;
  readonly conditions?: Partial<NetworkConditions>;
  /** Pairs that can never connect directly (their traffic must take the relay path). */
  readonly blocked?: (a: PeerId, b: PeerId) => boolean;
  readonly relay?: Partial<RelayCoreOptions>;
  /** How clients show other owners' tiles (default: the client's default, speculative). */
  readonly replicaMode?: ReplicaMode;
  /**
   * Keep a store as the relay server does: tile checkpoints every this many ms of virtual time
   * (the server's default is 2000) and every document update before it is acknowledged, so
   * `restartRelay()` can bring the world back from it. Off by default.
   */
  readonly saveEveryMs?: number;
}

export interface HarnessClient {
  readonly client: WorldClient;
  readonly name: string;
  /** Cuts the client off as a crash would (no goodbye). */
  crash(): void;
  /** Extra one-way delay of this player's access link, ms (to the relay, and added on direct paths). */
  readonly accessDelayMs?: number;
  /**
   * Freezes the player for `ms` (a tab in the background, a stalled main thread): it neither
   * steps nor reads the relay's messages, which wait on its open connection until it thaws.
   */
  freeze?(ms: number): void;
  /**
   * Cuts the player's connection to the relay for `ms`, both ways, with the socket open (a
   * network partition): the player keeps simulating; what either side sends waits, as TCP would
   * hold it, and arrives when the partition heals.
   */
  partition?(ms: number): void;
  /** Makes the player slow for `ms`: it steps only every `everyMs` (a simulation step that takes several ticks of wall time). */
  slow?(ms: number, everyMs: number): void;
}

/** After a partition heals, how long a player's sends to the relay stay ordered behind what waited, ms (longer than any delay and jitter the tests use). */
const PARTITION_ORDERED_MS = 500;

/** One seeded world: relay, network, clients, all on a virtual clock. */
export class Harness {
  readonly scheduler = new VirtualScheduler();
  readonly net: MemoryNetwork;
  /** The relay now (a new one after `restartRelay()`). */
  relay: RelayCore;
  readonly clients: HarnessClient[] = [];
  /** What the store holds (with `saveEveryMs`): the last checkpoint cut, and every stored document update. */
  readonly store: { tiles: TileCheckpoint[]; applied: Record<string, string>; updates: Uint8Array[]; savedAt: number } = { tiles: [], applied: {}, updates: [], savedAt: -Infinity };
  /** Until when the direct path between two peers is cut (key `a-b`, a < b). */
  private readonly peerCuts = new Map<string, number>();
  readonly logs: Record<string, unknown>[] = [];
  private readonly connector: MemoryPeerConnector;
  /** Players frozen now (`HarnessClient.freeze`). */
  private readonly frozen = new Set<WorldClient>();
  /** Players running slow now (`HarnessClient.slow`): they step only every `everyMs`. */
  private readonly slowUntil = new Map<WorldClient, { until: number; everyMs: number; last: number }>();
  /** Until when the relay process is stalled (`stallRelay`), and what players sent it meanwhile. */
  private relayStalledUntil = -1;
  /** Until when the relay's simulation lags (`lagRelay`), how fast it steps meanwhile, and the ticks it may step now. */
  private relayLag = { until: -1, ticksPerSecond: 60, allowance: 0 };
  private readonly relayHeld: (() => void)[] = [];

  constructor(readonly opts: HarnessOptions) {
    this.net = new MemoryNetwork(opts.seed, this.scheduler, opts.conditions);
    this.connector = new MemoryPeerConnector(
      this.net,
      opts.blocked,
      (peer) => this.clients.find((c) => c.client.peerId === peer)?.accessDelayMs ?? 0,
      (a, b) => this.peerCuts.get(a < b ? `${a}-${b}` : `${b}-${a}`) ?? -1,
    );
    this.relay = this.newRelay({});
  }

  private newRelay(restored: Partial<RelayCoreOptions>): RelayCore {
    return new RelayCore({
      world: 'test',
      scene: this.opts.scene ?? SCENES['demo']!(),
      registry: standardKinds(),
      now: () => this.scheduler.now(),
      signer: ed25519Signer(),
      log: (e) => this.logs.push(e),
      checkToken: () => undefined,
      ...(this.opts.saveEveryMs !== undefined ? { persistDocUpdate: (u: Uint8Array) => this.store.updates.push(u.slice()) } : {}),
      ...this.opts.relay,
      ...restored,
    });
  }

  /** Saves a checkpoint cut of the world, as the relay server does every `saveEveryMs`. */
  save(): void {
    this.store.tiles = this.relay.checkpoints();
    this.store.applied = this.relay.doc.appliedObjects();
    this.store.savedAt = this.scheduler.now();
  }

  /**
   * The relay process dies (kill -9: no last save) and a new one starts from the store: every
   * player's connection closes, and the players must join again (`addClient`). Returns the
   * clients that were cut off (they are no longer stepped).
   */
  restartRelay(): HarnessClient[] {
    if (this.opts.saveEveryMs === undefined) throw new Error('restartRelay needs a store: pass saveEveryMs');
    const cut = this.clients.splice(0);
    this.relay.close();
    this.relay = this.newRelay({
      ...(this.store.tiles.length > 0 ? { initialTiles: this.store.tiles } : {}),
      document: { updates: [...this.store.updates], applied: { ...this.store.applied } },
    });
    this.frozen.clear();
    this.slowUntil.clear();
    this.relayLag.until = -1;
    return cut;
  }

  /**
   * Partitions the direct path between two peers for `ms` (both ways; the relay path stays up):
   * what they send each other unreliably is lost, reliable messages arrive after it heals.
   */
  cutPeers(a: PeerId, b: PeerId, ms: number): void {
    const key = a < b ? `${a}-${b}` : `${b}-${a}`;
    this.peerCuts.set(key, Math.max(this.peerCuts.get(key) ?? -1, this.scheduler.now() + ms));
  }

  /** True while the relay process is stalled (`stallRelay`). */
  relayStalled(): boolean {
    return this.scheduler.now() < this.relayStalledUntil;
  }

  /**
   * The relay process stalls for `ms` (a long handler or step, a busy machine): it neither ticks
   * nor reads; what players send waits on its sockets. When it resumes, its timer runs once
   * before it reads them (Node runs due timers before polling sockets): the worst order for
   * anything it judges by time.
   */
  stallRelay(ms: number): void {
    this.relayStalledUntil = Math.max(this.relayStalledUntil, this.scheduler.now() + ms);
  }

  /**
   * The relay's own simulation runs behind for `ms` (an overloaded machine: its event loop
   * still reads, signals and leases, but its tiles step only `ticksPerSecond` ticks a second
   * instead of 60), then catches up at its usual pace.
   */
  lagRelay(ms: number, ticksPerSecond: number): void {
    this.relayLag = { until: Math.max(this.relayLag.until, this.scheduler.now() + ms), ticksPerSecond, allowance: 0 };
  }

  /** Hands the relay the end of a new connection; while the relay stalls, what arrives on it waits. */
  connectToRelay(relayEnd: Link): void {
    this.relay.connect(relayEnd);
    const relayReads = relayEnd.onMessage;
    relayEnd.onMessage = (b) => {
      if (this.scheduler.now() < this.relayStalledUntil || this.relayHeld.length > 0) this.relayHeld.push(() => relayReads?.(b));
      else relayReads?.(b);
    };
  }

  /** Adds a player; it joins over the network (`accessDelayMs`: its link's extra one-way delay). */
  addClient(name: string, transport: TransportMode = 'auto', extra: { accessDelayMs?: number; replicaMode?: ReplicaMode; token?: string } = {}): HarnessClient {
    const accessDelayMs = extra.accessDelayMs ?? 0;
    const [clientEnd, relayEnd] = this.net.pair(accessDelayMs);
    this.connectToRelay(relayEnd);
    const replicaMode = extra.replicaMode ?? this.opts.replicaMode;
    const client = new WorldClient({ relay: clientEnd, world: 'test', name, transport, connector: this.connector, now: () => this.scheduler.now(), verifySignature: nodeEd25519Check, ...(replicaMode ? { replicaMode } : {}), ...(extra.token !== undefined ? { token: extra.token } : {}) });
    // A frozen player reads nothing: the relay's messages wait on the connection until it thaws.
    const deliver = clientEnd.onMessage;
    const held: Uint8Array[] = [];
    clientEnd.onMessage = (b) => (this.frozen.has(client) ? held.push(b) : deliver?.(b));
    const freeze = (ms: number): void => {
      this.frozen.add(client);
      this.scheduler.at(this.scheduler.now() + ms, () => {
        this.frozen.delete(client);
        for (const b of held.splice(0)) deliver?.(b);
      });
    };
    // A partition holds both directions of the relay link until it heals.
    let cutUntil = -1;
    const heldOut: { bytes: Uint8Array; reliable: boolean }[] = [];
    const heldIn: Uint8Array[] = [];
    const send = clientEnd.send.bind(clientEnd);
    // The relay link is one socket (TCP): nothing sent after a partition heals may overtake what
    // waited (an unreliable send would, by its own jitter, and the relay takes a player's newest
    // stamp as proof that everything stamped before it has arrived). Ordered for a while after healing.
    let orderedUntil = -1;
    clientEnd.send = (bytes, reliable) => {
      const now = this.scheduler.now();
      if (now < cutUntil) heldOut.push({ bytes: bytes.slice(), reliable });
      else send(bytes, reliable || now < orderedUntil);
    };
    const receive = clientEnd.onMessage;
    clientEnd.onMessage = (b) => (this.scheduler.now() < cutUntil ? heldIn.push(b) : receive?.(b));
    const partition = (ms: number): void => {
      cutUntil = Math.max(cutUntil, this.scheduler.now() + ms);
      this.scheduler.at(cutUntil, () => {
        if (this.scheduler.now() < cutUntil) return;
        // The socket held them: they arrive in order, as TCP delivers what waited.
        for (const m of heldOut.splice(0)) send(m.bytes, true);
        orderedUntil = this.scheduler.now() + PARTITION_ORDERED_MS;
        for (const b of heldIn.splice(0)) receive?.(b);
      });
    };
    const slow = (ms: number, everyMs: number): void => {
      this.slowUntil.set(client, { until: this.scheduler.now() + ms, everyMs, last: this.scheduler.now() });
    };
    const h: HarnessClient = { client, name, crash: () => relayEnd.close(), accessDelayMs, freeze, partition, slow };
    this.clients.push(h);
    return h;
  }

  /** Runs the world for `ms` of virtual time, in steps of `stepMs`. */
  run(ms: number, stepMs = 4): void {
    const end = this.scheduler.now() + ms;
    while (this.scheduler.now() < end) {
      const dt = Math.min(stepMs, end - this.scheduler.now());
      this.scheduler.advance(dt);
      if (this.scheduler.now() >= this.relayStalledUntil) {
        if (this.scheduler.now() < this.relayLag.until) {
          this.relayLag.allowance += (dt * this.relayLag.ticksPerSecond) / 1000;
          const ticks = Math.floor(this.relayLag.allowance);
          this.relayLag.allowance -= ticks;
          this.relay.tick(ticks);
        } else this.relay.tick();
        for (const read of this.relayHeld.splice(0)) read();
      }
      const now = this.scheduler.now();
      if (this.opts.saveEveryMs !== undefined && now - this.store.savedAt >= this.opts.saveEveryMs) this.save();
      for (const c of this.clients) {
        if (this.frozen.has(c.client)) continue;
        const s = this.slowUntil.get(c.client);
        if (s && now < s.until) {
          if (now - s.last < s.everyMs) continue;
          s.last = now;
        } else if (s) this.slowUntil.delete(c.client);
        c.client.update();
      }
    }
  }

  /** Runs until `done()` holds (checked every step) or `maxMs` passes; returns the virtual ms it took, or -1. */
  runUntil(done: () => boolean, maxMs: number, stepMs = 4): number {
    const start = this.scheduler.now();
    while (this.scheduler.now() - start < maxMs) {
      if (done()) return this.scheduler.now() - start;
      this.run(stepMs, stepMs);
    }
    return done() ? this.scheduler.now() - start : -1;
  }
}

/** Runs `body` with a seed and, if it fails, says which seed replays the failure. */
export async function withSeed<T>(seed: number, body: (seed: number) => T | Promise<T>): Promise<T> {
  try {
    return await body(seed);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    err.message = `[harness seed ${seed} — replay with HARNESS_SEED=${seed}] ${err.message}`;
    throw err;
  }
}

/** Seeds to run: HARNESS_SEED replays one; otherwise `count` seeds from `base`. */
export function seeds(count: number, base = 1): number[] {
  const one = process.env['HARNESS_SEED'];
  if (one) return [Number(one)];
  return Array.from({ length: count }, (_, i) => base + i);
}
