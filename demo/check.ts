// Determinism check page: runs a scripted scenario in the tile worker and reports the hash.
// Playwright drives `window.tesseraCheck`; a person can use the form.
import { connectTileWorker, encodeInputs, scenario, type ScenarioName } from '../src/index.js';

const worker = new Worker(new URL('../workers/tile-sim.worker.ts', import.meta.url), { type: 'module' });
const sim = connectTileWorker(worker);
const ready = sim.init();

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Options of one check run. */
interface CheckRun {
  scenario: ScenarioName;
  /** Run until the world reaches this tick. */
  untilTick: number;
  /** Start from this world snapshot (base64) instead of the scene. */
  snapshot?: string;
  /** Also return the snapshot taken when the world reaches this tick. */
  snapshotAt?: number;
}

async function run(opts: CheckRun): Promise<{ hash: string; tick: number; snapshot?: string }> {
  await ready;
  const sc = scenario(opts.scenario);
  let tick = opts.snapshot ? (await sim.restore(fromBase64(opts.snapshot).buffer as ArrayBuffer, sc.scene.config)).tick : (await sim.load(sc.scene)).tick;
  let snap: string | undefined;
  while (tick < opts.untilTick) {
    if (opts.snapshotAt === tick) snap = toBase64(new Uint8Array(await sim.snapshot()));
    const inputs = sc.inputsAt(tick);
    await sim.step(1, inputs.length > 0 ? (encodeInputs(inputs).buffer as ArrayBuffer) : null);
    tick++;
  }
  if (opts.snapshotAt === tick) snap = toBase64(new Uint8Array(await sim.snapshot()));
  const hash = await sim.hash();
  const el = document.querySelector<HTMLElement>('#hash')!;
  el.textContent = hash;
  el.dataset['hash'] = hash;
  return snap === undefined ? { hash, tick } : { hash, tick, snapshot: snap };
}

declare global {
  interface Window {
    tesseraCheck: { run: typeof run };
  }
}
window.tesseraCheck = { run };

document.querySelector('#run')!.addEventListener('click', () => {
  const name = (document.querySelector<HTMLSelectElement>('#scenario')!.value || 'cannon') as ScenarioName;
  const ticks = Number(document.querySelector<HTMLInputElement>('#ticks')!.value) || 600;
  run({ scenario: name, untilTick: ticks }).catch((e: unknown) => {
    document.querySelector('#hash')!.textContent = `error: ${String(e)}`;
  });
});
