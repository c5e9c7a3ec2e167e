import { describe, expect, it } from 'vitest';
import { initPhysics, tileKey } from './imports.js';
import { Harness, seeds, withSeed } from './harness.js';
import { SCENES } from '../../relay/server.js';

// A viewer whose simulation runs behind the clock (a starved worker: its updates come 150 ms
// apart, and its speculative replicas step at most a few ticks per update) still shows another
// player's avatar where it is now, not where it was. CI's tab-against-tab handoff test saw a
// walking avatar drawn up to 45 ticks (2–3 m) behind, then snapped forward by more than 2 m
// when the replicas caught up or the avatar entered the viewer's own tile: the view carried
// speculative replicas at most 15 ticks towards the present.
describe('a viewer whose replicas run behind the clock', () => {
  for (const seed of seeds(2, 1300)) {
    it(`seed ${seed}: shows a walking avatar within 0.5 m of where its owner has it`, () =>
      withSeed(seed, async () => {
        await initPhysics();
        const h = new Harness({ seed, scene: SCENES['audit']!(), conditions: { delayMs: 20, jitterMs: 5, loss: 0 } });
        const walker = h.addClient('walker', 'relay').client;
        expect(h.runUntil(() => walker.stats().ownedTiles.some((t) => tileKey(t) === '0,0,0'), 8000)).toBeGreaterThanOrEqual(0);
        const slowViewer = h.addClient('viewer', 'relay');
        const viewer = slowViewer.client;
        expect(h.runUntil(() => viewer.joined && viewer.entities().some((e) => e.id === walker.avatar), 5000)).toBeGreaterThanOrEqual(0);
        h.run(1000);
        const at = (c: typeof walker): { x: number; z: number } | undefined => {
          const e = c.visibleState(h.scheduler.now()).find((s) => s.entity.id === walker.avatar)?.entity.position;
          return e && { x: e.x, z: e.z };
        };
        walker.send({ moveZ: 1 });
        // Settled into walking, and known to the viewer, before it slows down.
        h.run(800);
        slowViewer.slow!(2000, 150);
        let worst = 0;
        let samples = 0;
        const end = h.scheduler.now() + 1800;
        while (h.scheduler.now() < end) {
          h.run(20);
          const truth = at(walker);
          const shown = at(viewer);
          if (!truth || !shown) continue;
          worst = Math.max(worst, Math.hypot(truth.x - shown.x, truth.z - shown.z));
          samples++;
        }
        expect(samples).toBeGreaterThan(50);
        // It walks at about 4.8 m/s: 15 ticks of a 60 Hz clock are 1.2 m, the lag it could reach 3.6 m.
        expect(viewer.stats().replicas?.mode).toBe('speculative');
        expect(worst).toBeLessThan(0.5);
        h.relay.close();
      }));
  }
});
