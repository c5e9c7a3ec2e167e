import type { StoredDocument } from '../doc/world-doc-host.js';
import type { TileId } from '../../src/index.js';

/** One tile as the relay last knew it for certain: its exact state (entities, props, counters, physics) at a tick. */
export interface TileCheckpoint {
  /** The checkpointed tile. */
  readonly tile: TileId;
  /** The tick of the world's timeline the state is from (the timeline goes on after a restart). */
  readonly tick: number;
  /** `TileSimulation.snapshot()` bytes. */
  readonly snapshot: Uint8Array;
  /**
   * The lease epoch the relay held the tile at when it took this state. A cluster node's save
   * is fenced by it: the checkpoint is written only while the node still holds the tile at this
   * epoch in Redis (a store without fencing ignores it).
   */
  readonly epoch?: number;
}

/** A tile checkpoint a fenced store refused: the node no longer holds the tile at the checkpoint's epoch. */
export interface RefusedCheckpoint {
  /** The tile. */
  readonly tile: TileId;
  /** The epoch the checkpoint was taken at (-1 when it carried none). */
  readonly epoch: number;
  /** The tile's lease in the store when it refused: holder node ('' when nobody holds it) and epoch. */
  readonly holder: { readonly node: string; readonly epoch: number };
}

/** When a world's update log is folded into one update. */
export interface CompactionPolicy {
  /** Updates in the log (default 500). */
  readonly maxUpdates: number;
  /** Bytes in the log (default 4 MiB). */
  readonly maxBytes: number;
}

/**
 * Where a relay keeps its world between runs: the latest checkpoint of every tile and the world
 * document (template plus every acknowledged update). Every call is synchronous to the relay's
 * thread and has happened when it returns; a call that could not be done throws.
 * `WorldStore` (SQLite, one process) and `RedisWorldStore` (a cluster's Redis, every node reads
 * it) implement it.
 */
export interface WorldStorage {
  /**
   * Saves a world's checkpoints all at once (all or nothing), with what the simulation held of
   * each authored object (so a restart re-applies edits newer than the checkpoint). A fenced
   * store (a cluster node's `RedisWorldStore`) writes only the tiles the node still holds at
   * their checkpoint's epoch, and answers the others (never written); an unfenced one writes
   * all and answers none.
   */
  save(world: string, tiles: readonly TileCheckpoint[], savedAtMs: number, applied?: Readonly<Record<string, string>>): readonly RefusedCheckpoint[];
  /**
   * Creates a world's document record on the template given (stored once per content); a world
   * that exists keeps its template. Returns whether it was created and the template hash it uses.
   */
  createWorld(world: string, template?: Uint8Array): { created: boolean; template: string | undefined };
  /** A world's document: its template and its own updates (undefined for a world never created). */
  loadDocument(world: string): StoredDocument | undefined;
  /**
   * Appends an acknowledged document update: durable when this returns (the relay acknowledges
   * only then), throws when it could not be stored. Compacts the log when due.
   */
  appendUpdate(world: string, update: Uint8Array): void;
  /** Folds a world's update log into one update (deleted content dropped); the template stays. Returns bytes before and after. */
  compact(world: string): { before: number; after: number };
  /** Number of stored updates of a world, and their bytes. */
  logSize(world: string): { count: number; bytes: number };
  /** Every stored tile of a world (empty for a world never saved). */
  load(world: string): TileCheckpoint[];
  /** Releases the store (file, connection, worker). */
  close(): void | Promise<void>;
}
