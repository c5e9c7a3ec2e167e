import { describe, expect, it } from 'vitest';
import { initPhysics, tileKey } from './imports.js';
import { Harness, seeds, withSeed } from './harness.js';
import { SCENES } from '../../relay/server.js';

// An honest owner whose tab stalls (its simulation and its message handling stop for 3 s, its
// connection stays open) is not convicted: its tiles move on after about a second of silence,
// viewers see them move again, no avatar is lost, and it plays on when it thaws.
describe('a frozen owner', () => {
  for (const seed of seeds(3, 700)) {
    it(`seed ${seed}: stalls for 3 s; its tiles move within 1.5 s, no one is convicted, no avatar is lost`, () =>
      withSeed(seed, async () => {
        await initPhysics();
        const h = new Harness({ seed, scene: SCENES['audit']!(), conditions: { delayMs: 10, jitterMs: 5, loss: 0.01 } });
        const owner = h.addClient('frozen', 'relay');
        expect(h.runUntil(() => owner.client.stats().ownedTiles.some((t) => tileKey(t) === '0,0,0'), 8000)).toBeGreaterThanOrEqual(0);
        const viewer = h.addClient('viewer', 'relay').client;
        expect(h.runUntil(() => viewer.joined && viewer.entities().some((e) => e.id === owner.client.avatar), 5000)).toBeGreaterThanOrEqual(0);
        h.run(1000);
        const avatars = [owner.client.avatar, viewer.avatar];
        const ownerPeer = owner.client.peerId;

        owner.freeze!(3000);
        const start = h.scheduler.now();
        // The tile moves on (to the relay, or the viewer) within ~1.5 s of the stall.
        const moved = h.runUntil(() => h.relay.directory().find((d) => tileKey(d.tile) === '0,0,0')!.owner !== ownerPeer, 3000);
        expect(moved).toBeGreaterThanOrEqual(0);
        expect(moved).toBeLessThanOrEqual(1500);
        // The viewer sees the tile's entities move again: the ball keeps rolling on its screen.
        const ballAt = (): number | undefined => viewer.entities().find((e) => e.id === 41)?.position.x;
        const x0 = ballAt();
        expect(h.runUntil(() => ballAt() !== undefined && ballAt() !== x0, 1000)).toBeGreaterThanOrEqual(0);
        h.run(3000 - (h.scheduler.now() - start) + 2000); // thaws, and plays on
        // No conviction: only the liveness takeover, and the owner is not judged.
        const incidents = h.logs.filter((l) => l['msg'] === 'incident');
        expect(incidents.every((i) => i['reason'] === 'lease-expired')).toBe(true);
        // Every avatar is in the world, exactly once: in the relay's tiles or a player's committed state.
        for (const id of avatars) expect(viewer.entities().filter((e) => e.id === id)).toHaveLength(1);
        expect(owner.client.entities().filter((e) => avatars.includes(e.id))).toHaveLength(2);
        h.relay.close();
      }));
  }
});
