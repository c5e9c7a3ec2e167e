import { expect, it } from 'vitest';
import { BehaviourRegistry, defineKind, initPhysics, resolveWorldConfig, TileSimulation, type EntityDesc } from '../../src/index.js';

// A takeover resumes a tile from a state older than its owner had reached; the owner may have
// spawned entities meanwhile that went on to other tiles. skipSpawnIds() makes the resumed tile
// give none of those ids again (fault simulator, demo world 712: two balls with one id).
it('after skipSpawnIds a tile spawns with ids a copy of it from the same state would not give; without, the same ids', async () => {
  await initPhysics();
  const config = resolveWorldConfig({ tileEdge: 16 });
  const box = { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.25, y: 0.25, z: 0.25 } } } as const;
  const registry = new BehaviourRegistry().define(
    defineKind({ name: 'thing', body: box }),
    defineKind({ name: 'spawner', body: box, onStep: (ctx) => void ctx.spawn({ kind: 'thing', position: { x: 12, y: 1, z: 12 } }) }),
  );
  const spawner: EntityDesc = { id: 10, kind: 'spawner', body: box, state: { position: { x: 2, y: 1, z: 4 }, rotation: { x: 0, y: 0, z: 0, w: 1 }, linvel: { x: 0, y: 0, z: 0 }, angvel: { x: 0, y: 0, z: 0 } }, props: {} };
  const origin = TileSimulation.create({ x: 0, y: 0, z: 0 }, config, registry, [spawner]);
  const state = origin.snapshot();
  origin.dispose();
  const spawnedIn = (skip: boolean, ticks: number): number[] => {
    const sim = TileSimulation.restore(state, config, registry);
    try {
      if (skip) sim.skipSpawnIds();
      return Array.from({ length: ticks }, () => sim.step().spawned).flat();
    } finally {
      sim.dispose();
    }
  };
  const owner = spawnedIn(false, 5);
  expect(owner).toHaveLength(5);
  expect(spawnedIn(false, 5)).toEqual(owner);
  const resumed = spawnedIn(true, 5);
  expect(resumed).toHaveLength(5);
  for (const id of resumed) expect(owner).not.toContain(id);
});
