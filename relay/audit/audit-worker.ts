// Worker thread of the relay's auditor: re-executes windows with the same src/sim code.
import { parentPort, workerData } from 'node:worker_threads';
import { initPhysics, loadKindsModule, standardKinds, type WorldConfig } from '../../src/index.js';
import { runAuditJob, type AuditJob } from './auditor.js';

const { config, kindsUrl } = workerData as { config: WorldConfig; kindsUrl: string | undefined };
// A failure here kills the worker: the thread auditor then runs jobs on the relay's thread, with its registry.
const ready = Promise.all([kindsUrl ? loadKindsModule(kindsUrl) : standardKinds(), initPhysics()]);

parentPort!.on('message', (m: { id: number; job: AuditJob }) => {
  void ready.then(([registry]) => {
    const outcome = runAuditJob(m.job, config, registry, () => performance.now());
    const transfer = outcome.endSnapshot ? [outcome.endSnapshot.buffer as ArrayBuffer] : [];
    parentPort!.postMessage({ id: m.id, outcome }, transfer);
  });
});
