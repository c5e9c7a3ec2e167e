import { describe, expect, it } from 'vitest';
import { entityDesc, groundBody, initPhysics, standardKinds, TileWorld, type SceneDesc } from '../../src/index.js';

// A fixed shelf whose centre lies in tile (0,0,0) reaches 1 m over the border into tile (1,0,0).
// A box dropped above the overhang, in tile (1,0,0), must land on the shelf's ghost.
function shelfScene(ghostMargin: number): SceneDesc {
  return {
    config: { tileEdge: 16, ghostMargin },
    entities: [
      entityDesc({ id: 1, kind: 'ground', body: groundBody(2, 0.25, 2), position: { x: 15, y: 5, z: 8 } }),
      entityDesc({ id: 2, kind: 'box', body: { type: 'dynamic', shape: { type: 'box', halfExtents: { x: 0.25, y: 0.25, z: 0.25 } } }, position: { x: 16.5, y: 7, z: 8 } }),
    ],
  };
}

describe('ghosts', () => {
  it('a body in one tile rests on a fixed body of the neighbour tile', async () => {
    await initPhysics();
    const world = TileWorld.fromScene(shelfScene(2), standardKinds());
    for (let t = 0; t < 120; t++) world.step();
    const box = world.describe(2)!;
    expect(box.state.position.y).toBeCloseTo(5.5, 1); // on the shelf top (5.25) plus half its size
    expect(world.tileAt({ x: 1, y: 0, z: 0 })!.ghostCount).toBeGreaterThan(0);
  });

  it('without ghosts the same box falls through (the test can fail)', async () => {
    await initPhysics();
    const world = TileWorld.fromScene(shelfScene(0), standardKinds());
    // margin 0 still ghosts bodies whose shape reaches over the border; move the shelf away from it.
    const scene = shelfScene(0);
    const far: SceneDesc = { ...scene, entities: [entityDesc({ id: 1, kind: 'ground', body: groundBody(2, 0.25, 2), position: { x: 8, y: 5, z: 8 } }), scene.entities[1]!] };
    const w2 = TileWorld.fromScene(far, standardKinds());
    for (let t = 0; t < 120; t++) w2.step();
    expect(w2.describe(2)!.state.position.y).toBeLessThan(0);
    world.dispose();
  });

  it('a ball rolling into a ghost wall across the border bounces back', async () => {
    await initPhysics();
    const scene: SceneDesc = {
      config: { tileEdge: 16 },
      entities: [
        entityDesc({ id: 1, kind: 'ground', body: groundBody(8, 0.5, 8), position: { x: 8, y: 0.5, z: 8 } }),
        entityDesc({ id: 2, kind: 'ground', body: groundBody(8, 0.5, 8), position: { x: 24, y: 0.5, z: 8 } }),
        entityDesc({ id: 3, kind: 'ground', body: groundBody(0.25, 1, 4), position: { x: 16.5, y: 2, z: 8 } }),
        entityDesc({ id: 4, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: 0.25 }, restitution: 0.9, friction: 0 }, position: { x: 13, y: 1.25, z: 8 }, linvel: { x: 4, y: 0, z: 0 } }),
      ],
    };
    const world = TileWorld.fromScene(scene, standardKinds());
    let maxX = 0;
    for (let t = 0; t < 120; t++) {
      world.step();
      maxX = Math.max(maxX, world.describe(4)!.state.position.x);
    }
    expect(maxX).toBeLessThan(16.26); // stopped by the wall face at 16.25
    expect(maxX).toBeGreaterThan(15.5);
    expect(world.describe(4)!.state.linvel.x).toBeLessThan(0);
  });
});
