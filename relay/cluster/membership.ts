import type { Redis } from 'ioredis';
import { parseLoad, type ClusterMember, type NodeLoad } from './node-load.js';

/** Starts a repeating timer; returns its stop. */
export type RepeatTimer = (fn: () => void, everyMs: number) => () => void;

/** How a node joins the cluster's membership. */
export interface MembershipOptions {
  /** The connection (the caller's; not closed here). */
  readonly redis: Redis;
  /** This node's id, unique in the cluster. */
  readonly node: string;
  /** Prefix of every key (default `tessera:`): members are in `<prefix>nodes`, each node's key is `<prefix>node:<id>`. */
  readonly prefix?: string;
  /** A node that has not beaten for this long is gone, ms (default 3000). */
  readonly ttlMs?: number;
  /** Heartbeat period, ms (default a third of the TTL: two beats may be lost). */
  readonly heartbeatMs?: number;
  /** The node's load, read at every beat. */
  readonly load: () => NodeLoad;
  /** Called when a beat could not be written (Redis unreachable); the next beat tries again. */
  readonly onBeatFailed: (error: Error) => void;
  /** Repeating timer (default `setInterval`); tests inject their own. */
  readonly every?: RepeatTimer;
}

/**
 * Members, and forgets in the same step any whose key has expired: a key and the set agree
 * afterwards, and a node that beats again is added back by its beat.
 */
const MEMBERS_LUA = `
local ids = redis.call('SMEMBERS', KEYS[1])
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('GET', ARGV[1] .. id)
  if v then
    table.insert(out, id)
    table.insert(out, v)
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return out`;

interface MembershipCommands {
  tesseraMembers(setKey: string, nodeKeyPrefix: string): Promise<string[]>;
}

/**
 * A relay node's membership: it holds a key with a TTL, written again at every heartbeat with
 * its load, and is listed in a set. A node that stops beating (killed, cut off) is gone for
 * every other node once its key expires, within the TTL of its last beat.
 */
export class Membership {
  /** This node's id. */
  readonly node: string;
  private readonly redis: Redis & MembershipCommands;
  private readonly opts: MembershipOptions;
  private readonly prefix: string;
  private stopTimer: (() => void) | undefined;

  /** A membership for `opts.node`; call `start()` to join and `leave()` (or `stop()`) to end it. */
  constructor(opts: MembershipOptions) {
    this.opts = opts;
    this.node = opts.node;
    this.prefix = opts.prefix ?? 'tessera:';
    opts.redis.defineCommand('tesseraMembers', { numberOfKeys: 1, lua: MEMBERS_LUA });
    this.redis = opts.redis as Redis & MembershipCommands;
  }

  /** A node is gone this long after its last beat, ms. */
  get ttlMs(): number {
    return this.opts.ttlMs ?? 3000;
  }

  /** Joins (a first beat, awaited) and beats every `heartbeatMs` until `stop()` or `leave()`. */
  async start(): Promise<void> {
    await this.beat();
    const every = this.opts.every ?? ((fn, ms) => {
      const t = setInterval(fn, ms);
      return () => clearInterval(t);
    });
    this.stopTimer = every(() => {
      this.beat().catch((e: unknown) => this.opts.onBeatFailed(e instanceof Error ? e : new Error(String(e))));
    }, this.opts.heartbeatMs ?? Math.floor(this.ttlMs / 3));
  }

  /** Writes this node's key (its load, expiring after the TTL) and lists it. */
  async beat(): Promise<void> {
    await this.redis.multi().set(this.nodeKey(this.node), JSON.stringify(this.opts.load()), 'PX', this.ttlMs).sadd(this.setKey(), this.node).exec();
  }

  /** Stops beating without leaving: the others see this node gone when its key expires (what a crash looks like). */
  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  /** Stops beating and leaves at once (a drained node). */
  async leave(): Promise<void> {
    this.stop();
    await this.redis.multi().del(this.nodeKey(this.node)).srem(this.setKey(), this.node).exec();
  }

  /** The live nodes, sorted by id, with their last reported loads. */
  async members(): Promise<ClusterMember[]> {
    const flat = await this.redis.tesseraMembers(this.setKey(), `${this.prefix}node:`);
    const out: ClusterMember[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const load = parseLoad(flat[i + 1]!);
      if (load) out.push({ node: flat[i]!, load });
    }
    return out.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  private setKey(): string {
    return `${this.prefix}nodes`;
  }

  private nodeKey(id: string): string {
    return `${this.prefix}node:${id}`;
  }
}
