import { describe, expect, it } from 'vitest';
import { cannonScene, commitOf, initPhysics, resolveWorldConfig, standardKinds, TileSimulation, TileWorld, type TesseraError } from '../../src/index.js';

/** A tile of the cannon scene with things in it, 60 ticks in. */
async function tileWithBodies(): Promise<{ sim: TileSimulation; dynamicId: number }> {
  await initPhysics();
  const world = TileWorld.fromScene(cannonScene(), standardKinds());
  for (let t = 0; t < 60; t++) world.step();
  const sim = [...world.tileList()].sort((a, b) => b.entityCount - a.entityCount)[0]!;
  const dynamicId = sim.describeAll().find((e) => e.body.type === 'dynamic')!.id;
  return { sim, dynamicId };
}

describe('physics parameters come from the world config, never from a snapshot', () => {
  const config = resolveWorldConfig(cannonScene().config);

  it('an honest snapshot restores with the same commitment', async () => {
    const { sim } = await tileWithBodies();
    const back = TileSimulation.restore(sim.snapshot(), config, standardKinds());
    expect(commitOf(back)).toEqual(commitOf(sim));
    back.dispose();
  });

  it('a snapshot whose world has other gravity is refused, naming the parameter', async () => {
    const { sim } = await tileWithBodies();
    sim.tamperGravity({ x: 0, y: -1, z: 0 });
    let err: TesseraError | undefined;
    try {
      TileSimulation.restore(sim.snapshot(), config, standardKinds()).dispose();
    } catch (e) {
      err = e as TesseraError;
    }
    expect(err?.code).toBe('bad-snapshot');
    expect(err?.message).toMatch(/gravity\.y/);
  });

  it('a body made weightless or frictionless in the snapshot is refused', async () => {
    for (const change of [{ gravityScale: 0 }, { friction: 0 }] as const) {
      const { sim, dynamicId } = await tileWithBodies();
      sim.tamper(dynamicId, change);
      expect(() => TileSimulation.restore(sim.snapshot(), config, standardKinds())).toThrow(new RegExp(`entity ${dynamicId}'s (gravity scale|friction)`));
    }
  });
});
