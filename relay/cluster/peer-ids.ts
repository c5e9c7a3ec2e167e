// Player ids. A single relay counts them itself; the nodes of a cluster take them from one
// counter in Redis, in blocks, so no two nodes hand out the same id and a join waits for nothing.
import type { PeerId } from '../../src/index.js';

/** Where the relay core takes each joining player's id from. */
export interface PeerIdSource {
  /** A player id never given before in the world (1 and up), or undefined when none can be had now (the join is refused). */
  next(): PeerId | undefined;
}

/** Highest player id: a player's avatar is entity `AVATAR_ID_BASE + id - 1`, which must stay below the template entities' ids (2^31). */
export const MAX_PEER_ID = 2 ** 31 - 1_000_000;

/** The first player's avatar entity id; player `id` gets `AVATAR_ID_BASE + id - 1`. */
export const AVATAR_ID_BASE = 1_000_000;

/** The avatar entity of player `id`: unique wherever the id was given, as the id is. */
export function avatarOf(id: PeerId): number {
  return AVATAR_ID_BASE + id - 1;
}

/** The ids of one relay process (the default): 1, 2, 3, … */
export class LocalPeerIds implements PeerIdSource {
  private last = 0;

  /** The next id. */
  next(): PeerId {
    return ++this.last;
  }
}

/** Reserves `size` ids of the cluster's counter and resolves with the last of them (the block is `last - size + 1 … last`). */
export type ReserveIds = (size: number) => Promise<number>;

/** How a `BlockPeerIds` takes its blocks. */
export interface BlockPeerIdsOptions {
  /** Reserves a block (a Redis `INCRBY` of the world's counter). */
  readonly reserve: ReserveIds;
  /** Ids per block (default 64). */
  readonly blockSize?: number;
  /** Told when a block could not be reserved (the next `next()` that needs one tries again). */
  readonly onError?: (error: Error) => void;
}

/**
 * Player ids from a counter shared by the cluster's nodes, taken in blocks: `start()` reserves
 * the first block, and once half of the current block is given out the next one is reserved in
 * the background, so `next()` never waits for Redis. A node that has used up its blocks while
 * Redis is unreachable has no id to give: `next()` returns undefined (the join is refused; the
 * player may join again) and asks for a block again. Ids a node reserved and never gave
 * (it stopped) are skipped, never reused.
 */
export class BlockPeerIds implements PeerIdSource {
  private readonly reserve: ReserveIds;
  private readonly size: number;
  private readonly onError: ((error: Error) => void) | undefined;
  /** Blocks reserved and not yet used up, in order: [next id, last id]. */
  private readonly blocks: [number, number][] = [];
  private pending: Promise<void> | undefined;

  /** Ids from `opts.reserve`; call `start()` before the first `next()`. */
  constructor(opts: BlockPeerIdsOptions) {
    this.reserve = opts.reserve;
    this.size = opts.blockSize ?? 64;
    if (!(Number.isInteger(this.size) && this.size > 0)) throw new Error(`block size must be a positive integer, got ${this.size}`);
    this.onError = opts.onError;
  }

  /** Reserves the first block; rejects when Redis cannot be asked. */
  async start(): Promise<void> {
    await this.fetch();
  }

  /** The next id of this node's blocks; undefined when it has none left (a block is being asked for). */
  next(): PeerId | undefined {
    const block = this.blocks[0];
    if (!block) {
      this.refill();
      return undefined;
    }
    const id = block[0]++;
    if (block[0] > block[1]) this.blocks.shift();
    if (this.left() <= this.size / 2) this.refill();
    return id;
  }

  /** Ids reserved and not yet given. */
  left(): number {
    return this.blocks.reduce((n, [from, to]) => n + to - from + 1, 0);
  }

  private refill(): void {
    if (this.pending) return;
    this.pending = this.fetch()
      .catch((e: unknown) => this.onError?.(e instanceof Error ? e : new Error(String(e))))
      .finally(() => (this.pending = undefined));
  }

  private async fetch(): Promise<void> {
    const last = await this.reserve(this.size);
    if (!(Number.isSafeInteger(last) && last >= this.size)) throw new Error(`the player id counter answered ${last}`);
    if (last > MAX_PEER_ID) throw new Error(`the player id counter passed ${MAX_PEER_ID}: reset the world's counter`);
    this.blocks.push([last - this.size + 1, last]);
  }
}
