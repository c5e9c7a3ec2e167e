import { FIRST_SPAWNED_ID, type EntityId } from './entity.js';
import { mixSeed } from './rng.js';
import type { TileId } from './tile.js';

/**
 * The id a tile mints for its `counter`-th spawn: a 53-bit hash of (world seed, tile, counter)
 * at or above 2^32, so every node that simulates the tile mints the same id without asking
 * anyone. Two tiles minting the same id is possible but improbable (about n²/2^54 for n spawned
 * entities alive at once); a tile re-mints on a collision it can see.
 */
export function spawnedEntityId(seed: number, tile: TileId, counter: number): EntityId {
  const lo = mixSeed(seed, tile.x, tile.y, tile.z, counter, counter / 0x100000000);
  const hi = mixSeed(lo, seed ^ 0x5f3759df, tile.x, tile.y, tile.z, counter) & 0x1fffff;
  return FIRST_SPAWNED_ID + ((hi % (0x200000 - 1)) * 0x100000000 + lo);
}
