/** A 3-vector in metres (positions), m/s (velocities), N·s (impulses) or rad/s (angular velocities). */
export interface Vec3 {
  /** X component (east–west axis). */
  readonly x: number;
  /** Y component (up). */
  readonly y: number;
  /** Z component (north–south axis). */
  readonly z: number;
}

/** A unit quaternion (x, y, z, w). */
export interface Quat {
  /** X of the vector part (axis × sin(angle/2)). */
  readonly x: number;
  /** Y of the vector part. */
  readonly y: number;
  /** Z of the vector part. */
  readonly z: number;
  /** Scalar part, cos(angle/2). */
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
