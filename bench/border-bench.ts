// Physics across tile borders (issue 13): how far a collision split over tiles ends from the
// same collision in one tile, and what tracking islands costs a tile step.
import { BORDER_FIRST_BODY, benchScene, borderScene, borderSplitEdge, demoScene, standardKinds, tileKey, tileOf, TileWorld, type BorderSceneName, type SceneDesc } from '../src/index.js';

/** One border scene run split over tiles and whole in one tile. */
export interface BorderError {
  readonly scene: BorderSceneName;
  /** Largest distance between a body's end position in the two runs, centimetres. */
  readonly positionCm: number;
  /** Largest difference between a body's end velocity in the two runs, cm/s. */
  readonly velocityCmPerS: number;
  /** Entities that changed tile in the split run. */
  readonly migrations: number;
}

/** Runs `scene` split (its border edge) and whole (one 64 m tile) side by side for `ticks`; islands on unless told. */
export function borderError(scene: BorderSceneName, ticks: number, islands = true): BorderError {
  const split = TileWorld.fromScene(borderScene(scene, borderSplitEdge(scene)), standardKinds(), { islands });
  const whole = TileWorld.fromScene(borderScene(scene, 64), standardKinds());
  let migrations = 0;
  for (let t = 0; t < ticks; t++) {
    migrations += split.step().migrations;
    whole.step();
  }
  let p = 0;
  let v = 0;
  for (const e of whole.describeAll()) {
    if (e.id < BORDER_FIRST_BODY) continue;
    const a = e.state;
    const b = split.describe(e.id)!.state;
    p = Math.max(p, Math.sqrt((a.position.x - b.position.x) ** 2 + (a.position.y - b.position.y) ** 2 + (a.position.z - b.position.z) ** 2));
    v = Math.max(v, Math.sqrt((a.linvel.x - b.linvel.x) ** 2 + (a.linvel.y - b.linvel.y) ** 2 + (a.linvel.z - b.linvel.z) ** 2));
  }
  split.dispose();
  whole.dispose();
  return { scene, positionCm: p * 100, velocityCmPerS: v * 100, migrations };
}

/**
 * `border_collision_error_cm`: two boxes thrown at each other meet over a tile border; the
 * largest distance (cm) between where they end and where the same throw ends in one tile.
 */
export function borderCollisionErrorCm(): number {
  return borderError('collision', 120).positionCm;
}

/** The island-overhead scene: the 1,000-box pile of the tile-step bench, with 64 m tiles so it falls across the corner of four tiles. */
export function pileAcrossTiles(bodies = 1000): SceneDesc {
  const scene = benchScene('pile', bodies);
  return { ...scene, config: { ...scene.config, tileEdge: 64 } };
}

/** Result of `islandStepOverhead`. */
export interface IslandOverhead {
  /** Median world step with island tracking, ms. */
  readonly withMs: number;
  /** Median world step without, ms. */
  readonly withoutMs: number;
  /** withMs / withoutMs: `island_step_overhead_ratio`. */
  readonly ratio: number;
  /** Entities that changed tile, with and without tracking. */
  readonly migrationsWith: number;
  readonly migrationsWithout: number;
}

/**
 * `island_step_overhead_ratio`: the same scene stepped by two worlds in one run, one tracking
 * islands and one not, alternating in blocks of 10 ticks so both see the same machine state;
 * the ratio of their median step times. `now` is a monotonic clock in ms.
 */
export function islandStepOverhead(scene: SceneDesc, warmup: number, ticks: number, now: () => number): IslandOverhead {
  const registry = standardKinds();
  const on = TileWorld.fromScene(scene, registry, { islands: true });
  const off = TileWorld.fromScene(scene, registry, { islands: false });
  const timesOn: number[] = [];
  const timesOff: number[] = [];
  let migrationsWith = 0;
  let migrationsWithout = 0;
  for (let t = 0; t < warmup + ticks; t += 10) {
    for (const [world, out, isOn] of [
      [on, timesOn, true],
      [off, timesOff, false],
    ] as const) {
      for (let i = 0; i < 10; i++) {
        const s = now();
        const r = world.step();
        const ms = now() - s;
        if (t >= warmup) out.push(ms);
        if (isOn) migrationsWith += r.migrations;
        else migrationsWithout += r.migrations;
      }
    }
  }
  on.dispose();
  off.dispose();
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const withMs = median(timesOn);
  const withoutMs = median(timesOff);
  return { withMs, withoutMs, ratio: withMs / withoutMs, migrationsWith, migrationsWithout };
}

/** Result of `demoIslandMoves`. */
export interface DemoIslandMoves {
  /** Simulated seconds. */
  readonly seconds: number;
  /** Entities that changed the tile holding them, per simulated second. */
  readonly movesPerS: number;
  /** Of those, moves to a tile that does not contain the entity's reference point (it went with its island or its platform), per second: `island_moves_per_s_demo`. */
  readonly islandMovesPerS: number;
}

/**
 * `island_moves_per_s_demo`: the demo world (train and flatcar, balls rolling across borders, the
 * crates and the ball pit across borders) stepped whole for `ticks`; counts, after every tick,
 * the entities whose holding tile changed, and those whose new tile is not where their reference
 * point lies (held elsewhere because of their island or platform).
 */
export function demoIslandMoves(ticks: number): DemoIslandMoves {
  const scene = demoScene();
  const world = TileWorld.fromScene(scene, standardKinds());
  const edge = world.config.tileEdge;
  const held = new Map<number, string>();
  for (const e of scene.entities) held.set(e.id, tileKey(world.tileOfEntity(e.id)!));
  let moves = 0;
  let islandMoves = 0;
  try {
    for (let t = 0; t < ticks; t++) {
      world.step();
      for (const [id, was] of held) {
        const at = world.tileOfEntity(id);
        if (!at) continue;
        const key = tileKey(at);
        if (key === was) continue;
        held.set(id, key);
        moves++;
        if (tileKey(tileOf(world.describe(id)!.state.position, edge)) !== key) islandMoves++;
      }
    }
  } finally {
    world.dispose();
  }
  const seconds = ticks / 60;
  return { seconds, movesPerS: moves / seconds, islandMovesPerS: islandMoves / seconds };
}
