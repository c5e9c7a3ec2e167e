// A Node player with no browser: joins through the public `joinWorld` over a WebSocket, owns and
// simulates the tiles the relay leases it, answers audits and handoffs like a browser, and walks
// its avatar by a seeded pattern. What the load test runs by the hundred.
import WebSocket from 'ws';
import type { ReplicaMode } from '../client/player-client.js';
import { joinWorld, type WorldHandle } from '../client/join-world.js';
import type { WebSocketConstructor } from '../net/websocket-link.js';
import type { Vec3 } from '../core/vec.js';
import { BotSteering, type BotPattern } from './bot-pattern.js';
import { nodeEd25519Check } from './node-signature-check.js';

/** Options of `joinBot`. */
export interface BotOptions {
  /** The relay's WebSocket URL, e.g. `ws://127.0.0.1:8787/`. */
  readonly relay: string;
  /** Name of the world to join. */
  readonly world: string;
  /** Roster name (default `bot-<seed>`). */
  readonly name?: string;
  /** A join token (relays run with `--secret`). */
  readonly token?: string;
  /** How it walks (default `wander`). */
  readonly pattern?: BotPattern;
  /** Seed of its walk (default 1): the same seed walks the same way. */
  readonly seed?: number;
  /**
   * How it shows other owners' tiles. `extrapolated` (the default for bots) runs no replica
   * physics at all: updates are decoded into positions and extrapolated, and the bot simulates
   * only the tiles it owns, which is what lets one machine run hundreds. `speculative` runs
   * replicas as a browser does (a Rapier world per watched tile).
   */
  readonly replicaMode?: ReplicaMode;
  /** The world's kinds module (as `joinWorld`'s `kinds`); default the standard kinds. */
  readonly kinds?: string | URL;
  /** How often it picks a new move, ms (default 1000). */
  readonly steerEveryMs?: number;
  /** How often its client steps its own tiles and reads the network, ms (default 16). */
  readonly updateEveryMs?: number;
  /** How long to wait for the relay's welcome per try, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** How many times to try joining before rejecting (default 6). */
  readonly joinAttempts?: number;
}

/** What a bot has seen since it joined (counts) and since the last `drainAges` (ages). */
export interface BotStats {
  /** The bot's roster name. */
  readonly name: string;
  /** True while the relay has it joined. */
  readonly joined: boolean;
  /** Its peer id (−1 before joining). */
  readonly peer: number;
  /** State updates (deltas) it applied. */
  readonly updates: number;
  /** Bytes per second up and down, over the last second. */
  readonly bytesUpPerS: number;
  /** Bytes received per second, over the last second. */
  readonly bytesDownPerS: number;
  /** Errors its client reported (refusals, bad messages), and times it had to reconnect. */
  readonly errors: number;
  /** The errors by kind (numbers taken out), most frequent first: what went wrong, at a glance. */
  readonly errorKinds: readonly {
    /** The error's reason with numbers replaced, so alike errors group together. */
    readonly reason: string;
    /** How many errors had that reason. */
    readonly count: number;
  }[];
  /** Times it lost the relay and joined again. */
  readonly reconnects: number;
  /** Number of tiles it leases and simulates now. */
  readonly ownedTiles: number;
  /** Other players' avatars it can see now. */
  readonly avatarsSeen: number;
}

/** A joined bot. */
export interface Bot {
  /** The `joinWorld` handle the bot drives (its client, status, events). */
  readonly handle: WorldHandle;
  /** Counters since it joined, read now. */
  stats(): BotStats;
  /**
   * Ages of the updates applied since the last call, ms: how long after its tick on the shared
   * timeline each state reached this bot (owner's step, relay hop, delivery). Emptied by the call.
   */
  drainAges(): number[];
  /** Leaves the world. */
  close(): void;
}

/**
 * Joins a world as a bot; resolves once the relay welcomed it. Rejects like `joinWorld` (relay
 * unreachable, join refused, kinds missing). Node only (it opens the relay's WebSocket with `ws`).
 */
export async function joinBot(opts: BotOptions): Promise<Bot> {
  const name = opts.name ?? `bot-${opts.seed ?? 1}`;
  const replicaMode = opts.replicaMode ?? 'extrapolated';
  const handle = await joinWorld({
    relay: opts.relay,
    world: opts.world,
    name,
    simulation: 'main',
    transport: 'relay',
    replicaMode,
    updateEveryMs: opts.updateEveryMs ?? 16,
    webSocket: WebSocket as unknown as WebSocketConstructor,
    verifySignature: nodeEd25519Check,
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    ...(opts.kinds !== undefined ? { kinds: opts.kinds } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.joinAttempts !== undefined ? { joinAttempts: opts.joinAttempts } : {}),
  });
  const steering = new BotSteering(opts.pattern ?? { kind: 'wander' }, opts.seed ?? 1);
  let updates = 0;
  let errors = 0;
  const errorKinds = new Map<string, number>();
  let reconnects = 0;
  let ages: number[] = [];
  const unsubscribe: (() => void)[] = [];
  const watch = (): void => {
    const c = handle.client;
    unsubscribe.push(
      c.on('deltaApplied', (e) => {
        updates++;
        const rate = c.worldConfig?.tickRate ?? 60;
        ages.push(((c.currentTickExact(e.atMs) - e.tick) * 1000) / rate);
      }),
      c.on('error', (e) => {
        errors++;
        const kind = e.reason.replace(/-?\d+(\.\d+)?/g, 'N').slice(0, 160);
        if (errorKinds.size < 32 || errorKinds.has(kind)) errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
      }),
    );
  };
  watch();
  handle.on('status', (e) => {
    if (e.status === 'connected' && e.reason === 'joined again') {
      reconnects++;
      watch();
    }
  });
  const positionOf = (id: number): Vec3 | undefined => handle.client.reportedPosition(id)?.position;
  const steer = setInterval(() => {
    const c = handle.client;
    if (!c.joined) return;
    const p = steering.pattern;
    const target = p.kind === 'follow' ? c.players().find((r) => r.name === p.name && r.peer !== c.peerId) : undefined;
    const move = steering.next(positionOf(c.avatar), target ? positionOf(target.avatar) : undefined);
    c.send({ moveX: move.moveX, moveZ: move.moveZ });
  }, opts.steerEveryMs ?? 1000);
  return {
    handle,
    stats: () => {
      const c = handle.client;
      const s = c.stats();
      const others = new Set(c.players().filter((r) => r.peer !== c.peerId).map((r) => r.avatar));
      const seen = c.entities().filter((e) => others.has(e.id)).length;
      const kinds = [...errorKinds].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
      return { name, joined: c.joined, peer: c.peerId, updates, bytesUpPerS: s.bytesUpPerS, bytesDownPerS: s.bytesDownPerS, errors, errorKinds: kinds, reconnects, ownedTiles: s.ownedTiles.length, avatarsSeen: seen };
    },
    drainAges: () => {
      const out = ages;
      ages = [];
      return out;
    },
    close: () => {
      clearInterval(steer);
      for (const f of unsubscribe) f();
      handle.leave();
    },
  };
}
