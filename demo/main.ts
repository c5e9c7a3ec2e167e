// The Tessera demo. By default every tab is a player in a shared world on the relay
// (`?relay=ws://host:port/`, `?name=`, `?transport=auto|webrtc|relay`); `?offline` runs one
// player alone with the world in a Web Worker.
import { runOffline } from './offline.js';
import { runOnline } from './online.js';

const canvas = document.querySelector<HTMLCanvasElement>('#view')!;
const statsEl = document.querySelector<HTMLDivElement>('#stats')!;
const errorEl = document.querySelector<HTMLDivElement>('#error')!;

function fail(err: unknown): void {
  console.error(err);
  errorEl.style.display = 'block';
  errorEl.textContent = `Tessera stopped: ${err instanceof Error ? err.message : String(err)}`;
}

const params = new URLSearchParams(location.search);
const run = params.has('offline') ? runOffline(canvas, statsEl, fail) : runOnline(canvas, statsEl, params, fail);
run.catch(fail);
