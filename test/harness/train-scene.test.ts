import { describe, expect, it } from 'vitest';
import { initPhysics, TRAIN_SCENE } from '../../src/index.js';
import { SCENES } from '../../relay/server.js';
import { Harness, withSeed } from './harness.js';

// `tessera relay --scene train` is the paper's scenario (§3.6): Bob rides the train round its
// track while players on the platform watch and throw; the car's tile's owner simulates both.

describe('the relay\'s train scene', () => {
  it('Bob rides the train a full lap, simulated by the player who owns its tile, and a watching player sees him on the roof', async () => {
    await initPhysics();
    await withSeed(11, (seed) => {
      const h = new Harness({ seed, scene: SCENES['train']!(), conditions: { delayMs: 20, jitterMs: 5, loss: 0 } });
      try {
        const alice = h.addClient('alice').client;
        const carol = h.addClient('carol').client;
        if (h.runUntil(() => alice.joined && carol.joined && alice.stats().ownedTiles.length + carol.stats().ownedTiles.length > 0, 5000) < 0) throw new Error(`seed ${seed}: no player got the train's tile`);
        const lap = (2 * Math.PI * TRAIN_SCENE.radius) / TRAIN_SCENE.speed; // s
        let worst = 0;
        for (let t = 0; t < lap * 1000 + 500; t += 50) {
          h.run(50);
          for (const c of [alice, carol]) {
            const es = c.entities();
            const bob = es.find((e) => e.id === TRAIN_SCENE.rider);
            const train = es.find((e) => e.id === TRAIN_SCENE.train);
            expect(bob, 'Bob is shown').toBeDefined();
            // On the roof: his feet at its height, within the car's footprint (3 m half length).
            expect(Math.abs(bob!.position.y - (TRAIN_SCENE.roof + 0.8))).toBeLessThan(0.1);
            worst = Math.max(worst, Math.hypot(bob!.position.x - train!.position.x, bob!.position.z - train!.position.z));
          }
        }
        expect(worst).toBeLessThan(3);
      } finally {
        h.relay.close();
      }
    });
  }, 120_000);
});
