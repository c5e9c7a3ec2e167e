import * as THREE from 'three';
import { mergeGeometries } from './merge.js';

// The track a train runs on. A train is a kinematic body going round a circle (the `train`
// kind): the track is not simulated (nothing touches it) and no entity describes it, so it is
// worked out from where the page sees the train go — a circle fitted to its positions once it
// has gone a quarter of the way round — and then drawn once: a gravel bed, sleepers and two
// rails, three draw calls. (Positions only: a replica's are extrapolated and corrected, so the
// fit waits until they lie on one circle to within 25 cm.)

/** Gauge between the rails' centres, metres. */
const GAUGE = 1.5;
/** Top of the ground slabs (the track lies on them), metres. */
const GROUND_Y = 1;
/** A position is kept when the train has gone this far from the last one kept, metres. */
const SPACING = 1;
/** Positions kept per train (the newest). */
const KEEP = 40;

/** Finds a train's circular track from its positions and draws it once it is known. */
export class TrackFinder {
  private readonly seen = new Map<number, { x: number; z: number }[]>();
  private readonly done = new Set<number>();
  private readonly drawn: { x: number; z: number; r: number }[] = [];

  constructor(private readonly add: (track: THREE.Object3D) => void) {}

  /** A train `id` is at `p` now; draws its track as soon as its positions give a circle. */
  see(id: number, p: { x: number; z: number }): void {
    if (this.done.has(id)) return;
    let points = this.seen.get(id);
    if (!points) this.seen.set(id, (points = []));
    const last = points[points.length - 1];
    if (last && Math.hypot(p.x - last.x, p.z - last.z) < SPACING) return;
    points.push({ x: p.x, z: p.z });
    if (points.length > KEEP) points.shift();
    const circle = fitCircle(points);
    if (!circle) return;
    this.done.add(id);
    this.seen.delete(id);
    // Cars on one track (the demo's train and its flatcar): the track is drawn once.
    if (this.drawn.some((c) => Math.hypot(c.x - circle.x, c.z - circle.z) < 0.5 && Math.abs(c.r - circle.r) < 0.5)) return;
    this.drawn.push(circle);
    this.add(trackMesh(circle.x, circle.z, circle.r));
  }
}

/**
 * The circle through `points` (least squares, Kåsa's method), when they span at least a quarter
 * turn and all lie within 25 cm of it (a replica's positions are a little off); otherwise undefined.
 */
export function fitCircle(points: readonly { x: number; z: number }[]): { x: number; z: number; r: number } | undefined {
  if (points.length < 6) return undefined;
  // Centred on the mean, for a well-conditioned system: x² + z² + D x + E z + F = 0.
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const mz = points.reduce((a, p) => a + p.z, 0) / points.length;
  let sxx = 0, sxz = 0, szz = 0, sxw = 0, szw = 0, sw = 0;
  for (const p of points) {
    const x = p.x - mx;
    const z = p.z - mz;
    const w = x * x + z * z;
    sxx += x * x;
    sxz += x * z;
    szz += z * z;
    sxw += x * w;
    szw += z * w;
    sw += w;
  }
  // With centred coordinates Σx = Σz = 0, so D and E solve a 2 × 2 system and F = −mean(w).
  const det = sxx * szz - sxz * sxz;
  if (Math.abs(det) < 1e-9) return undefined; // on a line
  const D = (-sxw * szz + szw * sxz) / det;
  const E = (-szw * sxx + sxw * sxz) / det;
  const F = -sw / points.length;
  const cx = -D / 2;
  const cz = -E / 2;
  const r = Math.sqrt(cx * cx + cz * cz - F);
  if (!(r > 2 && r < 200)) return undefined;
  let worst = 0;
  for (const p of points) worst = Math.max(worst, Math.abs(Math.hypot(p.x - mx - cx, p.z - mz - cz) - r));
  if (worst > 0.25) return undefined;
  // A quarter turn at least between the first and the last point kept.
  const a0 = Math.atan2(points[0]!.z - mz - cz, points[0]!.x - mx - cx);
  const a1 = Math.atan2(points[points.length - 1]!.z - mz - cz, points[points.length - 1]!.x - mx - cx);
  let turn = Math.abs(a1 - a0);
  if (turn > Math.PI) turn = 2 * Math.PI - turn;
  if (turn < Math.PI / 2 && points.length * SPACING < r * (Math.PI / 2)) return undefined;
  return { x: cx + mx, z: cz + mz, r };
}

/** A circular track of radius `r` about (`cx`, `cz`) on the ground. */
export function trackMesh(cx: number, cz: number, r: number): THREE.Group {
  const group = new THREE.Group();
  group.name = 'track';
  const segments = Math.max(48, Math.round(r * 8));
  const flat = (inner: number, outer: number, y: number): THREE.BufferGeometry => new THREE.RingGeometry(inner, outer, segments, 1).rotateX(-Math.PI / 2).translate(0, y, 0);
  // The gravel bed, a little wider than the train.
  const bed = new THREE.Mesh(flat(r - 1.45, r + 1.45, GROUND_Y + 0.025), new THREE.MeshLambertMaterial({ color: 0x8f8577 }));
  bed.receiveShadow = true;
  // Sleepers every 0.75 m, merged into one geometry.
  const count = Math.round((2 * Math.PI * r) / 0.75);
  const sleeper = new THREE.BoxGeometry(2.3, 0.08, 0.24);
  const parts: THREE.BufferGeometry[] = [];
  for (let i = 0; i < count; i++) {
    const a = (i / count) * Math.PI * 2;
    parts.push(sleeper.clone().rotateY(-a).translate(Math.cos(a) * r, GROUND_Y + 0.06, Math.sin(a) * r));
  }
  const sleepers = new THREE.Mesh(mergeGeometries(parts), new THREE.MeshLambertMaterial({ color: 0x6a4d35 }));
  sleepers.receiveShadow = true;
  // The rails: two thin rings over the sleepers (flat strips: seen from above, as the camera sees them).
  const rails = new THREE.Mesh(mergeGeometries([flat(r - GAUGE / 2 - 0.04, r - GAUGE / 2 + 0.04, GROUND_Y + 0.13), flat(r + GAUGE / 2 - 0.04, r + GAUGE / 2 + 0.04, GROUND_Y + 0.13)]), new THREE.MeshLambertMaterial({ color: 0xd5d8dc }));
  group.add(bed, sleepers, rails);
  group.position.set(cx, 0, cz);
  return group;
}
