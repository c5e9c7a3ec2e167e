/** A 3-vector in metres (positions), m/s (velocities), N·s (impulses) or rad/s (angular velocities). */
export interface Vec3 {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

/** A unit quaternion (x, y, z, w). */
export interface Quat {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly w: number;
}

/** The zero vector. */
export const ZERO: Vec3 = Object.freeze({ x: 0, y: 0, z: 0 });
/** The identity rotation. */
export const IDENTITY: Quat = Object.freeze({ x: 0, y: 0, z: 0, w: 1 });

/** Builds a `Vec3`. */
export function vec3(x: number, y: number, z: number): Vec3 {
  return { x, y, z };
}

/** True when every component is a finite number. */
export function isFiniteVec(v: Vec3): boolean {
  return Number.isFinite(v.x) && Number.isFinite(v.y) && Number.isFinite(v.z);
}

/** Euclidean distance between two points, metres. */
export function distance(a: Vec3, b: Vec3): number {
  const dx = a.x - b.x;
  const dy = a.y - b.y;
  const dz = a.z - b.z;
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
}
