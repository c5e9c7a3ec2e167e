import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SCENE, demoScene, initPhysics, standardKinds, tileKey, TileWorld, type EntityId } from '../../src/index.js';

// `forEachMoving` hands back last tick's motion for a body asleep since before the last step,
// without reading physics (what keeps a replica world of resting crates cheap). Whatever it hands
// out must be what physics says, tick after tick: through bodies falling asleep, waking on a
// push, and settling again.

describe('TileSimulation.forEachMoving', () => {
  beforeAll(async () => {
    await initPhysics();
  });

  it('agrees with a fresh read of physics every tick of the demo world, and reuses records of sleeping bodies', () => {
    const world = TileWorld.fromScene(demoScene(), standardKinds());
    const previous = new Map<string, Map<EntityId, Float64Array>>();
    let reused = 0;
    let read = 0;
    try {
      for (let tick = 0; tick < 600; tick++) {
        if (tick === 300) {
          // Push a crate of the border stack (asleep by now): it wakes and moves, then settles again.
          const crate = DEMO_SCENE.borderBoxes + 5;
          const holder = world.tileList().find((s) => s.has(crate))!;
          holder.tamper(crate, { linvel: { x: 0, y: 4, z: 1 } });
        }
        world.step();
        for (const sim of world.tileList()) {
          const key = tileKey(sim.tile);
          const before = previous.get(key);
          const now = new Map<EntityId, Float64Array>();
          sim.forEachMoving((id, motion) => {
            if (before?.get(id) === motion) reused++;
            else read++;
            now.set(id, motion);
          }, before);
          previous.set(key, now);
          sim.forEachMotion((id, p, _q, v, fixed, w) => {
            if (fixed) {
              expect(now.has(id)).toBe(false);
              return;
            }
            const m = now.get(id);
            expect(m, `tick ${tick}: entity ${id} not visited`).toBeDefined();
            const fresh = [p.x, p.y, p.z, v.x, v.y, v.z, w.x, w.y, w.z];
            expect([...m!], `tick ${tick}: entity ${id} handed out a stale motion`).toEqual(fresh);
          });
        }
      }
    } finally {
      world.dispose();
    }
    // Most of the demo world rests: most motions are reused, and bodies are read too.
    expect(reused).toBeGreaterThan(read);
    expect(read).toBeGreaterThan(600);
  });
});
