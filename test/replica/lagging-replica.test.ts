import { describe, expect, it } from 'vitest';
import { AVATAR_BODY, DEFAULT_SPECULATION, entityDesc, groundBody, initPhysics, resolveWorldConfig, SpeculativeReplicas, standardKinds } from '../../src/index.js';

// A page that stalls (a busy machine, a tab loading) leaves its replicas far behind the clock.
// Stepping them at most a few ticks per frame, they showed other players seconds in the past
// (measured in headless Chromium: 210 ticks behind, a walking avatar drawn standing at its
// start, then snapping 10 m). A replica that far behind jumps to the present instead.

const tile = { x: 0, y: 0, z: 0 };
const ground = entityDesc({ id: 1, kind: 'ground', body: groundBody(8, 0.5, 8), position: { x: 8, y: 0, z: 8 } });
async function replicasAt100(): Promise<SpeculativeReplicas> {
  await initPhysics();
  return new SpeculativeReplicas(resolveWorldConfig({ tileEdge: 16 }), standardKinds(), 100, DEFAULT_SPECULATION);
}

describe('a replica far behind the clock', () => {
  it('stands at the present after one stepTo, its moving bodies carried along their velocities', async () => {
    const spec = await replicasAt100();
    spec.applyState(tile, 100, [
      ground,
      entityDesc({ id: 2, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: 0.25 } }, position: { x: 2, y: 12, z: 8 }, linvel: { x: 3, y: 0, z: 0 } }), // thrown: in the air for the whole test
    ]);
    spec.stepTo(101);
    const x0 = spec.entities().find((e) => e.id === 2)!.position.x;
    spec.stepTo(101 + 180); // a 3 s stall
    expect(spec.tick).toBe(281);
    const x = spec.entities().find((e) => e.id === 2)!.position.x;
    expect(x - x0).toBeGreaterThan(8.5); // 3 m/s × 3 s
    expect(x - x0).toBeLessThan(9.5);
    // A short lag (a slow frame) is still simulated tick by tick, within the per-call bound.
    spec.stepTo(285);
    expect(spec.tick).toBe(285);
  });

  // A correction may leave a body a little past its tile's border until the replica's next step.
  // The jump must rebuild the tile without it, not throw on every frame (it did: "entity … is
  // not in tile 0,0,0", from WorldClient.update, under CI load).
  it('drops a body a correction left past the border when it jumps, instead of throwing on every frame', async () => {
    const spec = await replicasAt100();
    spec.applyState(tile, 100, [
      ground,
      entityDesc({ id: 3, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: 0.25 } }, position: { x: 4, y: 12, z: 8 }, linvel: { x: 1, y: 0, z: 0 } }),
    ]);
    for (let t = 101; t <= 200; t++) spec.stepTo(t);
    // An owner's update older than the rewind depth applies at the present, carried along its
    // velocity: ball 3 lands past the border, and stays there until the replica's next step.
    const ball = spec.entities().find((e) => e.id === 3)!;
    spec.applyDelta(tile, 120, [{ id: 3, x: 15.5, y: ball.position.y, z: 8, rotation: undefined, vx: 6, vy: 0, vz: 0 }], [], []);
    expect(spec.entities().find((e) => e.id === 3)!.position.x).toBeGreaterThan(16);
    expect(() => spec.stepTo(200 + 180)).not.toThrow();
    expect(spec.tick).toBe(380);
    expect(spec.entities().map((e) => e.id).sort()).toEqual([1]);
    expect(spec.counters.jumps).toBe(1);
  });

  // Fault simulator, seed 682 (shrunk): a player's page froze while its avatar walked on a tile
  // another player owned, and it sent "stop walking that way" during the freeze. The owner's
  // full state of a tick before the input and its deltas after it all came due at the jump back
  // to the present: the full state queued a rebuild, the deltas corrected the replica it was
  // about to replace, and the rebuild (from the older state, its avatar still walking) threw
  // them away. The props change (`moveZ: 0`) rode only on three deltas, so the replica showed
  // the avatar walking on, corrected back by each pose and walking off again, until the next
  // full state (10 s): 1.45 m from its owner at the world's end.
  it("keeps the owner's deltas that came after a full state waiting to rebuild the tile: they correct the rebuilt replica", async () => {
    const spec = await replicasAt100();
    const AVATAR = 5;
    const avatar = (z: number, vz: number, moveZ: number) =>
      entityDesc({ id: AVATAR, kind: 'avatar', body: AVATAR_BODY, position: { x: 8, y: 1.3, z }, linvel: { x: 0, y: 0, z: vz }, props: { moveZ } });
    spec.applyState(tile, 100, [ground, avatar(12, 0, 0)]);
    spec.stepTo(101);
    // Frozen from here: everything the owner sends waits for the replica's clock.
    spec.applyState(tile, 110, [ground, avatar(12, -5, -1)]); // walking
    const stopped = { id: AVATAR, x: 8, y: 1.3, z: 9.5, rotation: undefined, vx: 0, vy: 0, vz: 0 };
    for (let t = 120; t <= 180; t += 3) spec.applyDelta(tile, t, [stopped], [], [], t <= 126 ? [{ id: AVATAR, props: { moveZ: 0 } }] : []);
    spec.stepTo(200); // the page runs again: the replica jumps to the present
    for (let t = 201; t <= 230; t++) spec.stepTo(t);
    const a = spec.entities().find((e) => e.id === AVATAR)!;
    expect(Math.abs(a.velocity.z)).toBeLessThan(0.2);
    expect(Math.abs(a.position.z - 9.5)).toBeLessThan(0.1);
  });
});
