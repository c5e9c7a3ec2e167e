import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CI_SIM_WORLDS, CI_WORLD_MS, describeFailure, type CampaignSummary } from './campaign.js';

/** Worlds per CI run (SIM_WORLDS to change). */
const WORLDS = Number(process.env['SIM_WORLDS'] ?? CI_SIM_WORLDS);
/** Processes the worlds are spread over (one per core of CI's machine): odd and even seeds. */
const PROCS = 2;

/** Runs `npm run sim` for every PROCS-th seed from `from`; resolves with its summary. */
function campaignProcess(from: number, worlds: number, dir: string): Promise<CampaignSummary> {
  const out = join(dir, `sim-${from}.json`);
  const cli = new URL('./cli.ts', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--worlds', String(worlds), '--from', String(from), '--stride', String(PROCS), '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      process.stderr.write(d); // progress (every 100 worlds) and violations, live
    });
    child.on('exit', () => {
      try {
        resolve(JSON.parse(readFileSync(out, 'utf8')) as CampaignSummary);
      } catch {
        reject(new Error(`the campaign for seeds ${from}, ${from + PROCS}, … wrote no summary:\n${err.slice(-4000)}`));
      }
    });
  });
}

/** CI's campaign: WORLDS seeded worlds over PROCS processes (the test file runs alone, so both cores work on it). */
export function simCampaignTest(): void {
  describe(`fault simulator (${WORLDS} worlds of ${CI_WORLD_MS / 1000} s, ${PROCS} processes)`, () => {
    it('every invariant holds in every world: one owner per tile and epoch, epochs only grow, nothing lost or doubled, no honest player convicted, no acknowledged edit lost, the relay bounded, replicas converge', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tessera-sim-'));
      try {
        const t0 = performance.now();
        const parts = await Promise.all(Array.from({ length: PROCS }, (_, p) => campaignProcess(p + 1, Math.ceil((WORLDS - p) / PROCS), dir)));
        const sum = (f: (s: CampaignSummary) => number): number => parts.reduce((n, s) => n + f(s), 0);
        console.log(
          `fault simulator: ${sum((s) => s.worlds)} worlds in ${((performance.now() - t0) / 1000).toFixed(0)} s over ${PROCS} processes; violations ${sum((s) => s.violations)}, false convictions ${sum((s) => s.falseConvictions)}, entities lost ${sum((s) => s.entitiesLost)}; handoffs ${sum((s) => s.handoffs)}, takeovers ${sum((s) => s.takeovers)}, liveness takeovers ${sum((s) => s.liveness)}; relay restarts ${sum((s) => s.restarts)}; edits ${sum((s) => s.edits)} (${sum((s) => s.editsAcknowledged)} acknowledged); cheaters caught in ${sum((s) => s.cheatersCaught)} of ${sum((s) => s.cheaterWorlds)} worlds`,
        );
        const most: Record<string, number> = {};
        for (const s of parts) for (const [k, n] of Object.entries(s.relayRetainedMax)) most[k] = Math.max(most[k] ?? 0, n);
        console.log(`fault simulator: the most the relay held: ${JSON.stringify(most)}`);
        const failures = parts.flatMap((s) => s.failures).map(describeFailure);
        for (const f of failures) console.log(f);
        expect(sum((s) => s.worlds)).toBe(WORLDS);
        expect(failures).toEqual([]);
        expect(sum((s) => s.violations)).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 3_600_000);
  });
}
