// Offline mode of the demo (`?offline`): one player, the world simulated in a Web Worker.
import * as THREE from 'three';
import { connectTileWorker, demoScene, DEMO_SCENE, encodeInputs, frameEntity, frameInfo, MAX_TICKS_PER_CALL, type EntityInput, type EntityLook } from '../src/index.js';
import type { Hud } from './hud.js';
import { faceAlong, meshFor, nameTag, tileGrid } from './render/meshes.js';
import { TrackFinder } from './render/track.js';
import { createView, headingTowards, keyboardInput } from './render/view.js';
import { createTouchControls } from './touch-controls.js';

/** Runs the single-player demo: the world in a Web Worker, rendered here. */
export async function runOffline(canvas: HTMLCanvasElement, statsEl: HTMLElement, hud: Hud, touch: boolean, fail: (err: unknown) => void): Promise<void> {
  const worker = new Worker(new URL('../workers/tile-sim.worker.ts', import.meta.url), { type: 'module' });
  worker.addEventListener('error', (e) => fail(e.message || 'worker failed to start'));
  const sim = connectTileWorker(worker);
  await sim.init();
  const scene = demoScene();
  const loaded = await sim.load(scene);
  const tickRate = loaded.config.tickRate;

  const camera = createView(canvas);
  const { scene: view, render, fitWorld } = camera;
  const edge = loaded.config.tileEdge;
  const ground = loaded.tiles.filter((t) => t.y === 0);
  const spawn = scene.entities.find((d) => d.id === DEMO_SCENE.avatar)!.state.position;
  if (ground.length > 0) {
    const x0 = Math.min(...ground.map((t) => t.x)) * edge;
    const x1 = (Math.max(...ground.map((t) => t.x)) + 1) * edge;
    const z0 = Math.min(...ground.map((t) => t.z)) * edge;
    const z1 = (Math.max(...ground.map((t) => t.z)) + 1) * edge;
    fitWorld(x0, x1, z0, z1);
    // The player starts looking into the world, towards its centre.
    camera.heading = headingTowards(spawn, { x: (x0 + x1) / 2, z: (z0 + z1) / 2 });
  }
  // The tiles' outlines are a debug view: shown with the debug panel.
  const grid = tileGrid(loaded.tiles, edge);
  view.add(grid);
  hud.onDebug((open) => (grid.visible = open));
  hud.setBadge('offline · the world runs in this tab', 'offline');
  // Offline there is no throwing and no editing: the help lists only what works here.
  const help = document.getElementById('help');
  if (help) {
    help.innerHTML = '<kbd>WASD</kbd> walk · <kbd>Space</kbd> jump · <kbd>`</kbd> debug · step on the yellow switch to fire the cannon';
    help.title = 'WASD / arrows: walk · Space: jump · ` or F3: debug panel · step on the switch to fire the cannon';
  }

  // Keyboard → avatar input, sent with the next step.
  let seq = 0;
  let pending: EntityInput[] = [];
  // Keys and stick give a move in the camera's frame; the avatar takes it in the world's.
  const move = (right: number, back: number): number => pending.push({ entity: DEMO_SCENE.avatar, seq: seq++, data: camera.toWorld(right, back) });
  const jump = (): number => pending.push({ entity: DEMO_SCENE.avatar, seq: seq++, data: { jump: true } });
  keyboardInput(move, jump);
  // Phones: a stick and a jump button.
  if (touch) createTouchControls(document.getElementById('touch')!, { onMove: move, onJump: jump });
  const pendingInputs = (): EntityInput[] => {
    const out = pending;
    pending = [];
    return out;
  };

  const meshes = new Map<number, THREE.Object3D>();
  // The train's track, drawn once the train has been seen going round.
  const tracks = new TrackFinder((t) => view.add(t));
  const looking = new Set<number>();
  const e = { id: 0, kind: 0, tile: 0, x: 0, y: 0, z: 0, qx: 0, qy: 0, qz: 0, qw: 1 };
  const avatarPos = new THREE.Vector3(spawn.x, spawn.y, spawn.z);
  const tag = nameTag('you', '#35d07f');
  tag.position.set(spawn.x, spawn.y + 1.3, spawn.z);
  view.add(tag);
  let stepMsAvg = 0;
  let fps = 0;
  let lastFrameAt = performance.now();
  const started = performance.now();
  let tickBase = 0;
  let busy = false;

  const applyFrame = async (buf: ArrayBuffer): Promise<void> => {
    const frame = new Float64Array(buf);
    const info = frameInfo(frame);
    const seen = new Set<number>();
    const unknown: number[] = [];
    for (let i = 0; i < info.entityCount; i++) {
      frameEntity(frame, i, e);
      seen.add(e.id);
      const mesh = meshes.get(e.id);
      if (!mesh) {
        if (!looking.has(e.id)) unknown.push(e.id);
        continue;
      }
      if (mesh.userData['turns']) {
        // Players are drawn facing the way they move (their bodies never turn).
        faceAlong(mesh, e.x - mesh.position.x, e.z - mesh.position.z);
      } else mesh.quaternion.set(e.qx, e.qy, e.qz, e.qw);
      mesh.position.set(e.x, e.y, e.z);
      if (mesh.userData['train']) tracks.see(e.id, e);
      if (e.id === DEMO_SCENE.avatar) {
        avatarPos.set(e.x, e.y, e.z);
        tag.position.set(e.x, e.y + 1.3, e.z);
      }
    }
    for (const [id, mesh] of meshes) {
      if (!seen.has(id)) {
        view.remove(mesh);
        meshes.delete(id);
      }
    }
    if (unknown.length > 0) {
      for (const id of unknown) looking.add(id);
      const looks: EntityLook[] = await sim.looks(unknown);
      for (const look of looks) {
        const mesh = meshFor(look, loaded.config.tileEdge);
        if (look.id === DEMO_SCENE.avatar) (mesh.material as THREE.MeshLambertMaterial).color.setHex(0x35d07f);
        meshes.set(look.id, mesh);
        view.add(mesh);
        looking.delete(look.id);
      }
    }
    if (info.ticksRun > 0) stepMsAvg = stepMsAvg * 0.9 + info.stepMs * 0.1;
    statsEl.dataset['tick'] = String(info.tick);
    statsEl.dataset['bodies'] = String(info.entityCount);
    statsEl.textContent = [
      `tick        ${info.tick}`,
      `step        ${stepMsAvg.toFixed(2)} ms/tick`,
      `bodies      ${info.entityCount}`,
      `tiles       ${info.tileCount}`,
      `ghosts      ${info.ghostCount}`,
      `migrations  ${info.migrations}`,
      `fps         ${fps.toFixed(0)}`,
    ].join('\n');
  };

  await applyFrame(await sim.frame());

  const loop = (): void => {
    const now = performance.now();
    fps = fps * 0.95 + (1000 / Math.max(1, now - lastFrameAt)) * 0.05;
    lastFrameAt = now;
    if (!busy) {
      const due = Math.floor(((now - started) * tickRate) / 1000) - tickBase;
      if (due > 0) {
        busy = true;
        const ticks = Math.min(due, MAX_TICKS_PER_CALL);
        if (due > MAX_TICKS_PER_CALL) tickBase += due - ticks; // fell behind (tab hidden): skip, do not spiral
        tickBase += ticks;
        const inputs = pendingInputs();
        const batch = inputs.length > 0 ? encodeInputs(inputs).buffer : null;
        sim
          .step(ticks, batch as ArrayBuffer | null)
          .then(applyFrame)
          .then(() => (busy = false))
          .catch(fail);
      }
    }
    render(avatarPos);
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  document.body.dataset['ready'] = 'true';
}
