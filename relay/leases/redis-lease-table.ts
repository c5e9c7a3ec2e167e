import type { Redis } from 'ioredis';
import type { PeerId } from '../../src/index.js';
import { LeaseRefusal, type LeaseDecided, type LeaseDecision, type LeaseEntry, type LeaseRenewal, type LeaseTable, type RenewalsDecided } from './lease-table.js';
import { GRANT_LUA, RELEASE_LUA, RENEW_ALL_LUA, RENEW_LUA, TRANSFER_LUA } from './lease-scripts.js';

/** What every lease script answers: granted (1/0), the refusal, then the tile's epoch, node and owner after it. */
type ScriptReply = [number, string, number, string, string];

/** The lease commands `RedisLeaseTable` defines on its connection. */
interface LeaseCommands {
  tesseraLeaseGrant(key: string, node: string, owner: string): Promise<ScriptReply>;
  tesseraLeaseTransfer(key: string, fromEpoch: string, epoch: string, node: string, owner: string): Promise<ScriptReply>;
  tesseraLeaseRenew(key: string, epoch: string, node: string, owner: string): Promise<ScriptReply>;
  tesseraLeaseRelease(key: string, epoch: string, node: string, owner: string): Promise<ScriptReply>;
  tesseraLeaseRenewAll(keyCount: number, ...keysThenArgs: string[]): Promise<ScriptReply[]>;
}

/** Most tiles in one renewal script call (a node with more makes several calls). */
export const RENEW_ALL_MAX_TILES = 1000;

/** How a `RedisLeaseTable` is made. */
export interface RedisLeaseTableOptions {
  /** The connection (the caller's: it is not closed by the table). Give it `enableOfflineQueue: false` so changes are refused at once while Redis is unreachable instead of waiting. */
  readonly redis: Redis;
  /** This node's id, unique in the cluster (its leases name it). */
  readonly node: string;
  /** Prefix of every key, naming the world (default `tessera:`): a tile's lease is `<prefix>lease:<tile>`. */
  readonly prefix?: string;
}

/**
 * The lease table of a cluster of relay nodes: every tile's epoch and holder live in Redis and
 * change only in a Lua script (`lease-scripts.ts`), so cluster-wide a tile has at most one holder
 * per epoch and epochs only grow, whichever node asks.
 *
 * Bridging the relay core's synchronous reads: the node keeps a cache of the leases it has seen
 * (every script's answer carries the tile's lease, granted or not), and `get` reads it. A change
 * is decided by the script; `decided` runs when its answer arrives, and the cache changes only
 * then, so a grant takes effect in this node only once Redis said yes. When Redis cannot be
 * asked the change is refused (`unreachable`) and nothing changes here. Changes made by other
 * nodes reach the cache through `refresh` (and through the answers to this node's own changes).
 */
export class RedisLeaseTable implements LeaseTable {
  /** This node's id. */
  readonly node: string;
  private readonly redis: Redis & LeaseCommands;
  private readonly prefix: string;
  /** Leases held as this node last saw them. */
  private readonly seen = new Map<string, LeaseEntry>();

  /** A table over `opts.redis`; defines the lease scripts on that connection. */
  constructor(opts: RedisLeaseTableOptions) {
    this.node = opts.node;
    this.prefix = opts.prefix ?? 'tessera:';
    const r = opts.redis;
    r.defineCommand('tesseraLeaseGrant', { numberOfKeys: 1, lua: GRANT_LUA });
    r.defineCommand('tesseraLeaseTransfer', { numberOfKeys: 1, lua: TRANSFER_LUA });
    r.defineCommand('tesseraLeaseRenew', { numberOfKeys: 1, lua: RENEW_LUA });
    r.defineCommand('tesseraLeaseRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
    // The number of keys varies: given first at each call.
    r.defineCommand('tesseraLeaseRenewAll', { lua: RENEW_ALL_LUA });
    this.redis = r as Redis & LeaseCommands;
  }

  /** The tile's lease as this node last saw it. */
  get(tile: string): LeaseEntry | undefined {
    return this.seen.get(tile);
  }

  /** Asks Redis to grant a tile nobody holds to `owner` of this node. */
  grant(tile: string, owner: PeerId, decided: LeaseDecided): void {
    this.ask(tile, this.redis.tesseraLeaseGrant(this.key(tile), this.node, String(owner)), false, decided);
  }

  /** Asks Redis to move the tile from `fromEpoch` to `owner` of this node at `epoch`. */
  transfer(tile: string, fromEpoch: number, owner: PeerId, epoch: number, decided: LeaseDecided): void {
    this.ask(tile, this.redis.tesseraLeaseTransfer(this.key(tile), String(fromEpoch), String(epoch), this.node, String(owner)), false, decided);
  }

  /** Asks Redis whether `owner` of this node still holds the tile at `epoch`. */
  renew(tile: string, owner: PeerId, epoch: number, decided: LeaseDecided): void {
    this.ask(tile, this.redis.tesseraLeaseRenew(this.key(tile), String(epoch), this.node, String(owner)), false, decided);
  }

  /** Asks Redis to confirm every holder, in one script call per `RENEW_ALL_MAX_TILES` tiles. */
  renewAll(renewals: readonly LeaseRenewal[], decided: RenewalsDecided): void {
    for (let from = 0; from < renewals.length; from += RENEW_ALL_MAX_TILES) {
      const part = renewals.slice(from, from + RENEW_ALL_MAX_TILES);
      const args = [...part.map((r) => this.key(r.tile)), this.node, ...part.flatMap((r) => [String(r.epoch), String(r.owner)])];
      const reply = this.redis.tesseraLeaseRenewAll(part.length, ...args);
      part.forEach((r, i) =>
        this.ask(
          r.tile,
          reply.then((all) => all[i]!),
          false,
          (d) => decided(from + i, d),
        ),
      );
    }
  }

  /** Asks Redis to let `owner` of this node give the tile up. */
  release(tile: string, owner: PeerId, epoch: number, decided: LeaseDecided): void {
    this.ask(tile, this.redis.tesseraLeaseRelease(this.key(tile), String(epoch), this.node, String(owner)), true, decided);
  }

  /** Reads the leases of `tiles` from Redis into this node's view (changes other nodes made). */
  async refresh(tiles: readonly string[]): Promise<void> {
    if (tiles.length === 0) return;
    const p = this.redis.pipeline();
    for (const t of tiles) p.hmget(this.key(t), 'e', 'n', 'o');
    const replies = (await p.exec()) ?? [];
    tiles.forEach((t, i) => {
      const [err, v] = replies[i] ?? [new Error('no reply'), undefined];
      if (err) throw err;
      const [e, n, o] = v as (string | null)[];
      this.remember(t, entryOf(Number(e ?? 0), n ?? '', o ?? ''));
    });
  }

  private key(tile: string): string {
    return `${this.prefix}lease:${tile}`;
  }

  private ask(tile: string, reply: Promise<ScriptReply>, releasing: boolean, decided: LeaseDecided): void {
    reply.then(
      ([ok, refusal, e, n, o]) => {
        const entry = entryOf(e, n, o);
        // Answers on one connection come in the order their scripts ran: the last one is the newest state.
        this.remember(tile, releasing && ok === 1 ? undefined : entry);
        decided(ok === 1 ? { granted: true, entry: entry! } : { granted: false, reason: refusalOf(refusal), current: entry });
      },
      () => decided({ granted: false, reason: LeaseRefusal.Unreachable, current: this.seen.get(tile) }),
    );
  }

  private remember(tile: string, entry: LeaseEntry | undefined): void {
    if (entry) this.seen.set(tile, entry);
    else this.seen.delete(tile);
  }
}

/** A held lease from a script's answer (undefined when nobody holds the tile). */
function entryOf(epoch: number, node: string, owner: string): LeaseEntry | undefined {
  return node === '' ? undefined : { node, owner: Number(owner), epoch: Number(epoch) };
}

function refusalOf(s: string): Extract<LeaseDecision, { granted: false }>['reason'] {
  for (const r of Object.values(LeaseRefusal)) if (r === s) return r;
  throw new Error(`lease script answered an unknown refusal ${JSON.stringify(s)}`);
}
