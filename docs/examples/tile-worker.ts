import { connectTileWorker, demoScene, encodeInputs, frameInfo } from '../../src/index.js';

// `worker` runs the library's tile worker, `tessera-engine/worker`. With Vite:
//   import TileWorker from 'tessera-engine/worker?worker';   runAlone(new TileWorker());
// with other bundlers, any module Worker of that file.
export async function runAlone(worker: Worker): Promise<void> {
  const sim = connectTileWorker(worker); // comlink-typed TileWorkerApi
  await sim.init();
  await sim.load(demoScene());
  const frame = new Float64Array(await sim.step(1, encodeInputs([]).buffer as ArrayBuffer));
  console.log(frameInfo(frame)); // tick, bodies, tiles, step ms, …
}
