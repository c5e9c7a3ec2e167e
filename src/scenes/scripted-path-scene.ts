import { entityDesc, type EntityDesc } from '../core/entity.js';
import { AVATAR_BODY } from '../kinds/standard-kinds.js';
import type { SceneDesc } from '../sim/tile-world.js';
import { groundTiles, walls } from './scenes.js';

// A path decided by a script, not by physics alone (issue 14's fair baselines): dead reckoning
// carries a body on along its last velocity, but a behaviour that turns it where its script says
// — here, from the tile's seeded RNG — is foreseen only by a replica that runs the script too.

/** The scripted-path scenario's layout: ids, where the runner starts, where players stand. */
export const SCRIPTED_PATH_SCENE = {
  /** Entity id of the runner (a `wanderer`: it draws a new direction from the tile's RNG every `turnEvery` ticks). */
  runner: 70,
  /** Where the runner starts, world metres (the middle of its pen). */
  start: {
    /** X, metres. */
    x: 16,
    /** Z, metres. */
    z: 13,
  },
  /** Half the side of the runner's square pen (a low fence a ball flies over), metres. */
  penHalf: 5,
  /** The runner's speed, m/s. */
  speed: 4,
  /** Ticks between the runner's turns (0.5 s at 60 Hz). */
  turnEvery: 30,
  /** Where players spawn (relay `spawn`), world metres: south of the pen, facing it. */
  spawn: {
    /** X, metres. */
    x: 16,
    /** Y, metres (an avatar standing on the ground). */
    y: 1.81,
    /** Z, metres. */
    z: 22,
  },
  /** Edge of the scene's single tile, metres. */
  edge: 32,
} as const;

/**
 * One 32 m tile with a runner in a fenced pen: a capsule that walks at 4 m/s and turns every
 * 0.5 s to a direction its behaviour draws from the tile's seeded RNG. Players spawn south of the
 * pen and throw at it over the fence. Only a replica that carries the tile's RNG state and runs
 * the runner's script sees the turns when they happen.
 */
export function scriptedPathScene(): SceneDesc {
  const { edge, start, penHalf, speed, turnEvery, runner } = SCRIPTED_PATH_SCENE;
  const entities: EntityDesc[] = [...groundTiles(edge, 0, 0, 0, 0, 1), ...walls(edge, 0, edge, 0, edge, 20)];
  // The pen: a fence 0.4 m high (ids from 30), inside the tile.
  entities.push(...walls(edge, start.x - penHalf, start.x + penHalf, start.z - penHalf, start.z + penHalf, 30, 0.4));
  entities.push(entityDesc({ id: runner, kind: 'wanderer', body: AVATAR_BODY, position: { x: start.x, y: 1.81, z: start.z }, props: { speed, turnEvery } }));
  return { config: { tileEdge: edge, seed: 5 }, entities };
}
