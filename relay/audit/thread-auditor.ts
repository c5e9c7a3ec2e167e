import { Worker } from 'node:worker_threads';
import type { BehaviourRegistry, WorldConfig } from '../../src/index.js';
import { runAuditJob, type AuditJob, type AuditOutcome, type Auditor } from './auditor.js';

/**
 * Re-executes audit windows on a worker thread (`audit-worker`), with the very same `src/sim`
 * code, so audits never stall the relay's own ticks. Should the worker fail to start or die,
 * the remaining and later jobs run on the calling thread (logged once): no verdict is lost.
 */
export class ThreadAuditor implements Auditor {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { job: AuditJob; done: (o: AuditOutcome) => void }>();
  private nextId = 1;

  constructor(
    private readonly config: WorldConfig,
    private readonly registry: BehaviourRegistry,
    private readonly warn: (msg: string) => void,
    /** URL of the world's kinds module, which the worker imports (behaviours cannot be posted); standard kinds without. */
    kindsUrl?: string,
  ) {
    try {
      this.worker = startWorker(config, kindsUrl);
      this.worker.unref();
      this.worker.on('message', (m: { id: number; outcome: AuditOutcome }) => {
        const w = this.waiting.get(m.id);
        if (!w) return;
        this.waiting.delete(m.id);
        w.done(m.outcome);
      });
      this.worker.on('error', (e: Error) => this.fallBack(`audit worker failed: ${e.message}`));
      this.worker.on('exit', (code) => {
        if (this.worker) this.fallBack(`audit worker exited (code ${code})`);
      });
    } catch (e) {
      this.fallBack(`audit worker could not start: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  get pending(): number {
    return this.waiting.size;
  }

  submit(job: AuditJob, done: (outcome: AuditOutcome) => void): void {
    if (!this.worker) {
      done(runAuditJob(job, this.config, this.registry, () => performance.now()));
      return;
    }
    const id = this.nextId++;
    this.waiting.set(id, { job, done });
    this.worker.postMessage({ id, job });
  }

  close(): void {
    const w = this.worker;
    this.worker = undefined;
    void w?.terminate();
  }

  private fallBack(reason: string): void {
    if (!this.worker) return;
    this.warn(`${reason}; auditing on the relay's thread from now on`);
    const w = this.worker;
    this.worker = undefined;
    void w.terminate();
    const jobs = [...this.waiting.values()];
    this.waiting.clear();
    for (const j of jobs) j.done(runAuditJob(j.job, this.config, this.registry, () => performance.now()));
  }
}

/** The audit worker, from the built JavaScript, or from the TypeScript sources when run with tsx (development). */
function startWorker(config: WorldConfig, kindsUrl: string | undefined): Worker {
  const workerData = { config, kindsUrl };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./audit-worker.js', import.meta.url), { workerData });
  // Worker threads do not inherit tsx's loader: register it first, then load the worker module.
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./audit-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData });
}
