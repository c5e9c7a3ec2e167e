/// <reference lib="webworker" />
// Web Worker entry: the tile simulator behind comlink. Frames and snapshots leave as
// transferred ArrayBuffers; input batches and snapshots arrive the same way.
import * as Comlink from 'comlink';
import { TileWorldHost } from '../src/worker/tile-world-host.js';
import type { TileWorkerApi } from '../src/worker/tile-worker-api.js';

const host = new TileWorldHost();

const api: TileWorkerApi = {
  init: () => host.init(),
  load: (scene) => host.load(scene),
  step: (ticks, inputs) => {
    const frame = host.step(ticks, inputs);
    return Comlink.transfer(frame, [frame]);
  },
  frame: () => {
    const frame = host.frame();
    return Comlink.transfer(frame, [frame]);
  },
  looks: (ids) => host.looks(ids),
  tiles: () => host.tiles(),
  hash: () => host.hash(),
  snapshot: () => {
    const bytes = host.snapshot();
    return Comlink.transfer(bytes, [bytes]);
  },
  restore: (bytes, config) => host.restore(bytes, config),
};

Comlink.expose(api);
