import type { BodyDesc, DynamicState, EntityId } from '../core/entity.js';
import type { TileId } from '../core/tile.js';

/** A read-only copy of a neighbour's entity near the shared border, as the neighbour last stepped it. */
export interface GhostState {
  readonly id: EntityId;
  readonly kind: string;
  readonly body: BodyDesc;
  readonly state: DynamicState;
}

/** Ghosts a tile sends to one neighbour after a step. An empty list clears that neighbour's ghosts of this tile. */
export interface GhostExport {
  readonly to: TileId;
  readonly ghosts: readonly GhostState[];
}
