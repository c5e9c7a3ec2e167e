import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SCENE, demoScene, initPhysics, resolveWorldConfig, standardKinds, TileSimulation } from '../../src/index.js';

// A replica is rebuilt from its owner's entity states and its resting bodies are put to sleep at
// once (a pile would otherwise be solved for a second for nothing). Put to sleep before the tile
// has stepped, a crate had no contact with the ground it stands on: Rapier woke it and it fell
// through the floor for ~6 ticks (22 cm in a browser tab that stepped late), then climbed back:
// every viewer saw the crates by the spawn point sink and rise as it joined.

describe('TileSimulation.sleepResting', () => {
  beforeAll(async () => {
    await initPhysics();
  });

  it('on a tile that has not stepped yet: the crate stays on the ground and still falls asleep', () => {
    const scene = demoScene();
    const crate = DEMO_SCENE.spawnBoxes;
    // The crate as its owner reports it once settled (resting on the ground at y = 1.25).
    const entities = scene.entities
      .filter((e) => e.id === 1 || e.id === crate)
      .map((e) => (e.id === crate ? { ...e, state: { ...e.state, position: { ...e.state.position, y: 1.2499 } } } : e));
    const sim = TileSimulation.create({ x: 0, y: 0, z: 0 }, resolveWorldConfig(scene.config), standardKinds(), entities, 100);
    try {
      sim.sleepResting();
      let lowest = Infinity;
      for (let i = 0; i < 30; i++) {
        sim.step();
        lowest = Math.min(lowest, sim.describe(crate)!.state.position.y);
      }
      expect(lowest).toBeGreaterThan(1.24);
      expect(sim.describe(crate)!.state.position.y).toBeCloseTo(1.25, 2);
      expect(sim.isSleeping(crate)).toBe(true);
    } finally {
      sim.dispose();
    }
  });
});
