import type { EntityId } from '../core/entity.js';
import type { TileId } from '../core/tile.js';
import type { WorldConfig } from '../core/world-config.js';
import type { SceneDesc } from '../sim/tile-world.js';
import type { EntityLook, LoadedWorld } from './tile-world-host.js';

/** What the tile worker exposes over comlink. Buffers cross as transferables, not copies. */
export interface TileWorkerApi {
  /** Loads the physics engine (`TileWorldHost.init`); call once before `load`. */
  init(): Promise<void>;
  /** Replaces the worker's world with one built from `scene`. Throws `TesseraError` on an invalid scene. */
  load(scene: SceneDesc): LoadedWorld;
  /** Runs `ticks` ticks (0..`MAX_TICKS_PER_CALL`; `inputs` from `encodeInputs` apply to the first) and returns the new frame. Throws `bad-input` on a bad tick count, `not-initialised` before `load`. */
  step(ticks: number, inputs: ArrayBuffer | null): ArrayBuffer;
  /** The current frame without stepping (layout in `frame.ts`). */
  frame(): ArrayBuffer;
  /** Kind, body and position of the given entities (unknown ids skipped). */
  looks(ids: readonly EntityId[]): EntityLook[];
  /** Tile ids in frame tile-index order. */
  tiles(): TileId[];
  /** The world's state hash, 16 hex digits. */
  hash(): string;
  /** The whole world's snapshot (for `restore`). */
  snapshot(): ArrayBuffer;
  /** Replaces the world with one restored from `snapshot()` bytes of a world with `config`. Throws `bad-snapshot` on bytes that do not decode. */
  restore(bytes: ArrayBuffer, config: Partial<WorldConfig>): LoadedWorld;
}
