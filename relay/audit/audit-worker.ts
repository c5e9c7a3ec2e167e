// Worker thread of the relay's auditor: re-executes windows with the same src/sim code.
import { parentPort, workerData } from 'node:worker_threads';
import { initPhysics, standardKinds, type WorldConfig } from '../../src/index.js';
import { runAuditJob, type AuditJob } from './auditor.js';

const { config } = workerData as { config: WorldConfig };
const registry = standardKinds();
const ready = initPhysics();

parentPort!.on('message', (m: { id: number; job: AuditJob }) => {
  void ready.then(() => {
    const outcome = runAuditJob(m.job, config, registry, () => performance.now());
    const transfer = outcome.endSnapshot ? [outcome.endSnapshot.buffer as ArrayBuffer] : [];
    parentPort!.postMessage({ id: m.id, outcome }, transfer);
  });
});
