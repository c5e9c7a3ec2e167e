import { verifyWindow, type BehaviourRegistry, type CommitWords, type TickRecord, type TileId, type WindowVerdict, type WorldConfig } from '../../src/index.js';

/** One window for an auditor to re-execute. */
export interface AuditJob {
  /** The audited tile. */
  readonly tile: TileId;
  /** State at `fromTick`, as the owner gave it (checked against `commits[0]` by the auditor). */
  readonly snapshot: Uint8Array;
  /** Tick of `snapshot`, where the window starts. */
  readonly fromTick: number;
  /** `records[i]`: what entered the step from `fromTick + i`. */
  readonly records: readonly TickRecord[];
  /** `commits[i]`: the owner's commitment for tick `fromTick + i` (one more than records). */
  readonly commits: readonly CommitWords[];
}

/** A verdict plus what it cost. */
export interface AuditOutcome extends WindowVerdict {
  /** CPU time the re-execution took, ms. */
  readonly cpuMs: number;
}

/** Re-executes audit windows. Verdicts arrive through `done`, in submission order. */
export interface Auditor {
  /** Queues a window for re-execution; `done` is called once with the verdict and the CPU time it took. */
  submit(job: AuditJob, done: (outcome: AuditOutcome) => void): void;
  /** Jobs submitted and not yet answered. */
  readonly pending: number;
  /** Stops the auditor (terminates its workers, if any); pending jobs are dropped. */
  close(): void;
}

/** Runs one job in this thread: `verifyWindow` timed. */
export function runAuditJob(job: AuditJob, config: WorldConfig, registry: BehaviourRegistry, clock: () => number): AuditOutcome {
  const t0 = clock();
  const v = verifyWindow(job.snapshot, job.fromTick, job.records, job.commits, config, registry);
  return { ...v, cpuMs: clock() - t0 };
}

/**
 * An auditor on the calling thread, answering at once: deterministic, for the seeded harness
 * and small deployments. The server uses `ThreadAuditor` (relay/audit/thread-auditor.ts).
 */
export class InlineAuditor implements Auditor {
  readonly pending = 0;
  constructor(
    private readonly config: WorldConfig,
    private readonly registry: BehaviourRegistry,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  submit(job: AuditJob, done: (outcome: AuditOutcome) => void): void {
    done(runAuditJob(job, this.config, this.registry, this.clock));
  }

  close(): void {}
}
