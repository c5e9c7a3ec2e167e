// Prints a world's relay log lines (refusals, incidents, takeovers) for chasing a violation:
// SIM_SPEC='<json>' (or SIM_SEED=n) [ALL=1] npx tsx test/sim-world/debug-replay.ts
import { initPhysics } from '../../src/index.js';
import { runWorld } from './run-world.js';
import { generateWorld, type WorldSpec } from './world-spec.js';
import { CI_MAX_PLAYERS, CI_WORLD_MS } from './campaign.js';

await initPhysics();
const spec = process.env['SIM_SPEC'] ? (JSON.parse(process.env['SIM_SPEC']) as WorldSpec) : generateWorld(Number(process.env['SIM_SEED'] ?? 1), CI_WORLD_MS, CI_MAX_PLAYERS);
console.log(JSON.stringify(spec.events.filter((e) => e.kind !== 'walk')));
const r = runWorld(spec, undefined, (logs) => {
  for (const l of logs) if (process.env['ALL'] || l['level'] !== 'info' || l['msg'] === 'handoff') console.log(JSON.stringify(l).slice(0, 400));
});
console.log(JSON.stringify(r.violation ?? 'no violation'));
