import * as Comlink from 'comlink';
import type { TileWorkerApi } from './tile-worker-api.js';

/**
 * Wraps a Worker started from `workers/tile-sim.worker.ts` (in Vite:
 * `new Worker(new URL('tessera-engine/worker', import.meta.url), { type: 'module' })`)
 * into a typed async API. Call `release()` and `worker.terminate()` when done.
 */
export function connectTileWorker(worker: Worker): Comlink.Remote<TileWorkerApi> {
  return Comlink.wrap<TileWorkerApi>(worker);
}
