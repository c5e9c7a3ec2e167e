import { describe, expect, it } from 'vitest';
import { busyScene, commitOf, initPhysics, standardKinds, TileWorld, type CommitWords, type TickRecord } from '../../src/index.js';
import { runAuditJob, type AuditJob, type AuditOutcome } from '../../relay/audit/auditor.js';
import { ThreadAuditor } from '../../relay/audit/thread-auditor.js';

describe('the auditor on a worker thread', () => {
  it('re-executes windows with the same verdicts as the relay thread, end state included', async () => {
    await initPhysics();
    const registry = standardKinds();
    const world = TileWorld.fromScene(busyScene(60, { seed: 3 }), registry);
    for (let t = 0; t < 60; t++) world.step();
    const sim = [...world.tileList()].sort((a, b) => b.entityCount - a.entityCount)[0]!;
    sim.startRecording();
    const job = { tile: sim.tile, fromTick: sim.tick, snapshot: sim.snapshot(), records: [] as TickRecord[], commits: [commitOf(sim)] as CommitWords[] };
    for (let i = 0; i < 10; i++) {
      world.step();
      job.records.push(sim.takeRecord()!);
      job.commits.push(commitOf(sim));
    }
    const lie: AuditJob = { ...job, commits: job.commits.map((c, i) => (i === 6 ? ([c[0] ^ 1, c[1], c[2]] as const) : c)) };
    const warnings: string[] = [];
    const auditor = new ThreadAuditor(world.config, registry, (m) => warnings.push(m));
    const run = (j: AuditJob): Promise<AuditOutcome> => new Promise((resolve) => auditor.submit(j, resolve));
    const [good, bad] = await Promise.all([run(job), run(lie)]);
    auditor.close();
    expect(warnings).toEqual([]); // it really ran on the worker
    const inline = runAuditJob(job, world.config, registry, () => 0);
    expect(good).toMatchObject({ ok: true, ticks: 10 });
    expect(Buffer.from(good.endSnapshot!).equals(Buffer.from(inline.endSnapshot!))).toBe(true);
    expect(bad).toMatchObject({ ok: false, mismatchTick: job.fromTick + 6 });
    world.dispose();
  });
});
