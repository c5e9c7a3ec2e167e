import { describe, expect, it } from 'vitest';
import { initPhysics } from '../../src/index.js';
import { CI_SIM_WORLDS, CI_WORLD_MS, describeFailure, runSimCampaign } from './campaign.js';

/** Worlds per CI run (SIM_WORLDS to change), split over two files so both cores run them. */
const WORLDS = Number(process.env['SIM_WORLDS'] ?? CI_SIM_WORLDS);

/** Runs half `half` (0 or 1) of CI's worlds: seeds 1..WORLDS, every other one. */
export function simCampaignTest(half: 0 | 1): void {
  describe(`fault simulator (${WORLDS / 2} of ${WORLDS} worlds of ${CI_WORLD_MS / 1000} s)`, () => {
    it('every invariant holds in every world: one owner per tile and epoch, epochs only grow, nothing lost or doubled, no honest player convicted, no acknowledged edit lost, the relay bounded, replicas converge', async () => {
      await initPhysics();
      const seeds = Array.from({ length: WORLDS }, (_, i) => i + 1).filter((s) => s % 2 === half);
      const s = runSimCampaign(seeds);
      console.log(`sim half ${half}: ${s.worlds} worlds in ${s.seconds.toFixed(0)} s; violations ${s.violations}, false convictions ${s.falseConvictions}, entities lost ${s.entitiesLost}; handoffs ${s.handoffs}, takeovers ${s.takeovers}, liveness takeovers ${s.liveness}; relay restarts ${s.restarts}; edits ${s.edits} (${s.editsAcknowledged} acknowledged); cheaters caught in ${s.cheatersCaught} of ${s.cheaterWorlds} worlds`);
      console.log(`sim half ${half}: the most the relay held: ${JSON.stringify(s.relayRetainedMax)}`);
      for (const f of s.failures) console.log(describeFailure(f));
      expect(s.failures.map(describeFailure)).toEqual([]);
    }, 1_800_000);
  });
}
