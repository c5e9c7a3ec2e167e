import type { PropSpec, TileContext } from '../core/behaviour.js';
import type { EntityId } from '../core/entity.js';
import { rotateVec, turnQuat, type Quat, type Vec3 } from '../core/vec.js';

/** `r` rotated by `q`, or by its inverse when `sign` is −1. */
function rotate(q: Quat, r: Vec3, sign: 1 | -1): Vec3 {
  return rotateVec(q, r, sign < 0);
}

// Riding a moving platform (a train car, a lift): a walking controller whose "standing still"
// is moving with the platform. Only + - * / and Math.sqrt, like every behaviour.

/**
 * The velocity that keeps a point at `at` fixed on `platform` over the coming tick, from the
 * platform's velocities after the last step (a kinematic body's are exactly its last step's
 * motion, and it keeps moving so). Its reference point is taken as its centre of mass (true of
 * every single-collider body).
 */
export function carryVelocity(ctx: TileContext, platform: EntityId, at: Vec3): Vec3 {
  const c = ctx.position(platform);
  const V = ctx.linvel(platform);
  const r = { x: at.x - c.x, y: at.y - c.y, z: at.z - c.z };
  const rr = rotateVec(turnQuat(ctx.angvel(platform), ctx.dt), r);
  return { x: V.x + (rr.x - r.x) / ctx.dt, y: V.y + (rr.y - r.y) / ctx.dt, z: V.z + (rr.z - r.z) / ctx.dt };
}

/** The props a riding kind declares: `rideOn`, the platform it stands on (0: none), and `rideX`, `rideY`, `rideZ`, the spot where it stands on it, in the platform's frame (metres from its centre). */
export const RIDER_PROPS: Readonly<Record<'rideOn' | 'rideX' | 'rideY' | 'rideZ', PropSpec>> = {
  /** The platform it stands on (0: none). */
  rideOn: { type: 'entity', default: 0 },
  /** Its spot on the platform, x in the platform's frame (metres from its centre). */
  rideX: { type: 'number', default: 0 },
  /** Its spot on the platform, y in the platform's frame. */
  rideY: { type: 'number', default: 0 },
  /** Its spot on the platform, z in the platform's frame. */
  rideZ: { type: 'number', default: 0 },
};

/**
 * `walk` on a platform (`TileContext.support`). Walking (`mx`, `mz` clamped to length 1, ×
 * `speed`, world axes) pushes the body's velocity on the platform toward the target, closing half
 * the gap a tick. Standing, it keeps to the spot where it stopped (kept in the body's props
 * `RIDER_PROPS`, in the platform's frame): the platform's motion carries it, and half of any
 * slip is taken back each tick, so that it does not creep round curves.
 */
export function ride(ctx: TileContext, self: EntityId, platform: EntityId, mx: number, mz: number, speed: number): void {
  const len = Math.sqrt(mx * mx + mz * mz);
  const k = len > 1 ? speed / len : speed;
  const p = ctx.position(self);
  const c = ctx.position(platform);
  const q = ctx.rotation(platform);
  const walking = mx !== 0 || mz !== 0;
  if (walking || ctx.prop(self, 'rideOn') !== platform) {
    // Boarding, or walking: the spot moves with us.
    const l = rotate(q, { x: p.x - c.x, y: p.y - c.y, z: p.z - c.z }, -1);
    ctx.setProp(self, 'rideOn', platform);
    ctx.setProp(self, 'rideX', l.x);
    ctx.setProp(self, 'rideY', l.y);
    ctx.setProp(self, 'rideZ', l.z);
  }
  const carry = carryVelocity(ctx, platform, p);
  const v = ctx.linvel(self);
  let dx: number;
  let dz: number;
  if (walking) {
    dx = (carry.x + mx * k - v.x) * 0.5;
    dz = (carry.z + mz * k - v.z) * 0.5;
  } else {
    const spot = rotate(q, { x: ctx.prop(self, 'rideX') as number, y: ctx.prop(self, 'rideY') as number, z: ctx.prop(self, 'rideZ') as number }, 1);
    const g = 0.5 / ctx.dt;
    dx = carry.x + (c.x + spot.x - p.x) * g - v.x;
    dz = carry.z + (c.z + spot.z - p.z) * g - v.z;
  }
  if (dx * dx + dz * dz < 1e-12) return;
  const m = ctx.mass(self);
  ctx.applyImpulse(self, { x: dx * m, y: 0, z: dz * m });
}

/**
 * The platform `self` rides: the kinematic body it stands on (`TileContext.support`), or else
 * the one it rode (`rideOn`) while it still stands exactly at the height it stood at on it, not
 * moving up or down on it. The second is for a rider that arrived in this tile at this tick
 * boundary with its platform (a migration): contacts are found by the step, and it has none yet.
 */
export function platformOf(ctx: TileContext, self: EntityId): EntityId | undefined {
  const s = ctx.support(self);
  if (s !== undefined) return s;
  const on = ctx.prop(self, 'rideOn') as number;
  if (on === 0 || !ctx.exists(on)) return undefined;
  const p = ctx.position(self);
  const c = ctx.position(on);
  const l = rotate(ctx.rotation(on), { x: p.x - c.x, y: p.y - c.y, z: p.z - c.z }, -1);
  if (Math.abs(l.y - (ctx.prop(self, 'rideY') as number)) > 0.02) return undefined;
  if (Math.abs(ctx.linvel(self).y - ctx.linvel(on).y) > 0.05) return undefined;
  return on;
}

/** Forgets the platform a rider stood on (once it no longer stands on it). */
export function alight(ctx: TileContext, self: EntityId): void {
  if (ctx.prop(self, 'rideOn') !== 0) ctx.setProp(self, 'rideOn', 0);
}
