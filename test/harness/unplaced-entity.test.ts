import { describe, expect, it } from 'vitest';
import { groundTiles, initPhysics, tileKey, walls, type EntityDesc, type TileId } from './imports.js';
import { Harness, seeds, withSeed, type HarnessClient } from './harness.js';

const owns = (c: HarnessClient, key: string): boolean => c.client.stats().ownedTiles.some((t) => tileKey(t) === key);

// An entity the relay must place in one of its own tiles while its simulation cannot take it yet
// (six loaded tabs: "entity 60 could not be placed in tile 0,0,1", the train, then four players'
// avatars, refused and gone for good). The relay now keeps it and places it again each tick. Here
// the relay's simulation refuses a walking avatar's arrival the first few times.
describe('an entity the relay cannot place at once', () => {
  for (const seed of seeds(2, 1400)) {
    it(`seed ${seed}: a player's avatar walking into a relay tile whose simulation refuses it 5 times is placed after all; nothing lost`, () =>
      withSeed(seed, async () => {
        await initPhysics();
        const scene = { config: { tileEdge: 16 }, entities: [...groundTiles(16, 0, 2, 0, 0, 1), ...walls(16, 0, 48, 0, 16, 20)] };
        const h = new Harness({ seed, scene, conditions: { delayMs: 20, jitterMs: 10, loss: 0 }, relay: { spawn: { x: 15.5, y: 1.81, z: 8 }, roleOf: (t) => (t === 'viewer' ? 'viewer' : 'creator') } });
        const owner = h.addClient('owner', 'relay');
        expect(h.runUntil(() => owns(owner, '0,0,0'), 8000)).toBeGreaterThanOrEqual(0);
        const walker = h.addClient('walker', 'relay', { token: 'viewer' });
        expect(h.runUntil(() => walker.client.joined && walker.client.reportedPosition(walker.client.avatar) !== undefined, 5000)).toBeGreaterThanOrEqual(0);
        h.run(1000);
        const avatar = walker.client.avatar;
        const authority = (h.relay as unknown as { authority: { insert(e: EntityDesc, fromTick?: number, tile?: TileId): boolean } }).authority;
        const insert = authority.insert.bind(authority);
        let refusals = 0;
        authority.insert = (e, fromTick, tile) => (e.id === avatar && refusals < 5 ? (refusals++, false) : insert(e, fromTick, tile));
        walker.client.send({ moveX: 1 });
        const got = h.runUntil(() => refusals >= 5, 8000);
        expect(got, 'the avatar reached the relay tile').toBeGreaterThanOrEqual(0);
        walker.client.send({ moveX: 0 });
        h.run(2000);
        const tile = h.relay.ownWorld.tileOfEntity(avatar);
        expect(tile && tileKey(tile)).toBe('1,0,0');
        expect(h.logs.filter((l) => l['msg'] === 'entity waits to be placed' && l['entity'] === avatar)).toHaveLength(1);
        expect(h.logs.filter((l) => l['msg'] === 'refused' && String(l['reason']).includes('could not be placed'))).toEqual([]);
        // Its player still sees it, and so does the owner next door.
        expect(walker.client.entities().some((e) => e.id === avatar)).toBe(true);
        expect(owner.client.entities().some((e) => e.id === avatar)).toBe(true);
        h.relay.close();
      }));
  }
});
