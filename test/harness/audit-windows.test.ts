import { describe, expect, it } from 'vitest';
import { initPhysics } from './imports.js';
import { Harness, seeds, withSeed } from './harness.js';
import { SCENES } from '../../relay/server.js';

// Every complete 5-tick window of a player-owned tile is put to the audit's draw once. The desk
// used to start from the tick after a batch's first one, so the window ending where a batch began
// was never considered: an owner whose commitment batches started on a multiple of 5 (honest 10-tick
// batches keep whatever alignment their lease began with) had half its windows out of the audit's
// reach, and one that cut 5-tick batches so could not be audited at all (found by the swarm's light
// players: 0 windows seen, 0 audits).
describe('audit windows', () => {
  // Players join 0–4 ticks apart from one seed to the next, so their leases start at every phase of the 5-tick windows.
  for (const seed of seeds(5, 40)) {
    it(`seed ${seed}: every complete window of a player's tile is considered`, () =>
      withSeed(seed, async () => {
        await initPhysics();
        const h = new Harness({ seed, scene: SCENES['audit']!(), conditions: { delayMs: 10, jitterMs: 5, loss: 0 } });
        h.run(((seed % 5) * 1000) / 60 + 1);
        const a = h.addClient('alice', 'auto').client;
        const b = h.addClient('bob', 'auto').client;
        expect(h.runUntil(() => a.joined && b.joined && a.stats().ownedTiles.length + b.stats().ownedTiles.length > 0, 8000)).toBeGreaterThanOrEqual(0);
        const windows0 = h.relay.audit.counters.windowsSeen;
        const commits0 = h.relay.metrics.commits;
        for (let i = 0; i < 8; i++) {
          a.send({ moveX: i % 2 === 0 ? 1 : -1, moveZ: 0.2 });
          b.send({ moveX: i % 2 === 0 ? -1 : 1, moveZ: -0.2 });
          h.run(1000);
        }
        const windows = h.relay.audit.counters.windowsSeen - windows0;
        const committed = h.relay.metrics.commits - commits0;
        console.log(`seed ${seed}: ${windows} windows for ${committed} ticks`);
        // A lease's first partial window is not complete, and the last batch's may not be yet.
        expect(committed).toBeGreaterThan(400);
        expect(windows, `${windows} windows considered for ${committed} committed ticks`).toBeGreaterThanOrEqual(Math.floor((committed / 5) * 0.9));
        h.relay.close();
      }));
  }
});
