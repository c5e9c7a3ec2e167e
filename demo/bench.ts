// Benchmark page: hands `npm run bench` a worker running the tile-step benchmark.
import * as Comlink from 'comlink';
import type { BenchWorkerApi } from '../bench/bench.worker.js';

const worker = new Worker(new URL('../bench/bench.worker.ts', import.meta.url), { type: 'module' });
const api = Comlink.wrap<BenchWorkerApi>(worker);
const ready = api.init();

declare global {
  interface Window {
    tesseraBench: { run: (...args: Parameters<BenchWorkerApi['run']>) => Promise<ReturnType<BenchWorkerApi['run']>>; isolated: boolean };
  }
}
window.tesseraBench = {
  run: async (...args) => {
    await ready;
    return api.run(...args);
  },
  isolated: self.crossOriginIsolated,
};
