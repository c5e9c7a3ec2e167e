import { describe, expect, it } from 'vitest';
import { DEMO_SCENE, demoScene, initPhysics, type WorldClient } from '../../src/index.js';
import { Harness, withSeed, type HarnessOptions } from '../harness/harness.js';

// The demo world as two players meet it, nobody giving any input: the relay simulates the train,
// the flatcar, the crates across x = 32 and the ball pit across x = 16 (an island held by one
// tile with bodies outside it). A viewer's replicas of those tiles must follow their owners:
// every rollback replays ticks and every rebuild restores a tile, on the page's main thread.

type Counters = { rollbacks: number; rebuilds: number; replayedTicks: number };
const counters = (c: WorldClient): Counters => ({ ...(c as unknown as { speculative: { counters: Counters } }).speculative.counters });

/** The demo world without its offline avatar, players joining over links with `conditions`. */
function demoHarness(seed: number, conditions: NonNullable<HarnessOptions['conditions']>): Harness {
  const scene = demoScene();
  return new Harness({ seed, scene: { ...scene, entities: scene.entities.filter((e) => e.kind !== 'avatar') }, conditions });
}

describe('replicas of the demo world', () => {
  it('nobody moving: a viewer rolls back at most twice a second and rebuilds at most once, and its replicas hold every entity their owners hold', async () => {
    await initPhysics();
    await withSeed(5, (seed) => {
      const h = demoHarness(seed, { delayMs: 20, jitterMs: 5, loss: 0 });
      try {
        const a = h.addClient('alice').client;
        const b = h.addClient('bob').client;
        if (h.runUntil(() => a.joined && b.joined, 3000) < 0) throw new Error(`seed ${seed}: the players did not join`);
        h.run(3000); // first full states, rebuilds, the pit and the crates settle
        const before = [counters(a), counters(b)];
        const seconds = 6;
        h.run(seconds * 1000);
        for (const [i, c] of [a, b].entries()) {
          const now = counters(c);
          const rollbacks = (now.rollbacks - before[i]!.rollbacks) / seconds;
          const rebuilds = (now.rebuilds - before[i]!.rebuilds) / seconds;
          console.log(`demo world, no input, ${["alice", "bob"][i]}: ${rollbacks.toFixed(2)} rollbacks/s, ${rebuilds.toFixed(2)} rebuilds/s, ${((now.replayedTicks - before[i]!.replayedTicks) / seconds).toFixed(1)} replayed ticks/s`);
          // (Before replicas kept the bodies held outside their tile: 8.2 rollbacks/s and 3 rebuilds/s.
          // What is left: the bouncy balls of the north crossing between tiles of different owners.)
          expect(rollbacks).toBeLessThanOrEqual(2);
          expect(rebuilds).toBeLessThanOrEqual(1);
        }
        // Every ball of the pit is seen by both players.
        for (const c of [a, b]) {
          const seen = new Set(c.entities().map((e) => e.id));
          for (let id = 400; id < 425; id++) expect(seen.has(id), `ball ${id} missing from a player`).toBe(true);
        }
      } finally {
        h.relay.close();
      }
    });
  }, 180_000);

  it('a player joining sees the crates by the spawn point resting, not sinking into the ground and rising', async () => {
    await initPhysics();
    await withSeed(3, (seed) => {
      const h = demoHarness(seed, { delayMs: 5, jitterMs: 2, loss: 0 });
      try {
        const a = h.addClient('alice').client;
        if (h.runUntil(() => a.joined && a.stats().ownedTiles.length > 0, 5000) < 0) throw new Error(`seed ${seed}: alice got no tile`);
        h.run(1000);
        const b = h.addClient('bob').client;
        if (h.runUntil(() => b.joined, 3000) < 0) throw new Error(`seed ${seed}: bob did not join`);
        // (Bob's replica of the spawn tile put its crates to sleep before its first step, without
        // their contact with the ground: he saw them sink 7 cm in 120 ms, 22-30 cm in a browser.)
        let lowest = Infinity;
        for (let t = 0; t < 3000; t += 20) {
          h.run(20);
          for (const e of b.entities()) if (e.id === DEMO_SCENE.spawnBoxes || e.id === DEMO_SCENE.spawnBoxes + 1) lowest = Math.min(lowest, e.position.y);
        }
        expect(lowest).toBeGreaterThan(1.245);
      } finally {
        h.relay.close();
      }
    });
  }, 60_000);

  // The demo's crates stacked across x = 32 are one island, held by one tile with a column lying in
  // the other. A viewer far from the relay (250 ± 150 ms) joining builds that tile from the relay's
  // full state: stepped before the neighbour's state had come, or rebuilt and replayed without the
  // neighbour's floor, the column lying over the neighbour fell through it (98 cm here from the
  // join on; 0.6-1.8 m in Chromium, where the audit e2e's witness read a crate 1 m off).
  it('a viewer of the crates stacked across x = 32 sees them standing from its join on: no crate sinks below its rest', async () => {
    await initPhysics();
    await withSeed(7, (seed) => {
      const h = demoHarness(seed, { delayMs: 250, jitterMs: 150, loss: 0 });
      try {
        const a = h.addClient('alice').client;
        if (h.runUntil(() => a.joined, 3000) < 0) throw new Error(`seed ${seed}: alice did not join`);
        let worst = 0;
        let worstAt = '';
        for (let t = 0; t < 25_000; t += 20) {
          h.run(20);
          for (const e of a.entities()) {
            const i = e.id - DEMO_SCENE.borderBoxes;
            if (i < 0 || i >= DEMO_SCENE.borderBoxCount) continue;
            const rest = 1.25 + Math.floor(i / 8) * 0.5;
            if (rest - e.position.y > worst) {
              worst = rest - e.position.y;
              worstAt = `crate ${e.id} at ${e.position.y.toFixed(3)} m (rest ${rest}), t=${t} ms`;
            }
          }
        }
        console.log(`border crates: deepest sink ${(worst * 100).toFixed(1)} cm${worstAt ? ` (${worstAt})` : ''}`);
        expect(worst).toBeLessThan(0.03);
      } finally {
        h.relay.close();
      }
    });
  }, 120_000);
});
