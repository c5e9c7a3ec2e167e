// Speculation figures: the cost of a rollback's replay, and what players see of the paper's
// train scenario with speculative replicas against naive (interpolating) ones.
import { benchScene, standardKinds, TileSimulation, TileWorld } from '../src/index.js';
import { TRAIN_DELAYS, trainThrow, trainViewError, type TrainDelays } from '../test/replica/train-scenario.js';
import { scriptedPathThrow } from '../test/replica/scripted-path-scenario.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.ceil(0.99 * xs.length) - 1]!;

/** A rollback of a 200-body tile: restore a snapshot 15 ticks back and replay the 15 ticks (median ms), and the 15 steps alone (median ms). */
export function replayCost(layout: 'pile' | 'scattered' | 'avatars'): { replayMs: number; stepsMs: number } {
  const registry = standardKinds();
  const world = TileWorld.fromScene(benchScene(layout, 200), registry);
  for (let i = 0; i < 30; i++) world.step(); // bodies in motion, falling onto the pile
  const sim = world.tileList()[0]!;
  const replay: number[] = [];
  const steps: number[] = [];
  for (let rep = 0; rep < 25; rep++) {
    const snap = sim.snapshot();
    const t0 = performance.now();
    for (let i = 0; i < 15; i++) sim.step();
    steps.push(performance.now() - t0);
    const t1 = performance.now();
    const again = TileSimulation.restore(snap, world.config, registry);
    // As a replica's rewind replays it (and as the tile above steps in its world): ghosts only for
    // neighbours that are held — none here. Without this, the replay alone would work out ghosts
    // for the tile below for every body on the ground, which the steps it is compared with do not.
    again.setGhostNeighbours([]);
    for (let i = 0; i < 15; i++) again.step();
    replay.push(performance.now() - t1);
    again.dispose();
  }
  world.dispose();
  return { replayMs: median(replay), stepsMs: median(steps) };
}

/** What one replica mode made of the train throw over the seeds: hit rate, and the median and p99 error of the window Alice saw as she threw (cm). */
export interface TrainFigures {
  readonly hitRate: number;
  readonly seenErrorMedianCm: number;
  readonly seenErrorP99Cm: number;
}

/** The train throw over `seeds` seeds in every replica mode, same seeds and delays for each (a fair comparison). */
export function trainFigures(seeds: number, delays: TrainDelays = TRAIN_DELAYS): Record<ReplicaModeName, TrainFigures> {
  return throwFigures(seeds, (seed, mode) => trainThrow(seed, mode, delays));
}

type ReplicaModeName = 'speculative' | 'extrapolated' | 'interpolated';

/** One throw per seed in every replica mode (the same seeds for each): hit rate and the error of what Alice saw, cm. */
function throwFigures(seeds: number, run: (seed: number, mode: ReplicaModeName) => { hit: boolean; seenError: number }): Record<ReplicaModeName, TrainFigures> {
  const modes = ['speculative', 'extrapolated', 'interpolated'] as const;
  const out = {} as Record<ReplicaModeName, TrainFigures>;
  for (const mode of modes) {
    let hits = 0;
    const seen: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const o = run(seed, mode);
      if (o.hit) hits++;
      seen.push(o.seenError * 100);
    }
    out[mode] = { hitRate: hits / seeds, seenErrorMedianCm: median(seen), seenErrorP99Cm: p99(seen) };
  }
  return out;
}

/** Alice's hit rate with speculative replicas while an avatar rides on the train's roof (`trainScene({ rider: true })`), seeds 1..`seeds`. */
export function trainRidingHitRate(seeds: number, delays: TrainDelays = TRAIN_DELAYS): number {
  let hits = 0;
  for (let seed = 1; seed <= seeds; seed++) if (trainThrow(seed, 'speculative', delays, true).hit) hits++;
  return hits / seeds;
}

/** p99 of the distance between the train a player sees and its owner's, cm, at a one-way delay. */
export function viewErrorP99(mode: 'speculative' | 'interpolated', oneWayMs: number): number {
  const all: number[] = [];
  for (const seed of [1, 2, 3]) all.push(...trainViewError(seed, mode, oneWayMs));
  return p99(all);
}

/** The scripted-path throw (a runner its script turns every 0.5 s) over `seeds` seeds in every replica mode: hit rate, and the median and p99 error of the runner Alice saw as she threw (cm). */
export function scriptedPathFigures(seeds: number, delays: TrainDelays = TRAIN_DELAYS): Record<ReplicaModeName, TrainFigures> {
  return throwFigures(seeds, (seed, mode) => scriptedPathThrow(seed, mode, delays));
}
