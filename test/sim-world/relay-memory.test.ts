import { describe, expect, it } from 'vitest';
import { initPhysics } from '../../src/index.js';
import { SCENES } from '../../relay/server.js';
import { Harness, seeds, withSeed } from '../harness/harness.js';

// What the relay keeps must not grow with the world's age or with the players that came and
// went: a minute of churn (three players join, walk, throw, then leave or crash, every 4 s) ends
// holding what it held after half a minute, once every time-boxed record (departed players are
// remembered for 30 s) has had time to expire.
const ROUND_MS = 4000;
const ROUNDS = 16;

describe('relay memory under churn', () => {
  for (const seed of seeds(1, 41)) {
    it(`seed ${seed}: a minute of players joining and leaving leaves the relay holding no more than at half a minute`, () =>
      withSeed(seed, async () => {
        await initPhysics();
        const h = new Harness({ seed, scene: SCENES['audit']!(), conditions: { delayMs: 10, jitterMs: 5, loss: 0.02 }, relay: { auditSeed: seed } });
        const byRound: Record<string, number>[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const players = [0, 1, 2].map((i) => h.addClient(`r${round}p${i}`));
          expect(h.runUntil(() => players.every((p) => p.client.joined), 3000)).toBeGreaterThanOrEqual(0);
          players.forEach((p, i) => p.client.send({ moveX: i === 0 ? 1 : 0, moveZ: i === 1 ? 1 : -1 }));
          h.run(1200);
          players[2]!.client.send({ throw: true, vx: 4, vy: 3, vz: 0, atTick: players[2]!.client.currentTick() });
          h.run(ROUND_MS - 1200 - 400);
          players[0]!.client.close();
          players[1]!.client.close();
          players[2]!.crash();
          h.run(400);
          // Every tile is the relay's again: what the world holds (balls thrown stay) is all there is.
          byRound.push({ ...h.relay.retained(), worldEntities: h.relay.ownWorld.entityCount });
        }
        const half = byRound[ROUNDS / 2 - 1]!;
        const end = byRound[ROUNDS - 1]!;
        console.log(`seed ${seed}: the relay held after ${(ROUNDS / 2) * 4} s ${JSON.stringify(half)}; after ${ROUNDS * 4} s ${JSON.stringify(end)}`);
        // Where each entity was last put: one record per entity that exists, and the avatars of
        // players gone while the relay remembers them (30 s), no more.
        expect(end['committed']).toBeLessThanOrEqual(end['worldEntities']! + end['departed']!);
        for (const [kind, n] of Object.entries(end)) {
          if (kind === 'committed' || kind === 'worldEntities') continue; // grows with the balls thrown, which stay in the world
          // A little slack for what is in flight at the moment of the sample (one round's worth).
          expect(n, `${kind} after ${ROUNDS * 4} s (${half[kind]} after ${(ROUNDS / 2) * 4} s)`).toBeLessThanOrEqual(Math.ceil((half[kind] ?? 0) * 1.25) + 8);
        }
        expect(end['peers']).toBe(0);
        expect(end['connections']).toBe(0);
        h.relay.close();
      }),
    180_000);
  }
});
