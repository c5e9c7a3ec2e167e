import { describe, expect, it } from 'vitest';
import { borderRollScene, busyScene, initPhysics, ROLLING_BALL, standardKinds, tileKey, TileWorld, type EntityId } from '../../src/index.js';

describe('migration between tiles', () => {
  it('conserves entities and their ids over 1,000 ticks of a busy scene', async () => {
    await initPhysics();
    const world = TileWorld.fromScene(busyScene(80, { seed: 5 }), standardKinds());
    const ids = world.describeAll().map((e) => e.id);
    const kinds = new Map(world.describeAll().map((e) => [e.id, e.kind]));
    let migrations = 0;
    const tilesSeen = new Map<EntityId, Set<string>>();
    for (let t = 0; t < 1000; t++) {
      const r = world.step();
      migrations += r.migrations;
      expect(r.removed).toEqual([]);
      expect(world.entityCount).toBe(ids.length);
      if (t % 10 === 0) for (const id of ids) (tilesSeen.get(id) ?? tilesSeen.set(id, new Set()).get(id)!).add(tileKey(world.tileOfEntity(id)!));
    }
    expect(migrations).toBeGreaterThan(20);
    const after = world.describeAll();
    expect(after.map((e) => e.id)).toEqual(ids);
    for (const e of after) expect(e.kind).toBe(kinds.get(e.id));
    // Each entity is in exactly one tile.
    const owners = world.tileList().flatMap((t) => t.entityIds());
    expect(owners.length).toBe(new Set(owners).size);
    expect([...tilesSeen.values()].filter((s) => s.size > 1).length).toBeGreaterThan(5);
  });

  it('a ball rolling 5 m across a border follows its single-tile path within 1 cm', async () => {
    await initPhysics();
    const split = TileWorld.fromScene(borderRollScene({ tileEdge: 16 }), standardKinds());
    const whole = TileWorld.fromScene(borderRollScene({ tileEdge: 64 }), standardKinds());
    expect(whole.tileList()).toHaveLength(1);
    const start = split.describe(ROLLING_BALL)!.state.position.x;
    let worst = 0;
    let migrated = false;
    while (split.describe(ROLLING_BALL)!.state.position.x < start + 5) {
      split.step();
      whole.step();
      const a = split.describe(ROLLING_BALL)!.state.position;
      const b = whole.describe(ROLLING_BALL)!.state.position;
      worst = Math.max(worst, Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z));
      if (tileKey(split.tileOfEntity(ROLLING_BALL)!) === '1,0,0') migrated = true;
      expect(split.tick).toBeLessThan(1000);
    }
    expect(migrated).toBe(true);
    expect(worst).toBeLessThan(0.01);
  });
});
