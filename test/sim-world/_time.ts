import { initPhysics } from '../../src/index.js';
import { runWorld } from './run-world.js';
import { generateWorld } from './world-spec.js';
await initPhysics();
const from = Number(process.argv[2] ?? 1), n = Number(process.argv[3] ?? 40);
const t0 = performance.now();
let v = 0;
for (let s = from; s < from + n; s++) if (runWorld(generateWorld(s, 4500, 4)).violation) { v++; console.log('violation', s); }
console.log(((performance.now() - t0) / n).toFixed(0), 'ms/world', v, 'violations');
