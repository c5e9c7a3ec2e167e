// Taking over a dead node's tiles. Every live node runs a `Failover`: four times a second it
// reads the world's leases, finds tiles whose holder's membership key has expired, computes with
// `assignTiles` which live node should simulate each, and takes the ones assigned to it — in one
// Lua script per tile that checks the holder is still gone and the epoch unchanged, moves the
// lease to this node at epoch + 1 and reads the tile's last checkpoint in the same step.
import type { Redis } from 'ioredis';
import type { TileId } from '../../src/index.js';
import type { LeaseEntry } from '../leases/lease-table.js';
import type { RelayLog } from '../relay-core.js';
import { readCheckpoint, storageKeys } from '../store/redis-world-data.js';
import type { TileCheckpoint } from '../store/world-storage.js';
import { assignTiles, type AssignmentOptions } from './assignment.js';
import type { ClusterMember } from './node-load.js';

/**
 * KEYS: the tile's lease, its holder's membership key, the world's checkpoints hash. ARGV: the
 * holder seen (node, '' for nobody), the epoch seen, this node, the owner to hold it for ('0',
 * the node itself), the tile's checkpoint field. Takes the tile only if its lease is still the
 * one seen and its holder is not live (its membership key has expired): epoch + 1, this node.
 * Answers {granted 0|1, refusal, e, n, o, checkpoint or false}: the checkpoint is read in the
 * same step, so no save of the old holder (fenced by its epoch) can land after it.
 */
export const TAKEOVER_LUA = `
local c = redis.call('HMGET', KEYS[1], 'e', 'n', 'o')
local e, n, o = tonumber(c[1] or '0'), c[2] or '', c[3] or ''
if n ~= ARGV[1] or e ~= tonumber(ARGV[2]) then return {0, 'stale-epoch', e, n, o, false} end
if n ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then return {0, 'held', e, n, o, false} end
e = e + 1
redis.call('HSET', KEYS[1], 'e', e, 'n', ARGV[3], 'o', ARGV[4])
return {1, '', e, ARGV[3], ARGV[4], redis.call('HGET', KEYS[3], ARGV[5])}`;

type TakeoverReply = [number, string, number, string, string, Buffer | null];

interface FailoverCommands {
  tesseraTakeoverBuffer(lease: string, holderKey: string, checkpoints: string, from: string, fromEpoch: string, node: string, owner: string, field: string): Promise<TakeoverReply>;
}

/** One tile a node took over. */
export interface TakenTile {
  /** The tile's key (`x,y,z`). */
  readonly tile: string;
  /** The node that held it (`''` when nobody did). */
  readonly from: string;
  /** Its new epoch (the old one + 1), held by this node. */
  readonly epoch: number;
  /** Its last checkpoint's tick, if it had one. */
  readonly checkpointTick: number | undefined;
  /** Whether the relay core started simulating it. */
  readonly adopted: boolean;
}

/** How a node's `Failover` runs. */
export interface FailoverOptions {
  /** A connection to the cluster's Redis (the caller's; not closed here). */
  readonly redis: Redis;
  /** This node's id. */
  readonly node: string;
  /** The world's key prefix (`tessera:<world>:`). */
  readonly prefix: string;
  /** The live nodes (`Membership.members`). */
  readonly members: () => Promise<ClusterMember[]>;
  /** Tells this node's lease table it now holds `tile` (granted by the takeover script, not by the table). */
  readonly heard: (tile: string, entry: LeaseEntry) => void;
  /**
   * Starts simulating the tiles taken over in one look, each at its new epoch and from its last
   * checkpoint (none when it was never saved), all together (`RelayCore.adoptTiles`); answers
   * per tile whether the relay does (a tile it could not take stays this node's lease, logged).
   */
  readonly adopt: (tiles: readonly { readonly tile: TileId; readonly epoch: number; readonly checkpoint?: TileCheckpoint }[]) => boolean[];
  /** Where takeovers and failures are logged. */
  readonly log: RelayLog;
  /**
   * The membership TTL, ms (default 3000). After its connection to Redis comes back (Redis
   * restarted, or the network healed), the node takes nothing over for this long: every live
   * node beats again first, so none whose key lapsed meanwhile is taken for dead.
   */
  readonly ttlMs?: number;
  /** How often the leases are looked at, ms (default 250). */
  readonly everyMs?: number;
  /** How the assignment weighs nodes. */
  readonly assignment?: AssignmentOptions;
}

/** Escapes Redis glob characters in a key prefix (for SCAN MATCH). */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** A tile's lease as Redis holds it. */
interface SeenLease {
  readonly tile: string;
  readonly epoch: number;
  readonly node: string;
  readonly owner: string;
}

/**
 * Takes over the tiles of dead nodes (see the file's comment). Deciding a holder is dead: its
 * membership key (3 s TTL, beaten every second) has expired, checked inside the takeover
 * script itself, so a node that beat again in the meantime keeps its tile. A node that was only
 * stalled longer than the TTL (or cut off from Redis) and comes back has lost its tiles: its
 * renewals are refused and its checkpoint saves are fenced off by the new epoch; at its first
 * refused renewal (once a second) its relay drops them (`RelayCore.dropLostTiles`). The survivors
 * agree on who takes which tile through `assignTiles` (same inputs, same answer); should two
 * still race for one, the script lets exactly one win (the other sees the epoch changed).
 */
export class Failover {
  private readonly opts: FailoverOptions;
  private readonly redis: Redis & FailoverCommands;
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<TakenTile[]> | undefined;
  private lastProblem = '';
  /** Takes nothing over before this (performance.now() ms): the nodes beat again after a reconnection. */
  private quietUntil = 0;

  /** A failover for `opts.node`; defines its script on `opts.redis`. Call `start()`. */
  constructor(opts: FailoverOptions) {
    this.opts = opts;
    opts.redis.defineCommand('tesseraTakeover', { numberOfKeys: 3, lua: TAKEOVER_LUA });
    this.redis = opts.redis as Redis & FailoverCommands;
    // A 'ready' after the connection was ready once is a reconnection.
    let connected = opts.redis.status === 'ready';
    opts.redis.on('ready', () => {
      if (connected) this.quietUntil = performance.now() + (opts.ttlMs ?? 3000);
      connected = true;
    });
  }

  /** Looks at the leases every `everyMs` until `stop()`. */
  start(): void {
    this.timer = setInterval(() => void this.pass().catch(() => undefined), this.opts.everyMs ?? 250);
    this.timer.unref();
  }

  /** Stops looking (a pass under way ends first: awaited). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One look at the leases: takes over the dead nodes' tiles assigned to this node; answers them. A pass under way is joined, not doubled. */
  pass(): Promise<TakenTile[]> {
    this.running ??= this.look().then(
      (taken) => {
        this.running = undefined;
        if (this.lastProblem !== '') this.opts.log({ level: 'info', msg: 'cluster failover checks again' });
        this.lastProblem = '';
        return taken;
      },
      (e: unknown) => {
        this.running = undefined;
        const reason = e instanceof Error ? e.message : String(e);
        if (reason !== this.lastProblem) this.opts.log({ level: 'warn', msg: 'cluster failover check failed', reason });
        this.lastProblem = reason;
        throw e;
      },
    );
    return this.running;
  }

  private async look(): Promise<TakenTile[]> {
    if (performance.now() < this.quietUntil) return [];
    const members = await this.opts.members();
    const live = new Set(members.map((m) => m.node));
    if (!live.has(this.opts.node)) return []; // not a member (yet, or any more): takes nothing
    const leases = await this.leases();
    const orphans = leases.filter((l) => !live.has(l.node));
    if (orphans.length === 0) return [];
    // The relay-held tiles of live nodes count as their work, and stay where they are.
    const kept = leases.filter((l) => live.has(l.node) && l.owner === '0');
    // A dead node's tiles go to one node together: entities cannot cross between tiles of different nodes yet.
    const together = new Map(orphans.map((l) => [l.tile, `dead:${l.node}`]));
    const assigned = assignTiles([...kept, ...orphans].map((l) => l.tile), members, new Map(kept.map((l) => [l.tile, l.node])), { ...this.opts.assignment, together });
    const mine = orphans.filter((l) => assigned.get(l.tile) === this.opts.node);
    const taken: TakenTile[] = [];
    let adoptStart = 0;
    const checkpoints = storageKeys(this.opts.prefix).checkpoints;
    const replies = await Promise.all(
      mine.map((l) => this.redis.tesseraTakeoverBuffer(`${this.opts.prefix}lease:${l.tile}`, `${this.opts.prefix}node:${l.node}`, checkpoints, l.node, String(l.epoch), this.opts.node, '0', l.tile)),
    );
    adoptStart = performance.now();
    const won: { tile: string; from: string; epoch: number; checkpoint: TileCheckpoint | undefined }[] = [];
    mine.forEach((l, i) => {
      const [ok, , e, n, o, value] = replies[i]!;
      if (Number(ok) !== 1) return; // another node took it, or its holder is back
      const epoch = Number(e);
      this.opts.heard(l.tile, { node: String(n), owner: Number(String(o)), epoch });
      won.push({ tile: l.tile, from: l.node, epoch, checkpoint: value ? readCheckpoint(l.tile, value) : undefined });
    });
    let adopted: boolean[] = [];
    try {
      adopted = this.opts.adopt(won.map((w) => ({ tile: tileOfKey(w.tile)!, epoch: w.epoch, ...(w.checkpoint ? { checkpoint: w.checkpoint } : {}) })));
    } catch (err) {
      this.opts.log({ level: 'error', msg: 'tiles taken over but not adopted', tiles: won.map((w) => w.tile), reason: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
    won.forEach((w, i) => taken.push({ tile: w.tile, from: w.from, epoch: w.epoch, checkpointTick: w.checkpoint?.tick, adopted: adopted[i] === true }));
    if (taken.length > 0) this.opts.log({ level: 'info', msg: 'tiles taken over', node: this.opts.node, adoptMs: Math.round(performance.now() - adoptStart), tiles: taken.map((t) => ({ tile: t.tile, from: t.from, epoch: t.epoch, checkpointTick: t.checkpointTick ?? null, adopted: t.adopted })), live: [...live] });
    return taken;
  }

  /** Every tile's lease in Redis (SCAN over `<prefix>lease:*`, then one pipelined read). */
  private async leases(): Promise<SeenLease[]> {
    const head = `${this.opts.prefix}lease:`;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${globEscape(head)}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    if (keys.length === 0) return [];
    const p = this.redis.pipeline();
    for (const k of keys) p.hmget(k, 'e', 'n', 'o');
    const replies = (await p.exec()) ?? [];
    const out: SeenLease[] = [];
    keys.forEach((k, i) => {
      const [err, v] = replies[i] ?? [new Error('no reply'), undefined];
      if (err) throw err;
      const [e, n, o] = v as (string | null)[];
      const tile = k.slice(head.length);
      if (tileOfKey(tile) === undefined) return; // not a tile's lease (nothing else is kept there)
      out.push({ tile, epoch: Number(e ?? 0), node: n ?? '', owner: o ?? '' });
    });
    return out.sort((a, b) => (a.tile < b.tile ? -1 : a.tile > b.tile ? 1 : 0));
  }
}

/** A tile from its key `x,y,z` (integers); undefined when it is not one. */
function tileOfKey(key: string): TileId | undefined {
  const parts = key.split(',');
  const [x, y, z] = parts.map(Number) as [number, number, number];
  return parts.length === 3 && parts.every((p) => /^-?\d+$/.test(p)) ? { x, y, z } : undefined;
}
