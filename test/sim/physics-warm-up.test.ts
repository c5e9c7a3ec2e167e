import { describe, expect, it } from 'vitest';
import { addPhysicsWarmUp, initPhysics } from '../../src/sim/physics.js';
import { benchScene, standardKinds, TileSimulation, TileWorld } from '../../src/index.js';

describe('physics warm-up (code paths compiled while loading, not at their first use)', () => {
  it('a warm-up registered after physics has loaded runs at once, and only once', async () => {
    await initPhysics();
    let runs = 0;
    addPhysicsWarmUp(() => runs++);
    expect(runs).toBe(1);
    await initPhysics();
    expect(runs).toBe(1);
  });

  it('leaves nothing behind: a tile restored after it continues exactly as its original', async () => {
    await initPhysics();
    const registry = standardKinds();
    const world = TileWorld.fromScene(benchScene('pile', 40), registry);
    for (let i = 0; i < 30; i++) world.step();
    const sim = world.tileList()[0]!;
    const back = TileSimulation.restore(sim.snapshot(), world.config, registry);
    back.setGhostNeighbours([]);
    sim.setGhostNeighbours([]);
    for (let i = 0; i < 30; i++) {
      sim.step();
      back.step();
      expect(back.hashWords()).toEqual(sim.hashWords());
    }
    back.dispose();
    world.dispose();
  });
});
