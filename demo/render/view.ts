import * as THREE from 'three';
import { avatarMesh, meshFor, nameTag, useTextures } from './meshes.js';
import { scenery, SKY } from './scenery.js';
import { trackMesh } from './track.js';

/** The three.js scene shared by the demo's modes: renderer, camera following a point, sky, lights. */
export interface View {
  readonly renderer: THREE.WebGLRenderer;
  readonly scene: THREE.Scene;
  readonly camera: THREE.PerspectiveCamera;
  /** Points the camera and the sun's shadow at `p`, then renders. */
  render(p: THREE.Vector3): void;
  /** Which way the camera looks: radians about +y, 0 = towards −z (north), π/2 = towards −x. */
  heading: number;
  /**
   * A move typed in the camera's frame (`right` +1 = to the right of the screen, `back` +1 =
   * towards the camera, as the keys and the stick give it) turned into the world's `moveX`,
   * `moveZ`: W always walks where the camera looks.
   */
  toWorld(right: number, back: number): { moveX: number; moveZ: number };
  /** The world's ground covers `[x0, x1] × [z0, z1]`: no tree stands on it. */
  fitWorld(x0: number, x1: number, z0: number, z1: number): void;
}

/** How far around the player shadows are drawn, metres (a small box keeps software WebGL fast). */
const SHADOW_REACH = 16;

/**
 * `low` quality (no shadows, no antialiasing, 1× pixels, no textures, no scenery around the
 * world, a plain sky) keeps many tabs on one machine responsive.
 */
export function createView(canvas: HTMLCanvasElement, quality: 'high' | 'low' = 'high'): View {
  const high = quality === 'high';
  useTextures(high);
  // The sky is the page's background behind a see-through canvas (a CSS gradient costs the
  // software renderer nothing; a dome drawn over the whole screen would cost a full layer). In
  // low quality the canvas is opaque, one plain sky colour (cheapest to put on the page).
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: high, alpha: high });
  renderer.setPixelRatio(high ? Math.min(window.devicePixelRatio, 2) : 1);
  renderer.shadowMap.enabled = high;
  if (high) renderer.setClearColor(0x000000, 0);
  else renderer.setClearColor(SKY.plain);
  const scene = new THREE.Scene();
  scene.fog = new THREE.Fog(high ? SKY.horizon : SKY.plain, 70, 300);
  const camera = new THREE.PerspectiveCamera(60, 1, 0.1, 600);
  const around = scenery(high);
  scene.add(around.group);
  scene.add(new THREE.HemisphereLight(0xdcebff, 0x4f6b3a, 1.5));
  // A warm afternoon sun from the right and a little behind the camera: shadows fall away to the left.
  const sun = new THREE.DirectionalLight(0xfff1d8, 2.3);
  sun.castShadow = high;
  sun.shadow.mapSize.set(1024, 1024);
  Object.assign(sun.shadow.camera, { left: -SHADOW_REACH, right: SHADOW_REACH, top: SHADOW_REACH, bottom: -SHADOW_REACH, near: 1, far: 90 });
  sun.shadow.bias = -0.0006;
  sun.shadow.normalBias = 0.03;
  scene.add(sun, sun.target);
  let tall = false;
  const resize = (): void => {
    renderer.setSize(window.innerWidth, window.innerHeight, false);
    camera.aspect = window.innerWidth / window.innerHeight;
    // A tall phone screen gets a wider vertical view and a camera further back, so as much of
    // the world fits across it.
    tall = camera.aspect < 0.8;
    camera.fov = tall ? 70 : 60;
    camera.updateProjectionMatrix();
  };
  window.addEventListener('resize', resize);
  resize();
  // Every material the world's things will be drawn with, drawn once now (while the join is on
  // the wire) rather than first in a frame later: a shader compiled (and, in software WebGL, a
  // new blend or depth state set up) mid-game stalls the page for a few hundred ms.
  const samples = warmUpSamples();
  scene.add(samples);
  camera.position.set(8, 12, 20);
  camera.lookAt(8, 1, 8);
  renderer.render(scene, camera);
  scene.remove(samples);
  const far = new THREE.Vector3();
  let horizon = NaN;
  let heading = 0;
  return {
    renderer,
    scene,
    camera,
    get heading() {
      return heading;
    },
    set heading(h) {
      heading = h;
    },
    toWorld(right, back) {
      return cameraToWorld(heading, right, back);
    },
    render(p) {
      const back = tall ? 1.3 : 1;
      // Behind the player, looking the way `heading` points.
      const fx = -Math.sin(heading);
      const fz = -Math.cos(heading);
      camera.position.set(p.x - fx * 13 * back, p.y + 8.5 * back, p.z - fz * 13 * back);
      camera.lookAt(p.x + fx * 6, p.y + 0.5, p.z + fz * 6);
      // Where the horizon is on the screen: the sky's gradient ends there.
      far.set(camera.position.x + fx * 1000, camera.position.y, camera.position.z + fz * 1000).project(camera);
      const y = Math.round(((1 - far.y) / 2) * window.innerHeight);
      if (y !== horizon) {
        horizon = y;
        document.documentElement.style.setProperty('--horizon', `${y}px`);
      }
      // The shadow box moves in whole shadow-map texels, so shadows do not shimmer as the player walks.
      const texel = (2 * SHADOW_REACH) / sun.shadow.mapSize.x;
      const tx = Math.round(p.x / texel) * texel;
      const tz = Math.round(p.z / texel) * texel;
      sun.target.position.set(tx, p.y, tz);
      // From the camera's right and a little behind it, whichever way it looks.
      sun.position.set(tx - fz * 24 - fx * 14, p.y + 40, tz + fx * 24 - fz * 14);
      renderer.render(scene, camera);
    },
    fitWorld(x0, x1, z0, z1) {
      around.fit(x0, x1, z0, z1);
    },
  };
}

/**
 * Which way to look from `from` to face `to` (a `View.heading`): a new player faces into the
 * world rather than at the wall behind its spawn point.
 */
export function headingTowards(from: { x: number; z: number }, to: { x: number; z: number }): number {
  const dx = to.x - from.x;
  const dz = to.z - from.z;
  if (Math.hypot(dx, dz) < 1) return 0;
  return Math.atan2(-dx, -dz);
}

/**
 * A move in the frame of a camera looking along `heading` (`right` +1 = to the screen's right,
 * `back` +1 = towards the camera) as the world's `moveX`, `moveZ`.
 */
export function cameraToWorld(heading: number, right: number, back: number): { moveX: number; moveZ: number } {
  // Forward f = (−sin h, −cos h); right = (cos h, −sin h); back = −f.
  const s = Math.sin(heading);
  const c = Math.cos(heading);
  // Rounded so an axis-aligned camera sends exactly what it did before (no 1e-17 leftovers).
  const round = (v: number): number => Math.round(v * 1000) / 1000 + 0;
  return { moveX: round(right * c + back * s), moveZ: round(-right * s + back * c) };
}

/** WASD / arrows / Space → a move `(right, back)` in the camera's frame when it changes (see `View.toWorld`), and jumps. */
export function keyboardInput(onMove: (moveX: number, moveZ: number) => void, onJump: () => void): () => void {
  const keys = new Set<string>();
  let last = '0,0';
  const update = (): void => {
    const mx = (keys.has('KeyD') || keys.has('ArrowRight') ? 1 : 0) - (keys.has('KeyA') || keys.has('ArrowLeft') ? 1 : 0);
    const mz = (keys.has('KeyS') || keys.has('ArrowDown') ? 1 : 0) - (keys.has('KeyW') || keys.has('ArrowUp') ? 1 : 0);
    if (`${mx},${mz}` !== last) {
      last = `${mx},${mz}`;
      onMove(mx, mz);
    }
  };
  const down = (e: KeyboardEvent): void => {
    if (e.target instanceof HTMLInputElement) return;
    if (e.code === 'Space' && !keys.has('Space')) onJump();
    keys.add(e.code);
    update();
  };
  const up = (e: KeyboardEvent): void => {
    keys.delete(e.code);
    update();
  };
  const blur = (): void => {
    keys.clear();
    update();
  };
  window.addEventListener('keydown', down);
  window.addEventListener('keyup', up);
  window.addEventListener('blur', blur);
  return () => {
    window.removeEventListener('keydown', down);
    window.removeEventListener('keyup', up);
    window.removeEventListener('blur', blur);
  };
}

/** One of each kind of drawing (for `renderer.compile`). */
function warmUpSamples(): THREE.Group {
  const g = new THREE.Group();
  const box = (x: number, y: number, z: number) => ({ type: 'fixed' as const, shape: { type: 'box' as const, halfExtents: { x, y, z } } });
  const at = { x: 8, y: 1, z: 8 };
  g.add(
    meshFor({ id: -1, kind: 'ground', body: box(8, 0.5, 8), position: at }, 16),
    meshFor({ id: -2, kind: 'ground', body: box(8, 0.75, 0.25), position: at }, 16),
    meshFor({ id: -3, kind: 'box', body: box(0.25, 0.25, 0.25), position: at }, 16),
    meshFor({ id: -4, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: 0.3 } }, position: at }, 16),
    meshFor({ id: -5, kind: 'cannon', body: box(0.6, 0.4, 0.4), position: at }, 16),
    meshFor({ id: -6, kind: 'chest', body: box(0.5, 0.35, 0.35), position: at }, 16),
    meshFor({ id: -7, kind: 'switch', body: box(0.5, 0.1, 0.5), position: at }, 16),
    meshFor({ id: -8, kind: 'train', body: box(3, 1.25, 1.25), position: at }, 16),
    trackMesh(8, 8, 5),
    avatarMesh(0x35d07f),
    nameTag('warm', '#35d07f'),
    // The debug view's tile tints and outlines (opening the debug panel must not stall the game).
    new THREE.Mesh(new THREE.PlaneGeometry(1, 1), new THREE.MeshBasicMaterial({ transparent: true, opacity: 0.28, depthWrite: false })),
    new THREE.LineSegments(new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3(1, 0, 0)]), new THREE.LineBasicMaterial({ color: 0xffffff, transparent: true, opacity: 0.7 })),
  );
  return g;
}
