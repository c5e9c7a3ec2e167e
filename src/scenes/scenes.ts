import { entityDesc, type EntityDesc } from '../core/entity.js';
import { SeededRng } from '../core/rng.js';
import type { WorldConfig } from '../core/world-config.js';
import { AVATAR_BODY, groundBody } from '../kinds/standard-kinds.js';
import type { SceneDesc } from '../sim/tile-world.js';

// Ready-made scenes built from the standard kinds: the demo, the tests and the benchmark use
// the very same ones. Entity ids are small integers; every slab's top is at y = 1.

/** Ground slabs, one per tile (so no fixed body spans several tiles), over tiles x0..x1, z0..z1 at y tile 0. */
export function groundTiles(edge: number, x0: number, x1: number, z0: number, z1: number, firstId: number): EntityDesc[] {
  const out: EntityDesc[] = [];
  let id = firstId;
  for (let x = x0; x <= x1; x++) {
    for (let z = z0; z <= z1; z++) {
      out.push(entityDesc({ id: id++, kind: 'ground', body: groundBody(edge / 2, 0.5, edge / 2), position: { x: (x + 0.5) * edge, y: 0.5, z: (z + 0.5) * edge } }));
    }
  }
  return out;
}

/** Low walls (fixed boxes) around the rectangle [xMin, xMax] × [zMin, zMax], split so each piece lies in one tile. */
export function walls(edge: number, xMin: number, xMax: number, zMin: number, zMax: number, firstId: number, height = 1.5): EntityDesc[] {
  const out: EntityDesc[] = [];
  let id = firstId;
  const h = height / 2;
  const t = 0.25;
  for (let x = xMin; x < xMax; x += edge) {
    const hx = Math.min(edge, xMax - x) / 2;
    for (const z of [zMin + t, zMax - t]) out.push(entityDesc({ id: id++, kind: 'ground', body: groundBody(hx, h, t), position: { x: x + hx, y: 1 + h, z } }));
  }
  for (let z = zMin + 2 * t; z < zMax - 2 * t; z += edge) {
    const hz = Math.min(edge, zMax - 2 * t - z) / 2;
    for (const x of [xMin + t, xMax - t]) out.push(entityDesc({ id: id++, kind: 'ground', body: groundBody(t, h, hz), position: { x, y: 1 + h, z: z + hz } }));
  }
  return out;
}

/** Ids of the notable entities in `cannonScene`. */
export const CANNON_SCENE = {
  /** The cannon (fires when its switch is stepped on). */
  cannon: 100,
  /** The floor switch aimed at the cannon. */
  switch: 101,
  /** The avatar, named `alice`. */
  avatar: 102,
} as const;

/**
 * The paper's Figure 1(c): an avatar, a switch and a cannon. Walking the avatar (-x) onto the
 * switch fires a ball that flies across the border into the next tile. Tiles are 16 m.
 */
export function cannonScene(config: Partial<WorldConfig> = {}): SceneDesc {
  const edge = config.tileEdge ?? 16;
  return {
    config: { tileEdge: edge, ...config },
    entities: [
      ...groundTiles(edge, 0, 1, 0, 0, 1),
      ...walls(edge, 0, 2 * edge, 0, edge, 10),
      entityDesc({ id: CANNON_SCENE.cannon, kind: 'cannon', body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.6, y: 0.4, z: 0.4 } } }, position: { x: 8, y: 1.4, z: 8 }, props: { dirX: 0.8, dirY: 0.6, dirZ: 0, speed: 10 } }),
      entityDesc({ id: CANNON_SCENE.switch, kind: 'switch', body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.5, y: 0.1, z: 0.5 } } }, position: { x: 4, y: 1.1, z: 8 }, props: { target: CANNON_SCENE.cannon } }),
      entityDesc({ id: CANNON_SCENE.avatar, kind: 'avatar', body: AVATAR_BODY, position: { x: 6, y: 1.81, z: 8 }, props: { name: 'alice' } }),
    ],
  };
}

/** Id of the ball in `borderRollScene`. */
export const ROLLING_BALL = 10;

/**
 * A ball rolling +x across the border between tiles (0,0,0) and (1,0,0) at x = `edge`, starting
 * `lead` metres before it. `tileEdge` may be made large to get the same scene in a single tile.
 */
export function borderRollScene(config: Partial<WorldConfig> = {}, borderX = 16, lead = 2.5, speed = 2): SceneDesc {
  const edge = config.tileEdge ?? 16;
  // Slabs are laid out as for 16 m tiles whatever the tile size, so both worlds hold the same bodies.
  const slabs = groundTiles(16, 0, 1, 0, 0, 1);
  const r = 0.25;
  return {
    config: { tileEdge: edge, ...config },
    entities: [
      ...slabs,
      entityDesc({ id: ROLLING_BALL, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: r }, friction: 0.6 }, position: { x: borderX - lead, y: 1 + r, z: 8 }, linvel: { x: speed, y: 0, z: 0 }, angvel: { x: 0, y: 0, z: -speed / r } }),
    ],
  };
}

/**
 * A busy scene for migration tests: balls and boxes bouncing around inside walls that span
 * 2×2 tiles, crossing borders all the time.
 */
export function busyScene(count = 60, config: Partial<WorldConfig> = {}): SceneDesc {
  const edge = config.tileEdge ?? 8;
  const rng = new SeededRng(config.seed ?? 7);
  const entities: EntityDesc[] = [...groundTiles(edge, 0, 1, 0, 1, 1), ...walls(edge, 0, 2 * edge, 0, 2 * edge, 20, 6)];
  for (let i = 0; i < count; i++) {
    const ball = i % 2 === 0;
    entities.push(
      entityDesc({
        id: 1000 + i,
        kind: ball ? 'ball' : 'box',
        body: ball
          ? { type: 'dynamic', shape: { type: 'ball', radius: 0.25 }, restitution: 0.8, friction: 0.1 }
          : { type: 'dynamic', shape: { type: 'box', halfExtents: { x: 0.25, y: 0.25, z: 0.25 } }, restitution: 0.5, friction: 0.1 },
        position: { x: rng.range(1, 2 * edge - 1), y: rng.range(1.5, 4), z: rng.range(1, 2 * edge - 1) },
        linvel: { x: rng.range(-6, 6), y: rng.range(0, 3), z: rng.range(-6, 6) },
      }),
    );
  }
  return { config: { tileEdge: edge, ...config }, entities };
}

/** Benchmark layouts: a falling pile, a scattered mostly-sleeping scene, or wandering avatars. */
export type BenchLayout = 'pile' | 'scattered' | 'avatars';

/**
 * `count` bodies in one tile of `edge` metres (default 128) on one ground slab, arranged per
 * `layout`. The same function feeds the engine and the bare-Rapier baseline.
 */
export function benchScene(layout: BenchLayout, count: number, edge = 128): SceneDesc {
  const rng = new SeededRng(count * 31 + layout.length);
  const entities: EntityDesc[] = [entityDesc({ id: 1, kind: 'ground', body: groundBody(edge / 2, 0.5, edge / 2), position: { x: edge / 2, y: 0.5, z: edge / 2 } }), ...walls(edge, 0, edge, 0, edge, 2, 3)];
  const side = Math.ceil(Math.sqrt(count));
  for (let i = 0; i < count; i++) {
    const id = 100 + i;
    const gx = i % side;
    const gz = Math.floor(i / side);
    if (layout === 'pile') {
      // Columns of boxes dropped with a small jitter, so they tumble into a pile.
      const cols = Math.max(1, Math.ceil(count / 20));
      const cs = Math.ceil(Math.sqrt(cols));
      const col = i % cols;
      const level = Math.floor(i / cols);
      entities.push(entityDesc({ id, kind: 'box', body: { type: 'dynamic', shape: { type: 'box', halfExtents: { x: 0.25, y: 0.25, z: 0.25 } }, friction: 0.6 }, position: { x: edge / 2 + ((col % cs) - cs / 2) * 0.9 + rng.range(-0.1, 0.1), y: 1.5 + level * 0.55, z: edge / 2 + (Math.floor(col / cs) - cs / 2) * 0.9 + rng.range(-0.1, 0.1) } }));
    } else if (layout === 'scattered') {
      const spacing = (edge - 4) / side;
      const ball = i % 3 === 0;
      entities.push(entityDesc({ id, kind: ball ? 'ball' : 'box', body: ball ? { type: 'dynamic', shape: { type: 'ball', radius: 0.25 } } : { type: 'dynamic', shape: { type: 'box', halfExtents: { x: 0.25, y: 0.25, z: 0.25 } } }, position: { x: 2 + (gx + 0.5) * spacing, y: 1.25, z: 2 + (gz + 0.5) * spacing } }));
    } else {
      const spacing = (edge - 4) / side;
      entities.push(entityDesc({ id, kind: 'wanderer', body: AVATAR_BODY, position: { x: 2 + (gx + 0.5) * spacing, y: 1.81, z: 2 + (gz + 0.5) * spacing }, props: { turnEvery: 120 } }));
    }
  }
  return { config: { tileEdge: edge, ghostMargin: 2 }, entities };
}

/** Ids and layout of the notable things in `demoScene`. */
export const DEMO_SCENE = {
  /** The player's avatar, named `you` (offline; a shared world leaves it out and spawns players at the relay's spawn point, tile 0,0,0). */
  avatar: 500,
  /** The cannon (fires when its switch is stepped on), aimed over the plaza at the crates on the border x = 32. */
  cannon: 100,
  /** The floor switch aimed at the cannon. */
  switch: 101,
  /** The chest (its `gold` prop is critical: the audit drills overwrite it). */
  chest: 102,
  /** The first of 2 boxes placed near the spawn point (ids `spawnBoxes` and `spawnBoxes + 1`). */
  spawnBoxes: 320,
  /** The train, going round the plaza on a circular track through the eight outer tiles. */
  train: 60,
  /**
   * The flatcar coupled behind the train (a `train` too, on the same track): its deck is 7.5 cm above
   * the station platform, so a player hops across onto it as it passes and rides it round.
   */
  wagon: 61,
  /** The paved plaza (a fixed slab 2 cm proud of the grass) in the middle tile. */
  plaza: 50,
  /** The station platform beside the track, south of the plaza. */
  platform: 51,
  /** The ramp up to the platform from the plaza's side. */
  ramp: 52,
  /** The first of 24 crates stacked across the border x = 32 (2 deep, one on each side; 4 wide; 3 high). */
  borderBoxes: 200,
  /** How many crates are stacked across the border. */
  borderBoxCount: 24,
  /** The first of 6 low walls of the ball pit (split at the border x = 16 so each lies in one tile). */
  ballPitWalls: 40,
  /** The first of 25 balls in the ball pit, which straddles the border x = 16. */
  ballPit: 400,
  /** How many balls the pit holds. */
  ballPitCount: 25,
  /** The track: its centre and radius (metres), and the train's speed along it (m/s). */
  track: {
    /** X of the track's centre (the world's centre), metres. */
    x: 24,
    /** Z of the track's centre, metres. */
    z: 24,
    /** Radius of the track, metres. */
    radius: 14,
    /** Speed of the train, m/s. */
    speed: 5,
  },
} as const;

/** The train scenario's layout (paper §3.6): ids, the track, the platform in its middle. */
export const TRAIN_SCENE = {
  /** Entity id of the train. */
  train: 60,
  /** Entity id of the avatar riding the train (`trainScene({ rider: true })`), named `bob`. */
  rider: 61,
  /** Centre of the circular track (and of the platform), world metres. */
  centre: {
    /** X of the centre, metres. */
    x: 16,
    /** Z of the centre, metres. */
    z: 16,
  },
  /** Radius of the track, metres. */
  radius: 8,
  /** Speed of the train along the track, m/s. */
  speed: 10,
  /** Edge of the scene's single tile, metres (the world is this square, whatever the tile edge). */
  edge: 32,
  /** Height of the train's roof, metres (a rider's feet). */
  roof: 3.55,
} as const;

/** Options of `trainScene`. */
export interface TrainSceneOptions {
  /**
   * Tile edge, metres (default 32: the scene is one tile). 16 cuts the world into 2×2 tiles
   * whose borders cross the track four times; 64 holds it whole in one bigger tile.
   */
  readonly tileEdge?: number;
  /** Edge of the ground slabs and wall pieces, metres (default: the tile edge, at most 32); the same layout can then be simulated whole or split. */
  readonly slabEdge?: number;
  /** Puts an avatar named `bob` (id `TRAIN_SCENE.rider`) standing on the train's roof. */
  readonly rider?: boolean;
}

/**
 * The paper's train scenario: a 32 m square world, a platform in the middle of a circular track
 * of 8 m radius, and a train going round it at 10 m/s with an open window on the side facing the
 * platform. Players spawn on the platform (relay `spawn` at the centre). With `rider`, Bob rides
 * the train on its roof.
 */
export function trainScene(options: TrainSceneOptions = {}): SceneDesc {
  const { edge: size, centre, radius, speed, train, rider, roof } = TRAIN_SCENE;
  const edge = options.tileEdge ?? size;
  const slab = options.slabEdge ?? Math.min(edge, size);
  const a = speed / radius / 60; // radians per tick at 60 Hz
  const n = size / slab;
  const entities: EntityDesc[] = [...groundTiles(slab, 0, n - 1, 0, n - 1, 1), ...walls(slab, 0, size, 0, size, 20)];
  const half = Math.SQRT1_2;
  entities.push(
    entityDesc({
      id: train,
      kind: 'train',
      body: { type: 'kinematic', shape: { type: 'box', halfExtents: { x: 3, y: 1.25, z: 1.25 } }, friction: 0.9 },
      position: { x: centre.x + radius, y: 2.3, z: centre.z },
      // Long side along the track: turned a quarter about y (the train runs towards −z from here).
      rotation: { x: 0, y: half, z: 0, w: half },
      props: { cx: centre.x, cz: centre.z, c: Math.cos(a), s: Math.sin(a), ch: Math.cos(a / 2), sh: Math.sin(a / 2) },
    }),
  );
  if (options.rider) {
    // Standing on the roof half a metre behind the car's centre, already riding: moving with the
    // car (10 m/s towards −z), its spot on the car (in the car's frame: x along it) in its props.
    entities.push(
      entityDesc({
        id: rider,
        kind: 'avatar',
        body: AVATAR_BODY,
        position: { x: centre.x + radius, y: roof + 0.8, z: centre.z + 0.5 },
        linvel: { x: 0, y: 0, z: -speed },
        props: { name: 'bob', rideOn: train, rideX: -0.5, rideY: roof + 0.8 - 2.3, rideZ: 0 },
      }),
    );
  }
  return { config: { tileEdge: edge, seed: 3 }, entities };
}

/** The centre of the train's open window (on the side facing the track's centre), from the train's position. */
export function trainWindow(trainPosition: { x: number; y: number; z: number }): {
  /** X of the window's centre, metres. */
  x: number;
  /** Y of the window's centre, metres (0.3 m above the train's centre). */
  y: number;
  /** Z of the window's centre, metres. */
  z: number;
} {
  const { centre } = TRAIN_SCENE;
  const dx = centre.x - trainPosition.x;
  const dz = centre.z - trainPosition.z;
  const d = Math.sqrt(dx * dx + dz * dz) || 1;
  return { x: trainPosition.x + (dx / d) * 1.3, y: trainPosition.y + 0.3, z: trainPosition.z + (dz / d) * 1.3 };
}

/** Ids in `auditScene`. */
export const AUDIT_SCENE = {
  /** The chest (its `gold` prop is critical). */
  chest: 40,
  /** The ball rolling between the two tiles. */
  ball: 41,
  /** The first of 4 boxes (ids `box` to `box + 3`). */
  box: 42,
} as const;

/**
 * A small world for audit drills: 2×1 tiles of 16 m with walls, a chest (critical `gold`)
 * and a ball rolling to and fro between the tiles, boxes to knock over.
 */
export function auditScene(): SceneDesc {
  const edge = 16;
  const entities: EntityDesc[] = [...groundTiles(edge, 0, 1, 0, 0, 1), ...walls(edge, 0, 2 * edge, 0, edge, 20)];
  entities.push(
    entityDesc({ id: AUDIT_SCENE.chest, kind: 'chest', body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.5, y: 0.35, z: 0.35 } }, friction: 0.8 }, position: { x: 4, y: 1.35, z: 4 } }),
    entityDesc({ id: AUDIT_SCENE.ball, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: 0.3 }, restitution: 0.9, friction: 0.05, angularDamping: 0 }, position: { x: 12, y: 1.3, z: 12 }, linvel: { x: 6, y: 0, z: 0.4 } }),
  );
  for (let i = 0; i < 4; i++) entities.push(entityDesc({ id: AUDIT_SCENE.box + i, kind: 'box', body: { type: 'dynamic', shape: { type: 'box', halfExtents: { x: 0.25, y: 0.25, z: 0.25 } }, friction: 0.6 }, position: { x: 15 + i * 0.6, y: 1.26, z: 6 } }));
  return { config: { tileEdge: edge, seed: 77 }, entities };
}

/** A fixed box of the `ground` kind (a wall, a slab, a platform), optionally turned about x. */
function fixedBox(id: number, half: { x: number; y: number; z: number }, position: { x: number; y: number; z: number }, tiltX = 0): EntityDesc {
  return entityDesc({ id, kind: 'ground', body: groundBody(half.x, half.y, half.z), position, ...(tiltX !== 0 ? { rotation: { x: Math.sin(tiltX / 2), y: 0, z: 0, w: Math.cos(tiltX / 2) } } : {}) });
}

/**
 * The demo world: 3×3 tiles of 16 m inside a stone wall. A paved plaza in the middle tile; a
 * train and its flatcar going round it on a circular track (radius 14 m, through the eight outer
 * tiles) with a station platform on the south side (players hop onto the flatcar there and ride); the cannon range (cannon and switch on the plaza's west
 * side, aimed at crates stacked across the border x = 32); a ball pit across the border x = 16;
 * a chest, two crates and a few balls rolling in the north; the player's avatar at the spawn point (8, 8), in the
 * corner tile, outside the track.
 */
export function demoScene(): SceneDesc {
  const edge = 16;
  const rng = new SeededRng(2026);
  const { track } = DEMO_SCENE;
  const entities: EntityDesc[] = [...groundTiles(edge, 0, 2, 0, 2, 1), ...walls(edge, 0, 3 * edge, 0, 3 * edge, 20)];
  // The plaza: a thin paved slab, its top 2 cm above the grass (low enough to walk and roll onto), inside the middle tile.
  entities.push(fixedBox(DEMO_SCENE.plaza, { x: 6, y: 0.04, z: 6 }, { x: track.x, y: 0.98, z: track.z }));
  // The station: a platform 30 cm high beside the track (0.35–0.85 m from the train's sides as it
  // passes), and a ramp up to it from the plaza's side; both in tile (1, 0, 2).
  entities.push(fixedBox(DEMO_SCENE.platform, { x: 3.5, y: 0.15, z: 1 }, { x: track.x, y: 1.15, z: track.z + 10.9 }));
  const rampTilt = Math.atan2(0.3, 1.8);
  entities.push(fixedBox(DEMO_SCENE.ramp, { x: 1, y: 0.05, z: 0.95 }, { x: track.x, y: 1.1, z: track.z + 9 }, -rampTilt));
  // The train: turning about the track's centre by a fixed angle per tick (see the `train` kind),
  // starting east of the plaza, its long side along the track, its window towards the centre.
  const a = track.speed / track.radius / 60; // radians per tick at 60 Hz
  const half = Math.SQRT1_2;
  entities.push(
    entityDesc({
      id: DEMO_SCENE.train,
      kind: 'train',
      body: { type: 'kinematic', shape: { type: 'box', halfExtents: { x: 3, y: 1.25, z: 1.25 } }, friction: 0.9 },
      position: { x: track.x + track.radius, y: 2.3, z: track.z },
      rotation: { x: 0, y: half, z: 0, w: half },
      props: { cx: track.x, cz: track.z, c: Math.cos(a), s: Math.sin(a), ch: Math.cos(a / 2), sh: Math.sin(a / 2) },
    }),
  );
  // The flatcar, coupled 0.6 m behind the train (6.1 m of track between their centres): a deck
  // 35 cm thick whose top is 7.5 cm above the platform's, so a player hops onto it from the
  // platform's edge (0.35–0.85 m away) and rides it (the avatar rides any kinematic body it stands on).
  const behind = 6.1 / track.radius;
  const turn = Math.PI / 2 - behind; // the train's quarter turn about y, less the arc it trails by
  entities.push(
    entityDesc({
      id: DEMO_SCENE.wagon,
      kind: 'train',
      body: { type: 'kinematic', shape: { type: 'box', halfExtents: { x: 2.5, y: 0.175, z: 1.25 } }, friction: 0.9 },
      position: { x: track.x + track.radius * Math.cos(behind), y: 1.2, z: track.z + track.radius * Math.sin(behind) },
      rotation: { x: 0, y: Math.sin(turn / 2), z: 0, w: Math.cos(turn / 2) },
      props: { cx: track.x, cz: track.z, c: Math.cos(a), s: Math.sin(a), ch: Math.cos(a / 2), sh: Math.sin(a / 2) },
    }),
  );
  // The cannon range: the switch and the cannon on the plaza's west side, firing east (+x) over
  // the plaza; the ball comes down on the crates across the border x = 32.
  entities.push(
    entityDesc({ id: DEMO_SCENE.cannon, kind: 'cannon', body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.6, y: 0.4, z: 0.4 } } }, position: { x: 19.5, y: 1.42, z: 21 }, props: { dirX: 0.8, dirY: 0.6, dirZ: 0, speed: 11 } }),
    entityDesc({ id: DEMO_SCENE.switch, kind: 'switch', body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.5, y: 0.1, z: 0.5 } } }, position: { x: 15.3, y: 1.1, z: 21 }, props: { target: DEMO_SCENE.cannon } }),
    entityDesc({ id: DEMO_SCENE.avatar, kind: 'avatar', body: AVATAR_BODY, position: { x: 8, y: 1.81, z: 8 }, props: { name: 'you' } }),
    entityDesc({ id: DEMO_SCENE.chest, kind: 'chest', body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.5, y: 0.35, z: 0.35 } }, friction: 0.8 }, position: { x: 4, y: 1.35, z: 4 } }),
  );
  // Crates stacked across the border x = 32: one column on each side of it, face to face — one pile
  // in the physics (an island is simulated whole by one tile: docs/islands.md).
  const crate = { type: 'dynamic' as const, shape: { type: 'box' as const, halfExtents: { x: 0.25, y: 0.25, z: 0.25 } }, friction: 0.6 };
  for (let i = 0; i < DEMO_SCENE.borderBoxCount; i++) {
    const level = Math.floor(i / 8);
    const k = i % 8;
    const side = k % 2; // 0: west of the border, 1: east
    const row = Math.floor(k / 2);
    entities.push(entityDesc({ id: DEMO_SCENE.borderBoxes + i, kind: 'box', body: crate, position: { x: 2 * edge - 0.25 + side * 0.5, y: 1.26 + level * 0.51, z: 21 + (row - 1.5) * 0.56 } }));
  }
  // Two crates near the players' spawn point (in the tile the first player owns).
  for (let i = 0; i < 2; i++) entities.push(entityDesc({ id: DEMO_SCENE.spawnBoxes + i, kind: 'box', body: crate, position: { x: 11 + i * 0.7, y: 1.26, z: 3.5 } }));
  // The ball pit, across the border x = 16: low walls round a 2.4 m square (each wall in one
  // tile), two layers of balls filling it.
  const pit = { x: edge, z: 27, inner: 1.2, t: 0.1, h: 0.25 };
  const wy = 1 + pit.h;
  const outer = pit.inner + pit.t;
  let w = DEMO_SCENE.ballPitWalls;
  for (const z of [pit.z - outer, pit.z + outer]) {
    entities.push(fixedBox(w++, { x: outer / 2, y: pit.h, z: pit.t }, { x: pit.x - outer / 2, y: wy, z }), fixedBox(w++, { x: outer / 2, y: pit.h, z: pit.t }, { x: pit.x + outer / 2, y: wy, z }));
  }
  for (const x of [pit.x - outer, pit.x + outer]) entities.push(fixedBox(w++, { x: pit.t, y: pit.h, z: pit.inner }, { x, y: wy, z: pit.z }));
  // 4 × 4 balls on the floor, 3 × 3 in the hollows over them.
  const r = 0.25;
  for (let i = 0; i < DEMO_SCENE.ballPitCount; i++) {
    const upper = i >= 16;
    const k = upper ? i - 16 : i;
    const n = upper ? 3 : 4;
    const x = pit.x + ((k % n) - (n - 1) / 2) * 0.6;
    const z = pit.z + (Math.floor(k / n) - (n - 1) / 2) * 0.6;
    entities.push(entityDesc({ id: DEMO_SCENE.ballPit + i, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: r }, restitution: 0.3, friction: 0.5, angularDamping: 0.5 }, position: { x, y: 1 + r + 0.01 + (upper ? 0.45 : 0), z } }));
  }
  // A few balls rolling about the north of the world, north of the track (z 3–7): they cross
  // the borders between the spawn tile, its neighbours and the relay's tiles.
  for (let i = 0; i < 8; i++) {
    // Lively enough to keep crossing for a while (bouncy, little rolling friction), as the checkpoint test needs.
    const x = rng.range(4, 44);
    const z = rng.range(3, 7);
    const vx = (i % 2 === 0 ? 1 : -1) * rng.range(3, 5);
    entities.push(entityDesc({ id: 300 + i, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: 0.3 }, restitution: 0.8, friction: 0.1, angularDamping: 0.05 }, position: { x, y: 1.3, z }, linvel: { x: vx, y: 0, z: rng.range(-1, 1) } }));
  }
  return { config: { tileEdge: edge, seed: 2026 }, entities };
}

/** First id of `busyDemoScene`'s wanderers. */
export const BUSY_DEMO_FIRST_WANDERER = 2000;

/**
 * The demo world made busy: the demo scene plus `wanderers` avatar-sized bodies walking at
 * random (2 m/s, turning every 1.5 s) over all nine tiles — what a player's worker must keep up
 * with, owned and replicated, while its page stays smooth.
 */
export function busyDemoScene(wanderers = 300): SceneDesc {
  const base = demoScene();
  const rng = new SeededRng(77);
  const entities = [...base.entities];
  for (let i = 0; i < wanderers; i++) {
    entities.push(entityDesc({ id: BUSY_DEMO_FIRST_WANDERER + i, kind: 'wanderer', body: AVATAR_BODY, position: { x: rng.range(3, 45), y: 1.81, z: rng.range(3, 45) }, props: { turnEvery: 90, speed: 2 } }));
  }
  return { config: base.config, entities };
}
