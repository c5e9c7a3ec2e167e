import { CANNON_SCENE, TileWorld, cannonScene, initPhysics, standardKinds } from '../../src/index.js';

await initPhysics(); // load Rapier's WASM once
const scene = cannonScene();
const world = TileWorld.fromScene(scene, standardKinds());
world.step([{ entity: CANNON_SCENE.avatar, seq: 0, data: { moveX: -1 } }]); // inputs for this tick
for (let i = 0; i < 120; i++) world.step();
console.log(world.tick, world.entityCount, world.hash()); // the same hash in every runtime

// A snapshot restores into a fresh world that continues bit-identically.
const copy = TileWorld.restore(world.snapshot(), standardKinds(), scene.config);
world.step();
copy.step();
console.log(copy.hash() === world.hash()); // true
