import { describe, expect, it } from 'vitest';
import { initPhysics, tileKey } from './imports.js';
import { Harness, seeds, withSeed } from './harness.js';
import { SCENES } from '../../relay/server.js';

// A player who stops just as its avatar crosses into the next tile stops there. The input reaches
// the tile's next holder before the avatar does (a migrant on its way, a handoff state not yet
// in), or goes to the tile's former owner when the player has not heard of the new lease yet;
// before, it was dropped there and the avatar walked on for 0.75 s (the relay's copy, sent on
// late) or for good (that copy sent to the tile the avatar had left).
describe('a stop at a tile border', () => {
  for (const seed of seeds(2, 900)) {
    for (const others of [0, 1]) {
      for (const past of [0, 0.3, 0.6]) {
        it(`seed ${seed}: ${others} other player(s), stop sent ${past} m past the border: the avatar rests within 0.6 m`, () =>
          withSeed(seed, async () => {
            await initPhysics();
            const h = new Harness({ seed, scene: SCENES['audit']!(), conditions: { delayMs: 30, jitterMs: 15, loss: 0 } });
            const p = h.addClient('walker', 'relay').client;
            expect(h.runUntil(() => p.stats().ownedTiles.some((t) => tileKey(t) === '0,0,0'), 8000)).toBeGreaterThanOrEqual(0);
            for (let i = 0; i < others; i++) {
              const q = h.addClient(`other${i}`, 'relay').client;
              expect(h.runUntil(() => q.joined, 5000)).toBeGreaterThanOrEqual(0);
            }
            h.run(1000);
            const x = (): number => p.entities().find((e) => e.id === p.avatar)!.position.x;
            p.send({ moveX: 1 });
            const border = 16; // tiles 0,0,0 and 1,0,0 of the audit scene
            expect(h.runUntil(() => x() >= border + past, 6000)).toBeGreaterThanOrEqual(0);
            const stoppedAt = x();
            p.send({ moveX: 0 });
            h.run(3000);
            // Walking at 5 m/s, an input applied on time leaves 0.1–0.45 m of deceleration and view lag.
            expect(x() - stoppedAt).toBeLessThan(0.6);
            expect(h.logs.filter((l) => l['msg'] === 'incident')).toEqual([]);
            h.relay.close();
          }));
      }
    }
  }
});
