import type { EntityId } from '../core/entity.js';
import type { TileId } from '../core/tile.js';
import type { WorldConfig } from '../core/world-config.js';
import type { SceneDesc } from '../sim/tile-world.js';
import type { EntityLook, LoadedWorld } from './tile-world-host.js';

/** What the tile worker exposes over comlink. Buffers cross as transferables, not copies. */
export interface TileWorkerApi {
  init(): Promise<void>;
  load(scene: SceneDesc): LoadedWorld;
  step(ticks: number, inputs: ArrayBuffer | null): ArrayBuffer;
  frame(): ArrayBuffer;
  looks(ids: readonly EntityId[]): EntityLook[];
  tiles(): TileId[];
  hash(): string;
  snapshot(): ArrayBuffer;
  restore(bytes: ArrayBuffer, config: Partial<WorldConfig>): LoadedWorld;
}
