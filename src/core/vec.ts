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

/**
 * The unit quaternion of the rotation `omega · dt` (an angular velocity, rad/s, over `dt`
 * seconds), built with sqrt only (sin and cos round differently across engines): its angle is
 * 2·atan(|ω|dt/2), |ω|dt to within (|ω|dt)³/12.
 */
export function turnQuat(omega: Vec3, dt: number): Quat {
  const h = dt / 2;
  const x = omega.x * h;
  const y = omega.y * h;
  const z = omega.z * h;
  const n = Math.sqrt(1 + x * x + y * y + z * z);
  return { x: x / n, y: y / n, z: z / n, w: 1 / n };
}

/** `v` rotated by the unit quaternion `q` (by its inverse with `inverse`). */
export function rotateVec(q: Quat, v: Vec3, inverse = false): Vec3 {
  const s = inverse ? -1 : 1;
  const x = q.x * s;
  const y = q.y * s;
  const z = q.z * s;
  // v' = v + 2w(u × v) + 2u × (u × v), u = (x, y, z).
  const tx = 2 * (y * v.z - z * v.y);
  const ty = 2 * (z * v.x - x * v.z);
  const tz = 2 * (x * v.y - y * v.x);
  return { x: v.x + q.w * tx + (y * tz - z * ty), y: v.y + q.w * ty + (z * tx - x * tz), z: v.z + q.w * tz + (x * ty - y * tx) };
}

/** The product `a · b` of two quaternions (rotation `b`, then `a`). */
export function mulQuat(a: Quat, b: Quat): Quat {
  return {
    x: a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
    y: a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
    z: a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
    w: a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
  };
}
