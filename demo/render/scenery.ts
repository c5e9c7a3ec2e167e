import * as THREE from 'three';
import { mergeGeometries } from './merge.js';

// What is drawn around the world: a meadow to the horizon, trees, rocks and far hills (the sky
// is the page's background: see index.html). None of it is simulated (nothing can touch it); it is all a few draw calls
// (instanced trees and rocks) so software WebGL keeps up.

/** The sky's colour at the horizon (index.html's gradient ends in it): the fog fades far things into it; `plain`: the whole sky in low quality. */
export const SKY = { horizon: 0xcfe2ee, plain: 0xa9cbe8 } as const;

/** Things around the world, kept out of the rectangle the world's ground covers (see `fit`). */
export interface Scenery {
  readonly group: THREE.Group;
  /** Hides the trees and rocks standing on the world's ground, `[x0, x1] × [z0, z1]` (metres). */
  fit(x0: number, x1: number, z0: number, z1: number): void;
}

interface Placed {
  readonly matrix: THREE.Matrix4;
  readonly x: number;
  readonly z: number;
  readonly r: number;
}

/** `full`: the meadow, trees, rocks and hills; otherwise nothing (low quality: many tabs on one machine). */
export function scenery(full = true): Scenery {
  const group = new THREE.Group();
  group.name = 'scenery';
  if (!full) return { group, fit() {} };
  let seed = 20260;
  const rand = (): number => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };

  // The meadow: a wide field just under the world's slabs (their tops are at y = 1), in patches
  // of greens (vertex colours). Unlit and untextured: it fills half the screen, so it must cost
  // little in software WebGL (a flat field under a far sun is lit the same everywhere anyway).
  const field = new THREE.PlaneGeometry(840, 840, 42, 42).rotateX(-Math.PI / 2);
  const colours: number[] = [];
  const c = new THREE.Color();
  for (let i = 0; i < field.getAttribute('position').count; i++) {
    c.setHSL(0.24 + rand() * 0.05, 0.3 + rand() * 0.12, 0.36 + rand() * 0.07, THREE.SRGBColorSpace);
    colours.push(c.r, c.g, c.b);
  }
  field.setAttribute('color', new THREE.Float32BufferAttribute(colours, 3));
  const meadow = new THREE.Mesh(field, new THREE.MeshBasicMaterial({ vertexColors: true }));
  meadow.position.set(24, 0.96, 24);
  meadow.renderOrder = 1; // after the world's ground, so the part under it is not drawn twice
  meadow.name = 'meadow';
  if (full) group.add(meadow);

  // Far hills: big flattened low-poly domes the fog turns blue-grey.
  const hillMaterial = new THREE.MeshLambertMaterial({ color: 0x5f8a4a, flatShading: true });
  const hillGeometry = new THREE.IcosahedronGeometry(1, 1);
  for (let i = 0; i < 11; i++) {
    const a = (i / 11) * Math.PI * 2 + rand() * 0.3;
    const d = 230 + rand() * 80;
    const hill = new THREE.Mesh(hillGeometry, hillMaterial);
    const r = 45 + rand() * 45;
    hill.scale.set(r, 8 + rand() * 14, r * (0.7 + rand() * 0.5));
    hill.position.set(24 + Math.cos(a) * d, 0, 24 + Math.sin(a) * d);
    if (full) group.add(hill);
  }

  // Trees (a trunk and two stacked cones) and rocks around the world, instanced.
  const trees: Placed[] = [];
  for (let i = 0; trees.length < 110 && i < 2000; i++) {
    const x = -110 + rand() * 270;
    const z = -110 + rand() * 270;
    // Fewer near the world, a ring of them where the land meets it.
    const dx = Math.max(0, Math.abs(x - 24) - 24);
    const dz = Math.max(0, Math.abs(z - 24) - 24);
    const out = Math.hypot(dx, dz);
    if (out < 4 || (out < 14 && rand() < 0.5)) continue;
    const s = 0.8 + rand() * 0.7;
    const m = new THREE.Matrix4().compose(new THREE.Vector3(x, 0.96, z), new THREE.Quaternion().setFromAxisAngle(new THREE.Vector3(0, 1, 0), rand() * 6.28), new THREE.Vector3(s, s * (0.85 + rand() * 0.4), s));
    trees.push({ matrix: m, x, z, r: 2 * s });
  }
  const trunkGeometry = new THREE.CylinderGeometry(0.18, 0.28, 1.6, 6).translate(0, 0.8, 0);
  const crownGeometry = mergeCones();
  const trunks = new THREE.InstancedMesh(trunkGeometry, new THREE.MeshLambertMaterial({ color: 0x6b4a2e }), trees.length);
  const crowns = new THREE.InstancedMesh(crownGeometry, new THREE.MeshLambertMaterial({ color: 0x3f7a3a, flatShading: true }), trees.length);
  const tint = new THREE.Color();
  trees.forEach((t, i) => {
    trunks.setMatrixAt(i, t.matrix);
    crowns.setMatrixAt(i, t.matrix);
    crowns.setColorAt(i, tint.setHSL(0.27 + rand() * 0.08, 0.45 + rand() * 0.15, 0.3 + rand() * 0.1, THREE.SRGBColorSpace));
  });
  const rocks: Placed[] = [];
  for (let i = 0; rocks.length < 40 && i < 1000; i++) {
    const x = -60 + rand() * 170;
    const z = -60 + rand() * 170;
    const out = Math.hypot(Math.max(0, Math.abs(x - 24) - 24), Math.max(0, Math.abs(z - 24) - 24));
    if (out < 2) continue;
    const s = 0.4 + rand() * 1.1;
    rocks.push({ matrix: new THREE.Matrix4().compose(new THREE.Vector3(x, 0.9, z), new THREE.Quaternion().setFromEuler(new THREE.Euler(rand(), rand() * 6, rand())), new THREE.Vector3(s, s * 0.6, s * (0.8 + rand() * 0.4))), x, z, r: s });
  }
  const rockMesh = new THREE.InstancedMesh(new THREE.DodecahedronGeometry(1, 0), new THREE.MeshLambertMaterial({ color: 0x8d8a82, flatShading: true }), rocks.length);
  rocks.forEach((r, i) => rockMesh.setMatrixAt(i, r.matrix));
  if (full) for (const m of [trunks, crowns, rockMesh]) group.add(m);

  const hidden = new THREE.Matrix4().makeScale(0, 0, 0);
  return {
    group,
    fit(x0, x1, z0, z1) {
      const inside = (p: Placed): boolean => p.x + p.r > x0 - 1 && p.x - p.r < x1 + 1 && p.z + p.r > z0 - 1 && p.z - p.r < z1 + 1;
      trees.forEach((t, i) => {
        const m = inside(t) ? hidden : t.matrix;
        trunks.setMatrixAt(i, m);
        crowns.setMatrixAt(i, m);
      });
      rocks.forEach((r, i) => rockMesh.setMatrixAt(i, inside(r) ? hidden : r.matrix));
      trunks.instanceMatrix.needsUpdate = true;
      crowns.instanceMatrix.needsUpdate = true;
      rockMesh.instanceMatrix.needsUpdate = true;
      for (const m of [trunks, crowns, rockMesh]) m.computeBoundingSphere();
    },
  };
}

/** A fir's crown: two cones, one over the other. */
function mergeCones(): THREE.BufferGeometry {
  return mergeGeometries([new THREE.ConeGeometry(1.3, 2.4, 7).translate(0, 2.6, 0), new THREE.ConeGeometry(0.95, 1.9, 7).translate(0, 3.7, 0)]);
}
