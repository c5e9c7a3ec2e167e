import { describe, expect, it } from 'vitest';
import { ATTACK_CLASSES, runAttackCampaign, summariseAttacks } from './attack-campaign.js';
import { seeds } from './harness.js';

// CI runs 10 seeds per class; `npm run attack` (ATTACK_SEEDS=100) the long version. A miss prints
// its class and seeds (replay one with HARNESS_SEED=<seed> ATTACK_CLASS=<name>).
const count = Number(process.env['ATTACK_SEEDS'] ?? 10);
const only = process.env['ATTACK_CLASS'] ? [process.env['ATTACK_CLASS']] : undefined;

describe('adversarial suite: a modified client never wins', () => {
  for (const c of ATTACK_CLASSES) {
    if (only && !only.includes(c.name)) continue;
    it(`${c.group}: ${c.name} is caught or refused in every seed`, async () => {
      const runs = await runAttackCampaign(seeds(count, 5000), [c.name]);
      const [s] = summariseAttacks(runs);
      console.log(`attack ${c.name}: caught ${s!.caught}/${s!.total}, detection p50 ${s!.p50.toFixed(2)} s, p99 ${s!.p99.toFixed(2)} s; by ${[...new Set(runs.map((r) => r.how))].join(', ')}`);
      expect(s!.missed, `missed seeds of ${c.name} (replay: HARNESS_SEED=<seed> ATTACK_CLASS=${c.name}); runs: ${JSON.stringify(runs.filter((r) => !r.caught))}`).toEqual([]);
      expect(s!.p99).toBeLessThanOrEqual(5);
    }, 600_000);
  }
});
