import type { BodyDesc, DynamicState, EntityId } from '../core/entity.js';
import type { TileId } from '../core/tile.js';

/** A read-only copy of a neighbour's entity near the shared border, as the neighbour last stepped it. */
export interface GhostState {
  /** The neighbour's entity id. */
  readonly id: EntityId;
  /** Its kind name. */
  readonly kind: string;
  /** Its body and collider (the ghost collides like it). */
  readonly body: BodyDesc;
  /** Its physical state after the neighbour's step (m, m/s, rad/s). */
  readonly state: DynamicState;
}

/** Ghosts a tile sends to one neighbour after a step. An empty list clears that neighbour's ghosts of this tile. */
export interface GhostExport {
  /** The neighbour tile the ghosts are for. */
  readonly to: TileId;
  /** This tile's bodies within the ghost margin of that neighbour. */
  readonly ghosts: readonly GhostState[];
}
