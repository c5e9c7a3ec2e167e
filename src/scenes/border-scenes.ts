import { entityDesc, type BodyDesc, type EntityDesc } from '../core/entity.js';
import type { WorldConfig } from '../core/world-config.js';
import type { SceneDesc } from '../sim/tile-world.js';
import { groundTiles } from './scenes.js';

// Scenes where dynamic bodies meet across tile borders. Each is laid out in absolute metres, so
// the same bodies can be simulated split over small tiles or whole in one big tile and compared.

/**
 * Which border scene: two boxes head-on, a staggered stack of five, a row of ten in zero
 * gravity, or two boxes drifting at each other in zero gravity for seconds (time for players to
 * take the tiles over before they meet).
 */
export type BorderSceneName = 'collision' | 'stack' | 'cradle' | 'drift';

/** The dynamic bodies' ids in every border scene start here, in order along +x (collision, cradle) or up (stack). */
export const BORDER_FIRST_BODY = 100;

/** A 0.5 m box with the given friction and restitution. */
function smallBox(friction: number, restitution: number, lockRotations = false): BodyDesc {
  return { type: 'dynamic', shape: { type: 'box', halfExtents: { x: 0.25, y: 0.25, z: 0.25 } }, friction, restitution, ...(lockRotations ? { lockRotations } : {}) };
}

/**
 * A border scene at tile edge `tileEdge` (metres): 16 puts a border in the middle of the
 * action (8 for the cradle, whose row crosses three tiles), 64 holds everything in one tile.
 * Slabs are laid out as for 16 m tiles whatever the edge.
 */
export function borderScene(name: BorderSceneName, tileEdge: number, config: Partial<WorldConfig> = {}): SceneDesc {
  const entities: EntityDesc[] = [];
  let c: Partial<WorldConfig> = { tileEdge, ...config };
  if (name === 'collision') {
    // Two boxes thrown at each other across x = 16, one faster: they meet in the air over the
    // border, bounce apart and land.
    entities.push(...groundTiles(16, 0, 1, 0, 0, 1));
    entities.push(entityDesc({ id: BORDER_FIRST_BODY, kind: 'box', body: smallBox(0.5, 0.5), position: { x: 14.5, y: 1.3, z: 8 }, linvel: { x: 4, y: 4, z: 0 } }));
    entities.push(entityDesc({ id: BORDER_FIRST_BODY + 1, kind: 'box', body: smallBox(0.5, 0.5), position: { x: 17.5, y: 1.3, z: 8 }, linvel: { x: -3, y: 4, z: 0 } }));
  } else if (name === 'stack') {
    // Five boxes resting on each other, staggered ±0.1 m about x = 16: every other one is in the next tile.
    entities.push(...groundTiles(16, 0, 1, 0, 0, 1));
    for (let i = 0; i < 5; i++) {
      entities.push(entityDesc({ id: BORDER_FIRST_BODY + i, kind: 'box', body: smallBox(0.6, 0), position: { x: i % 2 === 0 ? 15.9 : 16.1, y: 1.25 + 0.5 * i, z: 8 } }));
    }
  } else if (name === 'drift') {
    // Zero gravity: they meet at x ≈ 15.75 after about 7.5 s, and bounce apart.
    c = { gravity: { x: 0, y: 0, z: 0 }, ...c };
    entities.push(entityDesc({ id: BORDER_FIRST_BODY, kind: 'box', body: smallBox(0.5, 0.5), position: { x: 8, y: 4, z: 8 }, linvel: { x: 1, y: 0, z: 0 } }));
    entities.push(entityDesc({ id: BORDER_FIRST_BODY + 1, kind: 'box', body: smallBox(0.5, 0.5), position: { x: 22, y: 4, z: 8 }, linvel: { x: -0.8, y: 0, z: 0 } }));
  } else {
    // Newton's cradle in zero gravity: ten boxes 1.2 m apart along x from 6.5 to 17.3 (tiles 0, 1, 2
    // at 8 m), the first pushed at 3 m/s; elastic, frictionless, not turning (faces stay square).
    c = { gravity: { x: 0, y: 0, z: 0 }, ...c };
    for (let i = 0; i < 10; i++) {
      entities.push(entityDesc({ id: BORDER_FIRST_BODY + i, kind: 'box', body: smallBox(0, 1, true), position: { x: 6.5 + 1.2 * i, y: 4, z: 4 }, linvel: { x: i === 0 ? 3 : 0, y: 0, z: 0 } }));
    }
  }
  return { config: c, entities };
}

/** The tile edge (metres) at which a border scene is split across tiles. */
export function borderSplitEdge(name: BorderSceneName): number {
  return name === 'cradle' ? 8 : 16;
}
