import { beforeAll, describe, expect, it } from 'vitest';
import { initPhysics } from '../../src/index.js';
import { scriptedPathThrow } from './scripted-path-scenario.js';

// A runner whose script turns it every 0.5 s by the tile's seeded RNG: only a replica that runs
// the script foresees the turns. What Alice sees of it as she throws must be right with
// speculation (the owner's updates roll her replica back and replay it; the RNG state travels
// in full states), at the paper's delays and with both players 150 ms from the relay.

const SEEDS = [1, 2, 3, 4, 5, 6];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('the scripted-path scenario', () => {
  beforeAll(() => initPhysics());

  for (const delays of [{ bobMs: 110, aliceMs: 40 }, { bobMs: 150, aliceMs: 150 }]) {
    it(`speculation sees the runner where its owner has it, and dead reckoning does not (Bob ${delays.bobMs} ms, Alice ${delays.aliceMs} ms)`, () => {
      const spec = SEEDS.map((s) => scriptedPathThrow(s, 'speculative', delays));
      const dr = SEEDS.map((s) => scriptedPathThrow(s, 'extrapolated', delays));
      const specCm = median(spec.map((o) => o.seenError * 100));
      const drCm = median(dr.map((o) => o.seenError * 100));
      // Measured (40 seeds) 0.4 cm speculative against 25 cm dead reckoning at the paper's delays. With
      // both players 150 ms away a new player's first updates are 18 ticks old, beyond the least rewind
      // depth (15): while the depth took 32 updates (about 3 s) to follow them they applied at the
      // present, and speculation saw the runner 49 cm off (hit rate 0.65 over 20 seeds), behind dead
      // reckoning's 0.80 in hits. Following them from the 4th update: 0.7 cm, 0.95. Speculation must
      // lead at both delays.
      expect(specCm, `speculative ${specCm} cm, dead reckoning ${drCm} cm`).toBeLessThan(5);
      expect(drCm).toBeGreaterThan(3 * specCm);
      const hits = (os: { hit: boolean }[]): number => os.filter((o) => o.hit).length;
      expect(hits(spec), `hits: speculative ${hits(spec)}, dead reckoning ${hits(dr)} of ${SEEDS.length}`).toBeGreaterThanOrEqual(hits(dr));
    });
  }
});
