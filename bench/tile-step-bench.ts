// The tile-step benchmark, shared by Node (bench/run.ts) and the Chromium worker
// (bench/bench.worker.ts): the engine's full tick against bare Rapier stepping the same scene.
import {
  benchScene,
  mixSeed,
  resolveWorldConfig,
  SeededRng,
  standardKinds,
  TileWorld,
  walkAxis,
  type BenchLayout,
  type EntityDesc,
} from '../src/index.js';
import { createBody } from '../src/sim/body-builder.js';
import { RAPIER } from '../src/sim/physics.js';

/** Per-tick timing summary, milliseconds. */
export interface Timing {
  readonly median: number;
  readonly p99: number;
  readonly mean: number;
}

/** One configuration's result. */
export interface TileStepResult {
  readonly layout: BenchLayout;
  readonly bodies: number;
  /** The engine's full tick: behaviours, step, contacts, migration check, ghost export, routing, and `hash()`. */
  readonly engine: Timing;
  /** Bare Rapier stepping the same bodies (avatars pushed by the same impulses). */
  readonly rapier: Timing;
  /** engine median / rapier median. */
  readonly ratio: number;
  /** True when bare Rapier ended with bit-identical positions: proof both ran the same scene. */
  readonly sameEndState: boolean;
  readonly snapshotBytes: number;
  readonly snapshotMs: number;
  /** The first restore of this scene in the process (one sample, as measured since the start). */
  readonly restoreMs: number;
  /** Median of 5 more restores of the same snapshot: the steady cost, without a one-off stall. */
  readonly restoreMedianMs: number;
}

function summarise(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** Steps the scene with the engine and with bare Rapier, alternating in blocks so both see the same machine state. */
export function benchTileStep(layout: BenchLayout, bodies: number, warmup: number, ticks: number, now: () => number): TileStepResult {
  const scene = benchScene(layout, bodies);
  const config = resolveWorldConfig(scene.config);
  const registry = standardKinds();

  // Engine.
  const world = TileWorld.fromScene(scene, registry);
  // Bare Rapier: the same bodies created in the same order, stepped with the same dt.
  const bare = new RAPIER.World(config.gravity);
  bare.timestep = 1 / config.tickRate;
  const events = new RAPIER.EventQueue(true);
  const sorted = [...scene.entities].sort((a, b) => a.id - b.id);
  const handles: { e: EntityDesc; rb: ReturnType<typeof createBody>['rb'] }[] = [];
  for (const e of sorted) handles.push({ e, rb: createBody(bare, e.body, e.state, 'entity', false).rb });
  // The wanderers' behaviour, written out by hand for the baseline (same RNG stream and order,
  // directions rounded to 1/256 as the wanderer's are: `walkAxis`).
  const tile = world.tileList()[0]!.tile;
  const rng = new SeededRng(mixSeed(config.seed, tile.x, tile.y, tile.z));
  const walkers = handles.filter((h) => h.e.kind === 'wanderer').map((h) => ({ id: h.e.id, rb: h.rb, mx: 0, mz: 0 }));
  let bareTick = 0;
  const bareStep = (): void => {
    for (const w of walkers) {
      if ((bareTick + w.id) % 120 === 0) {
        w.mx = walkAxis(rng.range(-1, 1));
        w.mz = walkAxis(rng.range(-1, 1));
      }
      const len = Math.sqrt(w.mx * w.mx + w.mz * w.mz);
      const k = len > 1 ? 3 / len : 3;
      const v = w.rb.linvel();
      const dx = w.mx * k - v.x;
      const dz = w.mz * k - v.z;
      if (dx * dx + dz * dz < 1e-6) continue;
      const m = w.rb.mass() * 0.5;
      w.rb.applyImpulse({ x: dx * m, y: 0, z: dz * m }, true);
    }
    bare.step(events);
    events.drainCollisionEvents(() => {});
    bareTick++;
  };

  const engineTimes: number[] = [];
  const bareTimes: number[] = [];
  const total = warmup + ticks;
  const block = 10;
  for (let done = 0; done < total; done += block) {
    for (let i = 0; i < block && done + i < total; i++) {
      const t0 = now();
      world.step();
      world.hash();
      const t1 = now();
      if (done + i >= warmup) engineTimes.push(t1 - t0);
    }
    for (let i = 0; i < block && done + i < total; i++) {
      const t0 = now();
      bareStep();
      const t1 = now();
      if (done + i >= warmup) bareTimes.push(t1 - t0);
    }
  }

  let same = true;
  for (const h of handles) {
    if (h.e.body.type === 'fixed') continue;
    const p = h.rb.translation();
    const q = world.describe(h.e.id)?.state.position;
    if (!q || q.x !== p.x || q.y !== p.y || q.z !== p.z) same = false;
  }

  const t0 = now();
  const snap = world.snapshot();
  const t1 = now();
  const restored = TileWorld.restore(snap, registry, scene.config);
  const t2 = now();
  restored.dispose();
  const again: number[] = [];
  for (let i = 0; i < 5; i++) {
    const a = now();
    const r = TileWorld.restore(snap, registry, scene.config);
    again.push(now() - a);
    r.dispose();
  }
  world.dispose();
  events.free();
  bare.free();

  const engine = summarise(engineTimes);
  const rapier = summarise(bareTimes);
  return {
    layout,
    bodies,
    engine,
    rapier,
    ratio: engine.median / rapier.median,
    sameEndState: same,
    snapshotBytes: snap.length,
    snapshotMs: t1 - t0,
    restoreMs: t2 - t1,
    restoreMedianMs: summarise(again).median,
  };
}

/** The configurations the bench runs: 3 layouts × 100 / 1,000 / 5,000 bodies, with ticks scaled to stay within budget. */
export const CONFIGS: readonly { layout: BenchLayout; bodies: number; warmup: number; ticks: number }[] = (['pile', 'scattered', 'avatars'] as const).flatMap((layout) =>
  [
    { bodies: 100, warmup: 60, ticks: 300 },
    { bodies: 1000, warmup: 60, ticks: 200 },
    { bodies: 5000, warmup: 30, ticks: 60 },
  ].map((c) => ({ layout, ...c })),
);
