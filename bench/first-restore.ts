// One sample of a process's first tile restore, in a fresh Node process (bench/run.ts starts
// several): what bench/run.ts does first, and nothing else — load Rapier, step the 100-box pile
// with the engine and bare Rapier (`benchTileStep`), snapshot it, restore it once. Prints
// `{"restoreMs": …}` on stdout.
import { initPhysics } from '../src/index.js';
import { benchTileStep } from './tile-step-bench.js';

await initPhysics();
const r = benchTileStep('pile', 100, 60, 300, () => performance.now());
console.log(JSON.stringify({ restoreMs: r.restoreMs, restoreMedianMs: r.restoreMedianMs }));
