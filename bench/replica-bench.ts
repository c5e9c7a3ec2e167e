// Speculation figures: the cost of a rollback's replay, and what players see of the paper's
// train scenario with speculative replicas against naive (interpolating) ones.
import { benchScene, standardKinds, TileSimulation, TileWorld } from '../src/index.js';
import { trainThrow, trainViewError } from '../test/replica/train-scenario.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.ceil(0.99 * xs.length) - 1]!;

/** A rollback of a 200-body tile: restore a snapshot 15 ticks back and replay the 15 ticks (median ms), and the 15 steps alone. */
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
    for (let i = 0; i < 15; i++) again.step();
    replay.push(performance.now() - t1);
    again.dispose();
  }
  world.dispose();
  return { replayMs: median(replay), stepsMs: median(steps) };
}

/** Hit rates of the train throw over `seeds` seeds, both modes. */
export function trainHitRates(seeds: number): { speculative: number; naive: number } {
  let s = 0;
  let n = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    if (trainThrow(seed, 'speculative').hit) s++;
    if (trainThrow(seed, 'interpolated').hit) n++;
  }
  return { speculative: s / seeds, naive: n / seeds };
}

/** p99 of the distance between the train a player sees and its owner's, cm, at a one-way delay. */
export function viewErrorP99(mode: 'speculative' | 'interpolated', oneWayMs: number): number {
  const all: number[] = [];
  for (const seed of [1, 2, 3]) all.push(...trainViewError(seed, mode, oneWayMs));
  return p99(all);
}
