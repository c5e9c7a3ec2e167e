// `npm run sim -- --worlds 100000 [--from 1] [--stride 1] [--ms 4500] [--players 4] [--scene audit] [--out sim-summary.json]`:
// a long campaign of the fault simulator; prints progress, writes a JSON summary. Seeds are
// from, from + stride, … (CI runs two processes: odd and even seeds).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initPhysics } from '../../src/index.js';
import { CI_MAX_PLAYERS, CI_WORLD_MS, describeFailure, runSimCampaign } from './campaign.js';

const { values } = parseArgs({ options: { worlds: { type: 'string' }, from: { type: 'string' }, stride: { type: 'string' }, ms: { type: 'string' }, players: { type: 'string' }, scene: { type: 'string' }, out: { type: 'string' } } });
const worlds = Number(values.worlds ?? 1000);
const from = Number(values.from ?? 1);
const stride = Number(values.stride ?? 1);
const durationMs = Number(values.ms ?? CI_WORLD_MS);
const maxPlayers = Number(values.players ?? CI_MAX_PLAYERS);
if (!(worlds > 0) || !(durationMs >= 3000) || !(maxPlayers >= 2) || !(Number.isInteger(stride) && stride >= 1)) {
  console.error('usage: npm run sim -- --worlds N [--from SEED] [--stride K ≥ 1] [--ms WORLD_MS ≥ 3000] [--players MAX ≥ 2] [--scene NAME] [--out FILE]');
  process.exit(2);
}
await initPhysics();
const seeds = Array.from({ length: worlds }, (_, i) => from + i * stride);
let violations = 0;
const s = runSimCampaign(seeds, {
  durationMs,
  maxPlayers,
  ...(values.scene ? { scene: values.scene } : {}),
  onWorld: (r, done) => {
    if (r.violation) {
      violations++;
      console.error(`world ${r.spec.seed}: ${r.violation.invariant} — ${r.violation.detail}`);
    }
    if (done % 100 === 0 || done === worlds) console.error(`${done}/${worlds} worlds, ${violations} with a violation`);
  },
});
for (const f of s.failures) console.error(describeFailure(f));
const out = values.out ?? 'sim-summary.json';
writeFileSync(out, JSON.stringify({ ...s, durationMs, maxPlayers, from, stride }, null, 2));
console.log(JSON.stringify({ sim_worlds: s.worlds, sim_invariant_violations: s.violations, sim_false_convictions: s.falseConvictions, sim_entities_lost: s.entitiesLost, seconds: Math.round(s.seconds) }));
process.exit(s.violations === 0 ? 0 : 1);
