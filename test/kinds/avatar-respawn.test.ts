import { expect, it } from 'vitest';
import { AVATAR_BODY, AVATAR_RESPAWN_DROP_M, initPhysics, standardKinds, TileWorld, type EntityDesc, type SceneDesc } from '../../src/index.js';

// A player who walks off the world's edge keeps an avatar: it falls, and once it is 30 m below the
// spawn point it comes back there at rest (fault simulator, demo world 946: an avatar fell below
// floorY and was removed while its player stayed connected). Every node runs the avatar kind, so
// owner, replicas and audit agree; the body moves to the spawn tile by the usual migration.
it('an avatar that walks off the edge of the world comes back at the spawn point, and is never removed', async () => {
  await initPhysics();
  const at = (x: number, y: number, z: number) => ({ position: { x, y, z }, rotation: { x: 0, y: 0, z: 0, w: 1 }, linvel: { x: 0, y: 0, z: 0 }, angvel: { x: 0, y: 0, z: 0 } });
  const floor: EntityDesc = { id: 1, kind: 'ground', body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 8, y: 0.5, z: 8 } } }, state: at(8, -0.5, 8), props: {} };
  const avatar: EntityDesc = { id: 1_000_000, kind: 'avatar', body: AVATAR_BODY, state: at(13, 1.01, 8), props: { moveX: 1 } };
  const scene: SceneDesc = { config: { tileEdge: 16, spawnPoint: { x: 4, y: 1.81, z: 4 } }, entities: [floor, avatar] };
  const world = TileWorld.fromScene(scene, standardKinds());
  try {
    let lowest = Infinity;
    let offEdge = false;
    let back = -1;
    for (let t = 0; t < 60 * 6 && back < 0; t++) {
      world.step();
      const tile = world.tileOfEntity(avatar.id);
      expect(tile, `the avatar is in some tile at tick ${t + 1}`).toBeDefined();
      const p = world.tileAt(tile!)!.describe(avatar.id).state.position;
      lowest = Math.min(lowest, p.y);
      if (p.x > 16) offEdge = true;
      if (offEdge && Math.abs(p.x - 4) < 0.5 && Math.abs(p.z - 4) < 0.5 && p.y > 0) back = t + 1;
    }
    expect(offEdge).toBe(true);
    expect(back, 'came back to the spawn point').toBeGreaterThan(0);
    // It fell about AVATAR_RESPAWN_DROP_M below the spawn point first, never to the floor (-100).
    expect(lowest).toBeLessThan(1.81 - AVATAR_RESPAWN_DROP_M + 1);
    expect(lowest).toBeGreaterThan(1.81 - AVATAR_RESPAWN_DROP_M - 2);
    // Back on the floor: it walks on (moveX held) from the spawn point.
    const tile = world.tileOfEntity(avatar.id)!;
    expect(tile).toEqual({ x: 0, y: 0, z: 0 });
  } finally {
    world.dispose();
  }
});
