import * as THREE from 'three';
import type { EntityLook, TileId } from '../../src/index.js';
import { crateTexture, grassTexture, stoneTexture } from './textures.js';
import { mergeGeometries } from './merge.js';

// How the demo draws each kind of entity. The root of every entity's drawing is a mesh the size
// of its collider (the editor picks and recolours it); details (a head, a barrel, a lid) are its
// children. Only what is drawn changes here: the simulated bodies are the scene's.

const COLOURS: Record<string, number> = {
  ground: 0x6f9a52,
  box: 0xc98a4b,
  ball: 0x3f7fd9,
  ramp: 0x8c8c8c, // authored objects are then drawn in their document colour
  avatar: 0x27b5a5,
  wanderer: 0x8a6fd1,
  switch: 0xe0c030,
  cannon: 0x3a3f47,
  cannonball: 0x1d1f24,
  chest: 0x8a5a2b,
  train: 0xb83b3b,
};

/** Colours of loose balls, one per ball by id (a thrown ball gets one too). */
const BALL_COLOURS = [0x3f7fd9, 0xe5484d, 0xf5a524, 0x46a758, 0x8e4ec6, 0xf2f2f2];
/** Grass: the base shade, and how much the world-space patches (`grassShade`) lighten or darken it. */
const GRASS = { base: new THREE.Color(0x70a052), patch: 0.09 } as const;

/** Textured ground, walls and crates (off in low quality: sampling textures over the whole screen is what costs most in software WebGL). */
let textured = true;
export function useTextures(on: boolean): void {
  textured = on;
}

const GEOMETRIES = new Map<string, THREE.BufferGeometry>();
function geometryOf(key: string, make: () => THREE.BufferGeometry): THREE.BufferGeometry {
  let g = GEOMETRIES.get(key);
  if (!g) {
    g = make();
    GEOMETRIES.set(key, g);
  }
  return g;
}

const MATERIALS = new Map<string, THREE.Material>();
function shared<M extends THREE.Material>(key: string, make: () => M): M {
  let m = MATERIALS.get(key) as M | undefined;
  if (!m) {
    m = make();
    MATERIALS.set(key, m);
  }
  return m;
}

/**
 * A whole-tile ground slab's geometry, its texture coordinates and colours taken from world
 * coordinates (the grass repeats every 4 m; lighter and darker patches a dozen metres across,
 * from a smooth function of x and z): neighbouring tiles continue each other, no seam shows.
 * The top is cut into 2 m squares so the patches have vertices to vary on.
 */
function groundGeometry(half: { x: number; y: number; z: number }, at: { x: number; y: number; z: number }): THREE.BufferGeometry {
  const g = new THREE.BoxGeometry(half.x * 2, half.y * 2, half.z * 2, Math.max(1, Math.round(half.x)), 1, Math.max(1, Math.round(half.z)));
  const pos = g.getAttribute('position');
  const uv = g.getAttribute('uv');
  const colours = new Float32Array(pos.count * 3);
  const c = new THREE.Color();
  for (let i = 0; i < pos.count; i++) {
    const x = at.x + pos.getX(i);
    const y = at.y + pos.getY(i);
    const z = at.z + pos.getZ(i);
    // Top: x and z; the sides (seen only at the world's edge): along the side and down.
    const top = pos.getY(i) > half.y - 1e-6;
    uv.setXY(i, top || Math.abs(pos.getZ(i)) > half.z - 1e-6 ? x / 4 : z / 4, top ? -z / 4 : y / 4);
    c.copy(GRASS.base).multiplyScalar(1 + GRASS.patch * grassShade(x, z));
    colours.set([c.r, c.g, c.b], i * 3);
  }
  g.setAttribute('color', new THREE.BufferAttribute(colours, 3));
  return g;
}

/** Smooth, in [-1, 1]: a few long waves across the ground, the same wherever a tile's edge is. */
function grassShade(x: number, z: number): number {
  return (Math.sin(x * 0.21 + z * 0.07) + Math.sin(z * 0.17 - x * 0.11 + 1.3) + 0.6 * Math.sin((x + z) * 0.43 + 0.4)) / 2.6;
}

/** A texture repeating every `metres` over a face `w` × `h` metres. */
function repeated(texture: THREE.Texture, w: number, h: number, metres: number): THREE.Texture {
  const key = `${texture.uuid}|${w.toFixed(2)}|${h.toFixed(2)}|${metres}`;
  return (shared(`tex:${key}`, () => {
    const t = texture.clone();
    t.repeat.set(Math.max(1, Math.round(w / metres)), Math.max(1, Math.round(h / metres)));
    t.needsUpdate = true;
    // Stored as a material's map so the cache can hold it; only the map is used.
    return new THREE.MeshBasicMaterial({ map: t });
  }) as THREE.MeshBasicMaterial).map!;
}

/** A three.js mesh matching an entity's collider, drawn by kind (children add the details). */
export function meshFor(look: EntityLook, tileEdge: number): THREE.Mesh {
  const s = look.body.shape;
  let mesh: THREE.Mesh;
  if (look.kind === 'avatar') mesh = avatarMesh(COLOURS['avatar']!);
  else if (look.kind === 'wanderer') mesh = wandererMesh();
  else {
    // Bodies of one shape share one geometry: building 300 capsules one by one took ~400 ms.
    const key = JSON.stringify(s);
    const geometry = geometryOf(key, () => {
      if (s.type === 'box') return new THREE.BoxGeometry(s.halfExtents.x * 2, s.halfExtents.y * 2, s.halfExtents.z * 2);
      if (s.type === 'ball') return new THREE.SphereGeometry(s.radius, 18, 12);
      return new THREE.CapsuleGeometry(s.radius, s.halfHeight * 2, 4, 12);
    });
    let colour = COLOURS[look.kind] ?? 0xcccccc;
    let map: THREE.Texture | undefined;
    let meadow: THREE.BufferGeometry | undefined;
    if (look.kind === 'ground' && s.type === 'box') {
      const w = s.halfExtents.x * 2;
      const d = s.halfExtents.z * 2;
      if (w >= tileEdge * 0.99 && d >= tileEdge * 0.99) {
        // A whole-tile slab: grass laid in world coordinates, so the tiles meet without a seam.
        colour = 0xffffff;
        meadow = groundGeometry(s.halfExtents, look.position);
        map = grassTexture();
      } else if (s.halfExtents.y <= 0.2 && Math.min(w, d) >= 1) {
        // A low, wide piece (a plaza, a platform, a ramp): paving slabs.
        colour = 0xd6cdbb;
        map = repeated(stoneTexture(), w, d, 2);
      } else {
        // A wall (or any other fixed piece): stone blocks.
        colour = 0xb7ae9c;
        map = repeated(stoneTexture(), Math.max(w, d), s.halfExtents.y * 2, 1.5);
      }
    } else if (look.kind === 'box') map = crateTexture();
    else if (look.kind === 'ball') colour = BALL_COLOURS[look.id % BALL_COLOURS.length]!;
    const material = new THREE.MeshLambertMaterial({ color: colour, ...(map && textured ? { map } : {}), ...(meadow ? { vertexColors: true } : {}) });
    mesh = new THREE.Mesh(meadow ?? geometry, material);
    mesh.castShadow = look.kind !== 'ground';
    if (look.kind === 'ground' && s.type === 'box' && s.halfExtents.y > 0.6) mesh.castShadow = true; // walls
    mesh.receiveShadow = true;
    addDetails(look, mesh);
  }
  mesh.name = `${look.kind}#${look.id}`;
  // Players' bodies never turn (their rotations are locked): drawn facing where they go (`faceAlong`).
  if (look.kind === 'avatar' || look.kind === 'wanderer') mesh.userData['turns'] = true;
  return mesh;
}

/** Children that make a kind read as what it is: a barrel, a lid, a button, a window. */
function addDetails(look: EntityLook, mesh: THREE.Mesh): void {
  const s = look.body.shape;
  if (s.type !== 'box') return;
  const h = s.halfExtents;
  if (look.kind === 'train' && h.y < 0.5) {
    // A flatcar (the demo's is coupled behind the train): a plank deck and a low rail at each end.
    const deck = new THREE.Mesh(geometryOf(`flatcar-deck:${h.x},${h.z}`, () => new THREE.BoxGeometry(h.x * 2 - 0.1, 0.04, h.z * 2 - 0.1)), shared('flatcar-deck', () => new THREE.MeshLambertMaterial({ color: 0x8a6a45 })));
    deck.position.y = h.y + 0.02;
    deck.receiveShadow = true;
    const metal = shared('flatcar-rail', () => new THREE.MeshLambertMaterial({ color: 0x3a3f47 }));
    const rail = geometryOf(`flatcar-rail:${h.z}`, () => new THREE.BoxGeometry(0.08, 0.5, h.z * 2));
    for (const x of [-h.x + 0.04, h.x - 0.04]) {
      const r = new THREE.Mesh(rail, metal);
      r.position.set(x, h.y + 0.25, 0);
      r.castShadow = true;
      mesh.add(r);
    }
    mesh.add(deck);
    mesh.userData['train'] = true;
  } else if (look.kind === 'train') {
    // The open window, on the side that faces the track's centre (local −z), and two closed
    // ones on the other side; a grey roof and a cream stripe along both sides.
    const dark = shared('window', () => new THREE.MeshBasicMaterial({ color: 0x10161f, side: THREE.DoubleSide }));
    const open = new THREE.Mesh(geometryOf('train-window', () => new THREE.PlaneGeometry(1.6, 1)), dark);
    open.position.set(0, 0.3, -h.z - 0.01);
    const glass = shared('train-glass', () => new THREE.MeshLambertMaterial({ color: 0x9fc3d9 }));
    const pane = geometryOf('train-pane', () => new THREE.PlaneGeometry(1.2, 0.8));
    for (const x of [-1.5, 1.5]) {
      const w = new THREE.Mesh(pane, glass);
      w.position.set(x, 0.35, h.z + 0.01);
      mesh.add(w);
    }
    const roof = new THREE.Mesh(geometryOf(`train-roof:${h.x},${h.z}`, () => new THREE.BoxGeometry(h.x * 2 + 0.1, 0.18, h.z * 2 + 0.1)), shared('train-roof', () => new THREE.MeshLambertMaterial({ color: 0x4a4f57 })));
    roof.position.y = h.y + 0.09;
    roof.castShadow = true;
    const stripe = new THREE.Mesh(geometryOf(`train-stripe:${h.x},${h.z}`, () => new THREE.BoxGeometry(h.x * 2 + 0.02, 0.16, h.z * 2 + 0.02)), shared('train-stripe', () => new THREE.MeshLambertMaterial({ color: 0xf1e6c8 })));
    stripe.position.y = -0.45;
    mesh.add(open, roof, stripe);
    mesh.userData['train'] = true;
  } else if (look.kind === 'cannon') {
    // A barrel pointing the way the demo's cannon fires (+x, 37° up), on two wheels.
    const metal = shared('cannon-metal', () => new THREE.MeshLambertMaterial({ color: 0x2a2e35 }));
    const barrel = new THREE.Mesh(geometryOf('barrel', () => new THREE.CylinderGeometry(0.2, 0.26, 1.3, 10).rotateZ(-Math.PI / 2)), metal);
    barrel.position.set(0.25, h.y + 0.15, 0);
    barrel.rotation.z = Math.atan2(0.6, 0.8);
    barrel.castShadow = true;
    const wood = shared('wheel', () => new THREE.MeshLambertMaterial({ color: 0x6b4423 }));
    for (const side of [-1, 1]) {
      const wheel = new THREE.Mesh(geometryOf('wheel', () => new THREE.CylinderGeometry(0.32, 0.32, 0.1, 12).rotateX(Math.PI / 2)), wood);
      wheel.position.set(-0.1, -h.y + 0.3, side * (h.z + 0.06));
      mesh.add(wheel);
    }
    mesh.add(barrel);
  } else if (look.kind === 'switch') {
    const button = new THREE.Mesh(geometryOf('switch-button', () => new THREE.CylinderGeometry(0.22, 0.26, 0.12, 12)), shared('switch-button', () => new THREE.MeshLambertMaterial({ color: 0xd2332f })));
    button.position.y = h.y + 0.05;
    mesh.add(button);
  } else if (look.kind === 'chest') {
    const gold = shared('gold', () => new THREE.MeshLambertMaterial({ color: 0xe8c04a, emissive: 0x3a2a00 }));
    const band = new THREE.Mesh(geometryOf(`band:${h.x},${h.z}`, () => new THREE.BoxGeometry(h.x * 2 + 0.04, 0.08, h.z * 2 + 0.04)), gold);
    band.position.y = h.y * 0.35;
    const lock = new THREE.Mesh(geometryOf('lock', () => new THREE.BoxGeometry(0.14, 0.16, 0.04)), gold);
    lock.position.set(0, h.y * 0.2, h.z + 0.03);
    mesh.add(band, lock);
  }
}

/**
 * A player: a body in the player's colour (the root mesh: recolour its material), a head, eyes
 * and a cap's peak on the side it faces (local +z). The collider is a capsule 1.6 m tall.
 */
export function avatarMesh(colour: number): THREE.Mesh {
  const body = new THREE.Mesh(
    geometryOf('avatar-body', () => new THREE.CapsuleGeometry(0.27, 0.56, 4, 12).translate(0, -0.22, 0)),
    new THREE.MeshLambertMaterial({ color: colour }),
  );
  const skin = shared('skin', () => new THREE.MeshLambertMaterial({ color: 0xf0c9a5 }));
  const head = new THREE.Mesh(geometryOf('avatar-head', () => new THREE.SphereGeometry(0.23, 14, 10)), skin);
  head.position.y = 0.55;
  const cap = new THREE.Mesh(geometryOf('avatar-cap', () => new THREE.SphereGeometry(0.245, 14, 6, 0, Math.PI * 2, 0, Math.PI / 2.2)), body.material);
  cap.position.y = 0.58;
  const peak = new THREE.Mesh(geometryOf('avatar-peak', () => new THREE.BoxGeometry(0.3, 0.035, 0.2)), body.material);
  peak.position.set(0, 0.66, 0.23);
  const eyes = new THREE.Mesh(
    geometryOf('avatar-eyes', () => mergeGeometries([new THREE.SphereGeometry(0.035, 6, 4).translate(-0.085, 0, 0), new THREE.SphereGeometry(0.035, 6, 4).translate(0.085, 0, 0)])),
    shared('eyes', () => new THREE.MeshBasicMaterial({ color: 0x1b1f24 })),
  );
  eyes.position.set(0, 0.56, 0.205);
  for (const m of [body, head, cap]) {
    m.castShadow = true;
    m.receiveShadow = true;
  }
  body.add(head, cap, peak, eyes);
  return body;
}

/** A wanderer (the busy worlds have hundreds): body and head in one mesh, one draw call. */
function wandererMesh(): THREE.Mesh {
  const geometry = geometryOf('wanderer', () =>
    mergeGeometries([new THREE.CapsuleGeometry(0.27, 0.56, 3, 8).translate(0, -0.22, 0), new THREE.SphereGeometry(0.23, 8, 6).translate(0, 0.55, 0)]),
  );
  const mesh = new THREE.Mesh(geometry, new THREE.MeshLambertMaterial({ color: COLOURS['wanderer']! }));
  mesh.castShadow = true;
  return mesh;
}

/**
 * Turns a player's drawing towards where it is going: `dx`, `dz` is its latest motion (or
 * input), ignored when too small; the turn is eased over a few frames.
 */
export function faceAlong(mesh: THREE.Object3D, dx: number, dz: number): void {
  let yaw = (mesh.userData['yaw'] as number | undefined) ?? 0;
  if (Math.hypot(dx, dz) > 0.008) {
    const target = Math.atan2(dx, dz);
    let d = target - yaw;
    while (d > Math.PI) d -= 2 * Math.PI;
    while (d < -Math.PI) d += 2 * Math.PI;
    yaw += d * 0.25;
    mesh.userData['yaw'] = yaw;
  }
  mesh.quaternion.setFromAxisAngle(Y_AXIS, yaw);
}
const Y_AXIS = new THREE.Vector3(0, 1, 0);

/** Outlines of the tiles' footprints, drawn just above the ground slabs (top at y = 1): a debug view. */
export function tileGrid(tiles: readonly TileId[], edge: number): THREE.LineSegments {
  const points: number[] = [];
  const y = 1.02;
  for (const t of tiles) {
    if (t.y !== 0) continue;
    const x0 = t.x * edge;
    const z0 = t.z * edge;
    const x1 = x0 + edge;
    const z1 = z0 + edge;
    points.push(x0, y, z0, x1, y, z0, x1, y, z0, x1, y, z1, x1, y, z1, x0, y, z1, x0, y, z1, x0, y, z0);
  }
  const geometry = new THREE.BufferGeometry();
  geometry.setAttribute('position', new THREE.Float32BufferAttribute(points, 3));
  return new THREE.LineSegments(geometry, new THREE.LineBasicMaterial({ color: 0xffffff, transparent: true, opacity: 0.7 }));
}

/** A name tag's size in the world, metres (its canvas is 256 × 64 pixels). */
export const NAME_TAG_SIZE = { width: 2.4, height: 0.6 } as const;

/**
 * A name tag over a player: the name on a dark pill, a dot and a stripe in the player's
 * colour. Drawn over everything (no depth test) so it is never hidden behind a crate.
 */
export function nameTag(text: string, colour: string): THREE.Sprite {
  const c = document.createElement('canvas');
  c.width = 256;
  c.height = 64;
  const g = c.getContext('2d')!;
  g.font = '600 28px system-ui, sans-serif';
  const w = Math.min(248, g.measureText(text).width + 56);
  const x0 = (256 - w) / 2;
  g.fillStyle = 'rgba(13,17,23,0.72)';
  g.beginPath();
  g.roundRect(x0, 10, w, 44, 22);
  g.fill();
  g.fillStyle = colour;
  g.beginPath();
  g.arc(x0 + 24, 32, 8, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = '#fff';
  g.textAlign = 'left';
  g.textBaseline = 'middle';
  g.fillText(text, x0 + 40, 33, w - 50);
  const texture = new THREE.CanvasTexture(c);
  texture.colorSpace = THREE.SRGBColorSpace;
  const sprite = new THREE.Sprite(new THREE.SpriteMaterial({ map: texture, depthTest: false, transparent: true }));
  sprite.scale.set(NAME_TAG_SIZE.width, NAME_TAG_SIZE.height, 1);
  sprite.renderOrder = 10;
  return sprite;
}
