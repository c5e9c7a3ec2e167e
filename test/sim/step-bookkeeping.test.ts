import { describe, expect, it } from 'vitest';
import { BehaviourRegistry, benchScene, defineKind, initPhysics, resolveWorldConfig, standardKinds, TileSimulation, TileWorld, type EntityDesc } from '../../src/index.js';

// The step and the hash keep bookkeeping so that a tick costs O(awake bodies) (positions read at
// the end of a step are reused by the hash, behaviours are dispatched only to kinds that have a
// handler, entities are looked up once per handler call). None of it may change what a tick does
// or what the hash covers.

const config = resolveWorldConfig({ tileEdge: 16 });
const still = { rotation: { x: 0, y: 0, z: 0, w: 1 }, linvel: { x: 0, y: 0, z: 0 }, angvel: { x: 0, y: 0, z: 0 } };
const ball = (id: number, x: number): EntityDesc => ({ id, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: 0.25 } }, state: { position: { x, y: 2, z: 8 }, ...still }, props: {} });

describe('step bookkeeping', () => {
  it('the hash covers every body where it is, before the first step and right after a restore or a tamper', async () => {
    await initPhysics();
    const tile = { x: 0, y: 0, z: 0 };
    const a = TileSimulation.create(tile, config, standardKinds(), [ball(1, 4), ball(2, 8)]);
    const b = TileSimulation.create(tile, config, standardKinds(), [ball(1, 4), ball(2, 8.001)]);
    try {
      // Tick 0, nothing stepped yet: the position is read, not taken from a previous step.
      expect(a.hash()).not.toBe(b.hash());
      a.step();
      b.step();
      expect(a.hash()).not.toBe(b.hash());
      // Moved outside the rules after a step: the hash sees the new place at once.
      const before = a.hash();
      a.tamper(2, { position: { x: 8.5, y: 2, z: 8 } });
      expect(a.hash()).not.toBe(before);
      // Restored, not stepped: the same hash as the tile it was taken from.
      const again = TileSimulation.restore(a.snapshot(), config, standardKinds());
      try {
        expect(again.hash()).toBe(a.hash());
        again.step();
        a.step();
        expect(again.hash()).toBe(a.hash());
      } finally {
        again.dispose();
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('dispatches onStep only to kinds that have one, in id order; an entity spawned by a handler takes its first step at the next tick', async () => {
    await initPhysics();
    const calls: string[] = [];
    const box = { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.25, y: 0.25, z: 0.25 } } } as const;
    const registry = new BehaviourRegistry().define(
      defineKind({ name: 'inert', body: box }),
      defineKind({
        name: 'ticker',
        body: box,
        props: { steps: { type: 'number', default: 0 } },
        onStep: (ctx, self) => {
          calls.push(`${ctx.tick}:${self}`);
          ctx.setProp(self, 'steps', (ctx.prop(self, 'steps') as number) + 1);
        },
      }),
      defineKind({
        name: 'spawner',
        body: box,
        onStep: (ctx, self) => {
          calls.push(`${ctx.tick}:${self}`);
          if (ctx.tick === 0) ctx.spawn({ kind: 'ticker', position: { x: 12, y: 1, z: 12 } });
        },
      }),
    );
    const at = (id: number, kind: string, x: number): EntityDesc => ({ id, kind, body: box, state: { position: { x, y: 1, z: 4 }, ...still }, props: {} });
    // Given out of order: creation, and dispatch, follow ids.
    const sim = TileSimulation.create({ x: 0, y: 0, z: 0 }, config, registry, [at(30, 'ticker', 6), at(10, 'spawner', 2), at(20, 'inert', 4)]);
    try {
      const first = sim.step();
      expect(first.spawned).toHaveLength(1);
      const spawned = first.spawned[0]!;
      expect(calls).toEqual(['0:10', '0:30']);
      calls.length = 0;
      sim.step();
      const tick1 = [10, 30, spawned].sort((x, y) => x - y).map((id) => `1:${id}`);
      expect(calls).toEqual(tick1);
      expect(sim.describe(spawned).props['steps']).toBe(1);
      expect(sim.describe(30).props['steps']).toBe(2);
      // A handler that despawns an entity: it is gone after the step, and no longer dispatched to.
      sim.receiveRemovals([30]);
      calls.length = 0;
      sim.step();
      expect(calls).toEqual([10, spawned].sort((x, y) => x - y).map((id) => `2:${id}`));
    } finally {
      sim.dispose();
    }
  });

  it('a crowd of walkers stepped and hashed every tick, and one restored halfway, agree tick by tick', async () => {
    await initPhysics();
    const registry = standardKinds();
    const scene = benchScene('avatars', 60, 32);
    const world = TileWorld.fromScene(scene, registry);
    try {
      for (let t = 0; t < 90; t++) world.step();
      const copy = TileWorld.restore(world.snapshot(), registry, scene.config);
      // The hash after each of the next 90 ticks.
      const hashes = (w: TileWorld): string[] => Array.from({ length: 90 }, () => {
        w.step();
        return w.hash();
      });
      try {
        expect(hashes(copy)).toEqual(hashes(world));
      } finally {
        copy.dispose();
      }
    } finally {
      world.dispose();
    }
  });
});
