import * as THREE from 'three';

/**
 * One geometry out of several (position, normal, uv), so they draw in one call. (three's
 * BufferGeometryUtils does this too, but a module Vite has not pre-bundled makes the dev
 * server reload the page the first time it is loaded.)
 */
export function mergeGeometries(parts: readonly THREE.BufferGeometry[]): THREE.BufferGeometry {
  const flat = parts.map((p) => (p.index ? p.toNonIndexed() : p));
  const out = new THREE.BufferGeometry();
  for (const name of ['position', 'normal', 'uv'] as const) {
    const size = flat[0]!.getAttribute(name).itemSize;
    const arr = new Float32Array(flat.reduce((n, p) => n + p.getAttribute(name).array.length, 0));
    let at = 0;
    for (const p of flat) {
      const a = p.getAttribute(name).array as Float32Array;
      arr.set(a, at);
      at += a.length;
    }
    out.setAttribute(name, new THREE.BufferAttribute(arr, size));
  }
  out.computeBoundingSphere();
  return out;
}
