import { describe, expect, it } from 'vitest';
import { initPhysics, resolveWorldConfig, standardKinds, tileKey, TileSimulation } from './imports.js';
import { Harness, seeds, withSeed } from './harness.js';
import { SCENES } from '../../relay/server.js';

// What the relay saves is a cut of the whole world: tiles players own are saved as their last
// trusted state (older than the relay's own tiles), so an entity crossing between tiles of
// different owners in between must be neither lost nor saved twice.

describe('relay checkpoints', () => {
  for (const seed of seeds(3)) {
    it(`seed ${seed}: every checkpoint holds each entity of the demo scene exactly once while balls roll between players' tiles and the relay's`, () =>
      withSeed(seed, async () => {
        await initPhysics();
        const scene = SCENES['demo']!();
        const config = resolveWorldConfig(scene.config);
        const registry = standardKinds();
        const h = new Harness({ seed, scene, conditions: { delayMs: 10, jitterMs: 8, loss: 0.01 } });
        const a = h.addClient('ann').client;
        const b = h.addClient('ben').client;
        expect(h.runUntil(() => a.joined && b.joined, 3000)).toBeGreaterThanOrEqual(0);
        // ben walks into the next tile: players' tiles (one player may hold two) beside the relay's.
        b.send({ moveX: 1 });
        h.run(2200);
        b.send({ moveX: 0 });
        const balls = scene.entities.filter((e) => e.kind === 'ball').map((e) => e.id);
        const sceneIds = scene.entities.filter((e) => e.kind !== 'avatar').map((e) => e.id).sort((x, y) => x - y);
        const ownerOf = (id: number): string => {
          const e = a.entities().find((x) => x.id === id);
          return e ? `${e.owner}` : '?';
        };
        const last = new Map<number, string>();
        let crossings = 0;
        for (let t = 0; t < 15_000; t += 50) {
          h.run(50);
          for (const id of balls) {
            const o = ownerOf(id);
            if (last.has(id) && last.get(id) !== o && o !== '?') crossings++;
            last.set(id, o);
          }
          const count = new Map<number, number>();
          for (const c of h.relay.checkpoints()) {
            const sim = TileSimulation.restore(c.snapshot, config, registry);
            for (const id of sim.entityIds()) count.set(id, (count.get(id) ?? 0) + 1);
            sim.dispose();
          }
          const wrong = sceneIds.filter((id) => count.get(id) !== 1).map((id) => `${id}×${count.get(id) ?? 0}`);
          expect(wrong, `checkpoint at ${t} ms`).toEqual([]);
        }
        console.log(`seed ${seed}: balls changed owner ${crossings} times; 300 checkpoints each held every scene entity once`);
        expect(crossings).toBeGreaterThanOrEqual(2);
        expect(new Set([...h.relay.directory().map((d) => d.owner)]).size).toBeGreaterThanOrEqual(2); // players' tiles beside the relay's
        h.relay.close();
      }),
    120_000);
  }
});
