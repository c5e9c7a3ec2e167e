import * as THREE from 'three';
import type { EntityLook, TileId } from '../../src/index.js';

const COLOURS: Record<string, number> = {
  ground: 0x6f8f5a,
  box: 0xd98c3f,
  ball: 0x3f7fd9,
  ramp: 0x8c8c8c, // authored objects are then drawn in their document colour
  avatar: 0x27b5a5,
  wanderer: 0x8a6fd1,
  switch: 0xe0c030,
  cannon: 0x3a3f47,
  cannonball: 0x1d1f24,
  chest: 0xc9a227,
  train: 0xb83b3b,
};

const GEOMETRIES = new Map<string, THREE.BufferGeometry>();

/** A three.js mesh matching an entity's collider, coloured by kind (ground slabs in a checkerboard of tiles). */
export function meshFor(look: EntityLook, tileEdge: number): THREE.Mesh {
  const s = look.body.shape;
  // Bodies of one shape share one geometry: building 300 capsules one by one took ~400 ms.
  const key = JSON.stringify(s);
  let geometry = GEOMETRIES.get(key);
  if (!geometry) {
    if (s.type === 'box') geometry = new THREE.BoxGeometry(s.halfExtents.x * 2, s.halfExtents.y * 2, s.halfExtents.z * 2);
    else if (s.type === 'ball') geometry = new THREE.SphereGeometry(s.radius, 24, 16);
    else geometry = new THREE.CapsuleGeometry(s.radius, s.halfHeight * 2, 6, 16);
    GEOMETRIES.set(key, geometry);
  }
  let colour = COLOURS[look.kind] ?? 0xcccccc;
  if (look.kind === 'ground' && s.type === 'box' && s.halfExtents.x * 2 >= tileEdge * 0.99 && s.halfExtents.z * 2 >= tileEdge * 0.99) {
    // A whole-tile slab: alternate shades so the tiles read as a grid.
    const tx = Math.floor(look.position.x / tileEdge);
    const tz = Math.floor(look.position.z / tileEdge);
    colour = (tx + tz) % 2 === 0 ? 0x6f8f5a : 0x7f9f66;
  }
  const material = new THREE.MeshStandardMaterial({ color: colour, roughness: 0.8 });
  const mesh = new THREE.Mesh(geometry, material);
  mesh.castShadow = look.kind !== 'ground';
  mesh.receiveShadow = true;
  mesh.name = `${look.kind}#${look.id}`;
  if (look.kind === 'train' && s.type === 'box') {
    // The open window, on the side that faces the track's centre (local −z).
    const window = new THREE.Mesh(new THREE.PlaneGeometry(1.6, 1), new THREE.MeshBasicMaterial({ color: 0x10161f, side: THREE.DoubleSide }));
    window.position.set(0, 0.3, -s.halfExtents.z - 0.01);
    mesh.add(window);
  }
  return mesh;
}

/** Outlines of the tiles' footprints, drawn just above the ground slabs (top at y = 1). */
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
