// The Tessera demo. By default every tab is a player in a shared world on the relay
// (`?relay=ws://host:port/`, `?name=`, `?transport=auto|webrtc|relay`); `?offline` runs one
// player alone with the world in a Web Worker. `?debug` opens the debug panel (` or F3 toggles
// it); `?touch` / `?touch=0` forces the touch controls on or off.
import { createHud, isTouchDevice } from './hud.js';
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
// Phones and tablets get the touch controls and the compact layout.
const touch = isTouchDevice(params);
document.body.classList.toggle('touch', touch);
// The badge, and the debug panel folded away (` or F3, or `?debug`, opens it).
const hud = createHud(params);
const run = params.has('offline') ? runOffline(canvas, statsEl, hud, touch, fail) : runOnline(canvas, statsEl, params, hud, touch, fail);
run.catch(fail);
