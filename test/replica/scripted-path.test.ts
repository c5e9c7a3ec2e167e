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
      // both players 150 ms away speculation sees 45 cm against 87: the rewind depth takes 32 updates to
      // follow a distant owner, and a new player's first updates apply at the present. Growing it at
      // once gave 0.7 cm but slowed convergence after a burst of loss (median 250 -> 1,717 ms in
      // convergence.test), so it was taken back: an open item of issue 14.
      if (delays.aliceMs === 150) {
        expect(specCm, `speculative ${specCm} cm, dead reckoning ${drCm} cm`).toBeLessThan(drCm);
        return;
      }
      expect(specCm, `speculative ${specCm} cm, dead reckoning ${drCm} cm`).toBeLessThan(5);
      expect(drCm).toBeGreaterThan(3 * specCm);
      expect(spec.filter((o) => o.hit).length).toBeGreaterThanOrEqual(dr.filter((o) => o.hit).length);
    });
  }
});
