import { initPhysics } from '../../src/index.js';
import { runWorld } from './run-world.js';
import { generateWorld } from './world-spec.js';
await initPhysics();
const r = runWorld(generateWorld(Number(process.argv[2]), 4500, 4));
console.log(JSON.stringify(r.violation));
