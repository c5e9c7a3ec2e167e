import * as THREE from 'three';

/** The three.js scene shared by the demo's modes: renderer, camera following a point, lights. */
export interface View {
  readonly renderer: THREE.WebGLRenderer;
  readonly scene: THREE.Scene;
  readonly camera: THREE.PerspectiveCamera;
  /** Points the camera and the sun's shadow at `p`, then renders. */
  render(p: THREE.Vector3): void;
}

/** `low` quality (no shadows, no antialiasing, 1× pixels) keeps many tabs on one machine responsive. */
export function createView(canvas: HTMLCanvasElement, quality: 'high' | 'low' = 'high'): View {
  const high = quality === 'high';
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: high });
  renderer.setPixelRatio(high ? Math.min(window.devicePixelRatio, 2) : 1);
  renderer.shadowMap.enabled = high;
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x9fc6e8);
  scene.fog = new THREE.Fog(0x9fc6e8, 60, 140);
  const camera = new THREE.PerspectiveCamera(60, 1, 0.1, 500);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x445544, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 2.2);
  sun.castShadow = true;
  sun.shadow.mapSize.set(2048, 2048);
  Object.assign(sun.shadow.camera, { left: -40, right: 40, top: 40, bottom: -40, far: 150 });
  scene.add(sun, sun.target);
  const resize = (): void => {
    renderer.setSize(window.innerWidth, window.innerHeight, false);
    camera.aspect = window.innerWidth / window.innerHeight;
    camera.updateProjectionMatrix();
  };
  window.addEventListener('resize', resize);
  resize();
  return {
    renderer,
    scene,
    camera,
    render(p) {
      camera.position.set(p.x, p.y + 9, p.z + 13);
      camera.lookAt(p.x, p.y, p.z - 2);
      sun.target.position.copy(p);
      sun.position.set(p.x + 20, 50, p.z + 15);
      renderer.render(scene, camera);
    },
  };
}

/** WASD / arrows / Space → a move input `{ moveX, moveZ }` when it changes, and jumps. */
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
