import { describe, expect, it } from 'vitest';
import { CANNON_SCENE, cannonScene, initPhysics, standardKinds, tileKey, TileWorld } from '../../src/index.js';

describe('the paper’s Figure 1(c) cannon', () => {
  it('touching the switch makes the cannon fire a ball, which flies across the border into the next tile', async () => {
    await initPhysics();
    const world = TileWorld.fromScene(cannonScene(), standardKinds());
    for (let t = 0; t < 30; t++) world.step();
    expect(world.describeAll().filter((e) => e.kind === 'cannonball')).toHaveLength(0); // nothing fires by itself
    world.step([{ entity: CANNON_SCENE.avatar, seq: 0, data: { moveX: -1 } }]);
    let firedAt = -1;
    let ballId = -1;
    for (let t = 0; t < 120 && firedAt < 0; t++) {
      world.step();
      const balls = world.describeAll().filter((e) => e.kind === 'cannonball');
      if (balls.length > 0) {
        firedAt = world.tick;
        ballId = balls[0]!.id;
      }
    }
    expect(firedAt).toBeGreaterThan(0);
    expect(world.describe(CANNON_SCENE.switch)!.props['presses']).toBe(1);
    expect(world.describe(CANNON_SCENE.cannon)!.props['shots']).toBe(1);
    const born = world.describe(ballId)!;
    expect(born.state.linvel.x).toBeGreaterThan(5); // kicked along the barrel (0.8, 0.6)
    expect(born.state.linvel.y).toBeGreaterThan(3);
    // The ball lands in tile (1,0,0): it migrates there and keeps its id.
    let crossed = false;
    for (let t = 0; t < 240; t++) {
      world.step();
      if (world.tileOfEntity(ballId) && tileKey(world.tileOfEntity(ballId)!) === '1,0,0') crossed = true;
    }
    expect(crossed).toBe(true);
    expect(world.describe(ballId)!.kind).toBe('cannonball');
  });

  it('the switch has a cooldown: standing on it fires once, not every tick', async () => {
    await initPhysics();
    const world = TileWorld.fromScene(cannonScene(), standardKinds());
    world.step([{ entity: CANNON_SCENE.avatar, seq: 0, data: { moveX: -1 } }]);
    for (let t = 0; t < 50; t++) world.step();
    expect(world.describe(CANNON_SCENE.cannon)!.props['shots']).toBe(1);
  });
});
