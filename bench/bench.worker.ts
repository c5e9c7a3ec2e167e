/// <reference lib="webworker" />
// Runs the tile-step benchmark inside a Chromium Web Worker, as the engine runs in a player's tab.
import * as Comlink from 'comlink';
import { initPhysics } from '../src/index.js';
import { benchTileStep } from './tile-step-bench.js';

const api = {
  async init(): Promise<void> {
    await initPhysics();
  },
  run(layout: Parameters<typeof benchTileStep>[0], bodies: number, warmup: number, ticks: number) {
    return benchTileStep(layout, bodies, warmup, ticks, () => performance.now());
  },
};
export type BenchWorkerApi = typeof api;
Comlink.expose(api);
