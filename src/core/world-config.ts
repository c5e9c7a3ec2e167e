import { assert, ErrorCode } from './errors.js';
import { checkEdge } from './tile.js';
import { isFiniteVec, type Vec3 } from './vec.js';

/** The fixed parameters of a world. Every node simulating the world must use the same values. */
export interface WorldConfig {
  /** Tile edge, metres (default 32). */
  readonly tileEdge: number;
  /** Ticks per second, Hz (default 60). */
  readonly tickRate: number;
  /** World seed: every tile's RNG and minted ids derive from it (uint32, default 1). */
  readonly seed: number;
  /** Bodies within this many metres of a tile's border appear as ghosts in the neighbour (default 2). */
  readonly ghostMargin: number;
  /** Gravity, m/s² (default 9.81 down). */
  readonly gravity: Vec3;
  /** Entities that fall below this height (m) are removed and reported (default -100). */
  readonly floorY: number;
  /** Area-of-interest radius around a player, metres (default 48). */
  readonly aoiRadius: number;
  /**
   * Where players' avatars start, and where an avatar that fell out of the world comes back
   * (default the centre of tile 0,0,0 at 1.81 m). Joining players stand in a small crowd around it.
   */
  readonly spawnPoint: Vec3;
}

/** Fills defaults and validates a world config; throws `bad-input` naming the bad field. */
export function resolveWorldConfig(partial: Partial<WorldConfig> = {}): WorldConfig {
  const c: WorldConfig = {
    tileEdge: partial.tileEdge ?? 32,
    tickRate: partial.tickRate ?? 60,
    seed: partial.seed ?? 1,
    ghostMargin: partial.ghostMargin ?? 2,
    gravity: partial.gravity ?? { x: 0, y: -9.81, z: 0 },
    floorY: partial.floorY ?? -100,
    aoiRadius: partial.aoiRadius ?? 48,
    spawnPoint: partial.spawnPoint ?? { x: (partial.tileEdge ?? 32) / 2, y: 1.81, z: (partial.tileEdge ?? 32) / 2 },
  };
  checkEdge(c.tileEdge);
  assert(Number.isInteger(c.tickRate) && c.tickRate >= 1 && c.tickRate <= 1000, ErrorCode.BadInput, `tickRate must be an integer 1..1000 Hz, got ${c.tickRate}`);
  assert(Number.isInteger(c.seed) && c.seed >= 0 && c.seed <= 0xffffffff, ErrorCode.BadInput, `seed must be a uint32, got ${c.seed}`);
  assert(Number.isFinite(c.ghostMargin) && c.ghostMargin >= 0 && c.ghostMargin < c.tileEdge / 2, ErrorCode.BadInput, `ghostMargin must be in [0, tileEdge/2) metres, got ${c.ghostMargin}`);
  assert(isFiniteVec(c.gravity), ErrorCode.BadInput, 'gravity must be finite');
  assert(Number.isFinite(c.floorY), ErrorCode.BadInput, `floorY must be finite, got ${c.floorY}`);
  assert(Number.isFinite(c.aoiRadius) && c.aoiRadius >= 0, ErrorCode.BadInput, `aoiRadius must be ≥ 0 metres, got ${c.aoiRadius}`);
  assert(isFiniteVec(c.spawnPoint) && c.spawnPoint.y > c.floorY, ErrorCode.BadInput, `spawnPoint must be finite and above floorY, got ${JSON.stringify(c.spawnPoint)}`);
  return c;
}
