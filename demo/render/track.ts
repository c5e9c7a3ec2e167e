import * as THREE from 'three';
import { mergeGeometries } from './merge.js';

// The track a train runs on. A train is a kinematic box turning about a centre (the `train`
// kind): the track is not simulated (nothing touches it) and no entity describes it, so it is
// worked out from what the page sees of the train — its window side (local −z) faces the
// centre, so two poses a little way apart give the centre and the radius — and then drawn
// once: a gravel bed, sleepers and two rails, three draw calls.

/** Gauge between the rails' centres, metres. */
const GAUGE = 1.5;
/** Top of the ground slabs (the track lies on them), metres. */
const GROUND_Y = 1;

interface Pose {
  readonly x: number;
  readonly z: number;
  /** Unit vector from the train towards the track's centre (its local −z). */
  readonly nx: number;
  readonly nz: number;
}

/** Finds a train's circular track from its poses and draws it once it is known. */
export class TrackFinder {
  private readonly first = new Map<number, Pose>();
  private readonly done = new Set<number>();

  constructor(private readonly add: (track: THREE.Object3D) => void) {}

  /** A train `id` is at `p` turned by `q` now; draws its track as soon as two poses give it. */
  see(id: number, p: { x: number; z: number }, q: { x: number; y: number; z: number; w: number }): void {
    if (this.done.has(id)) return;
    const n = new THREE.Vector3(0, 0, -1).applyQuaternion(new THREE.Quaternion(q.x, q.y, q.z, q.w));
    const len = Math.hypot(n.x, n.z);
    if (len < 0.5) return;
    const pose = { x: p.x, z: p.z, nx: n.x / len, nz: n.z / len };
    const a = this.first.get(id);
    if (!a) {
      this.first.set(id, pose);
      return;
    }
    // Centre c = a + na·r = pose + n·r: least squares for r over the two poses.
    const dnx = pose.nx - a.nx;
    const dnz = pose.nz - a.nz;
    const d2 = dnx * dnx + dnz * dnz;
    if (d2 < 0.04) return; // not turned enough yet (about 11°) for a steady answer
    const r = -((pose.x - a.x) * dnx + (pose.z - a.z) * dnz) / d2;
    if (!(r > 2 && r < 200)) {
      this.first.set(id, pose); // not a circle we can tell (a jump, a straight run): start again
      return;
    }
    this.done.add(id);
    this.add(trackMesh(a.x + a.nx * r, a.z + a.nz * r, r));
  }
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
