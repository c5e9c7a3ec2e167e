// The starter: join a shared world with tessera-engine, draw it with three.js, walk with WASD.
//
// URL options: ?relay=ws://host:port/ (default: port 8787 on this page's host), ?name=ada,
// ?world=demo, ?simulation=main (the player's simulation on the page instead of a Web Worker),
// ?quality=low (cheaper drawing).
import * as THREE from 'three';
import { joinWorld, type VisibleEntity, type WorldHandle } from 'tessera-engine';

declare global {
  interface Window {
    /** The joined world and what is drawn of it, for tests and the console. */
    starter?: { handle: WorldHandle; meshes: Map<number, THREE.Object3D>; scene: THREE.Scene };
  }
}

const params = new URLSearchParams(location.search);
// The relay listens on 127.0.0.1 by default: `localhost` (Vite's dev host) is mapped to it.
const relayHost = !location.hostname || location.hostname === 'localhost' ? '127.0.0.1' : location.hostname;
const relay = params.get('relay') ?? `ws://${relayHost}:8787/`;
const world = params.get('world') ?? 'demo';
const name = params.get('name') ?? `player-${Math.floor(Math.random() * 10_000)}`;
const simulation = params.get('simulation') === 'main' ? 'main' : 'worker';
// The world's kinds module, by URL (the simulation imports it, in the worker or on the page):
// `vite` serves src/kinds.ts compiled; `vite build` emits it as dist/kinds.js (see vite.config.ts).
const kinds = new URL(import.meta.env.DEV ? 'src/kinds.ts' : 'kinds.js', new URL(import.meta.env.BASE_URL, location.href));

const hud = document.getElementById('hud')!;
const errorBox = document.getElementById('error')!;

// --- three.js: a renderer, a sky, two lights, a ground plane and a camera that follows you. ---
const canvas = document.getElementById('view') as HTMLCanvasElement;
// ?quality=low: no antialiasing, one pixel per CSS pixel (cheaper: many tabs on one machine).
const low = params.get('quality') === 'low';
const renderer = new THREE.WebGLRenderer({ canvas, antialias: !low });
renderer.setPixelRatio(low ? 1 : Math.min(window.devicePixelRatio, 2));
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x9fc6e8);
scene.fog = new THREE.Fog(0x9fc6e8, 60, 160);
scene.add(new THREE.HemisphereLight(0xffffff, 0x445544, 1.6));
const sun = new THREE.DirectionalLight(0xffffff, 2);
sun.position.set(20, 50, 15);
scene.add(sun);
const ground = new THREE.Mesh(new THREE.PlaneGeometry(400, 400).rotateX(-Math.PI / 2), new THREE.MeshStandardMaterial({ color: 0x5f7f4a, roughness: 1 }));
scene.add(ground);
const camera = new THREE.PerspectiveCamera(60, 1, 0.1, 500);
const resize = (): void => {
  renderer.setSize(window.innerWidth, window.innerHeight, false);
  camera.aspect = window.innerWidth / window.innerHeight;
  camera.updateProjectionMatrix();
};
window.addEventListener('resize', resize);
resize();

const COLOURS: Record<string, number> = { ground: 0x7f9f66, hopper: 0xff5d8f, ball: 0x3f7fd9, cannonball: 0x1d1f24, switch: 0xe0c030, chest: 0xc9a227, train: 0xb83b3b, wanderer: 0x8a6fd1 };
const ME = 0x35d07f;
const OTHERS = 0xff8c42;

/** A name tag: a sprite with the text drawn on a canvas. */
function nameTag(text: string): THREE.Sprite {
  const c = document.createElement('canvas');
  c.width = 256;
  c.height = 64;
  const g = c.getContext('2d')!;
  g.fillStyle = 'rgba(13,17,23,0.7)';
  g.fillRect(0, 8, 256, 48);
  g.fillStyle = '#fff';
  g.font = '28px system-ui, sans-serif';
  g.textAlign = 'center';
  g.fillText(text, 128, 42);
  const sprite = new THREE.Sprite(new THREE.SpriteMaterial({ map: new THREE.CanvasTexture(c), depthTest: false }));
  sprite.scale.set(2.4, 0.6, 1);
  sprite.position.y = 1.4;
  return sprite;
}

/** A mesh for an entity: a capsule for an avatar (with its name), else its collider's shape (a box, mostly). */
function meshFor(e: VisibleEntity, self: number, names: ReadonlyMap<number, string>): THREE.Object3D {
  const s = e.body.shape;
  let geometry: THREE.BufferGeometry;
  if (s.type === 'box') geometry = new THREE.BoxGeometry(s.halfExtents.x * 2, s.halfExtents.y * 2, s.halfExtents.z * 2);
  else if (s.type === 'ball') geometry = new THREE.SphereGeometry(s.radius, 20, 14);
  else geometry = new THREE.CapsuleGeometry(s.radius, s.halfHeight * 2, 6, 14);
  const colour = e.kind === 'avatar' ? (e.id === self ? ME : OTHERS) : (COLOURS[e.kind] ?? 0xd98c3f);
  const mesh = new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({ color: colour, roughness: 0.8 }));
  mesh.name = `${e.kind}#${e.id}`;
  if (e.kind === 'avatar') mesh.add(nameTag(e.id === self ? `${name} (you)` : (names.get(e.id) ?? `#${e.id}`)));
  return mesh;
}

/** WASD / arrows → `{ moveX, moveZ }` when it changes; Space → `{ jump }`; E → `{ drop }` (the starter's avatar kind, kinds.ts). */
function keyboard(handle: WorldHandle): void {
  const keys = new Set<string>();
  let last = '0,0';
  let facing = { x: 0, z: 1 }; // where the player last walked; at first toward the camera
  const update = (): void => {
    const moveX = (keys.has('KeyD') || keys.has('ArrowRight') ? 1 : 0) - (keys.has('KeyA') || keys.has('ArrowLeft') ? 1 : 0);
    const moveZ = (keys.has('KeyS') || keys.has('ArrowDown') ? 1 : 0) - (keys.has('KeyW') || keys.has('ArrowUp') ? 1 : 0);
    if (`${moveX},${moveZ}` === last) return;
    last = `${moveX},${moveZ}`;
    if (moveX !== 0 || moveZ !== 0) facing = { x: moveX, z: moveZ };
    handle.client.send({ moveX, moveZ }); // read handle.client each time: a reconnection swaps in a new client
  };
  window.addEventListener('keydown', (e) => {
    if (e.repeat) return;
    if (e.code === 'Space') handle.client.send({ jump: true });
    if (e.code === 'KeyE') handle.client.send({ drop: true, dirX: facing.x, dirZ: facing.z });
    keys.add(e.code);
    update();
  });
  window.addEventListener('keyup', (e) => {
    keys.delete(e.code);
    update();
  });
  window.addEventListener('blur', () => {
    keys.clear();
    update();
  });
}

async function main(): Promise<void> {
  hud.textContent = `joining ${relay} …`;
  const handle = await joinWorld({ relay, world, name, kinds, simulation });
  const meshes = new Map<number, THREE.Object3D>();
  window.starter = { handle, meshes, scene };
  document.body.dataset['joined'] = 'true';
  handle.on('status', (e) => {
    document.body.dataset['status'] = e.status;
    if (e.status === 'left') errorBox.textContent = `left the world: ${e.reason}`;
  });
  keyboard(handle);

  const focus = new THREE.Vector3();
  let lastHud = 0;
  const frame = (): void => {
    const client = handle.client;
    const names = new Map(client.players().map((p) => [p.avatar, p.name]));
    const seen = new Set<number>();
    for (const e of client.entities()) {
      seen.add(e.id);
      let mesh = meshes.get(e.id);
      if (mesh && e.kind === 'avatar' && mesh.userData['named'] !== names.has(e.id)) {
        // The roster arrived after the avatar: make it again, with the player's name.
        scene.remove(mesh);
        mesh = undefined;
      }
      if (!mesh) {
        mesh = meshFor(e, client.avatar, names);
        mesh.userData['named'] = names.has(e.id);
        meshes.set(e.id, mesh);
        scene.add(mesh);
      }
      mesh.position.set(e.position.x, e.position.y, e.position.z);
      mesh.quaternion.set(e.rotation.x, e.rotation.y, e.rotation.z, e.rotation.w);
      if (e.id === client.avatar) focus.set(e.position.x, e.position.y, e.position.z);
    }
    for (const [id, mesh] of meshes) {
      if (seen.has(id)) continue;
      scene.remove(mesh);
      meshes.delete(id);
    }
    camera.position.set(focus.x, focus.y + 7, focus.z + 10);
    camera.lookAt(focus.x, focus.y, focus.z - 2);
    renderer.render(scene, camera);
    const now = performance.now();
    if (now - lastHud > 250) {
      lastHud = now;
      const s = client.stats();
      const hoppers = [...meshes.values()].filter((m) => m.name.startsWith('hopper#')).length;
      hud.textContent = [
        `you       ${name} (peer ${s.peer}, ${handle.simulation})`,
        `players   ${client.players().map((p) => p.name).join(', ')}`,
        `entities  ${seen.size} (${hoppers} hoppers)`,
        `tick      ${s.tick}   rtt ${s.rttMs.toFixed(1)} ms`,
        `tiles     ${s.ownedTiles.length} owned`,
      ].join('\n');
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

main().catch((e: unknown) => {
  errorBox.textContent = e instanceof Error ? e.message : String(e);
  document.body.dataset['error'] = errorBox.textContent;
  console.error(e);
});
