import type { InputData } from '../core/behaviour.js';
import type { Vec3 } from '../core/vec.js';

/** Walking speed assumed when predicting the player's own avatar (the avatar kind's default, m/s). */
export const AVATAR_SPEED = 5;

/** The walking part of the player's latest input: each axis in [-1, 1]. */
export interface WalkIntent {
  readonly moveX: number;
  readonly moveZ: number;
}

/** The walk `data` asks for, keeping from `was` an axis it does not name; undefined when it names neither. */
export function walkIntentOf(data: InputData, was: WalkIntent): WalkIntent | undefined {
  if (!('moveX' in data) && !('moveZ' in data)) return undefined;
  const axis = (v: unknown, old: number): number => (typeof v === 'number' && Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) : old);
  return { moveX: axis(data['moveX'], was.moveX), moveZ: axis(data['moveZ'], was.moveZ) };
}

/**
 * Our own avatar known at `p` moving at `v`, predicted `before + after` seconds on: along `v`
 * until the input `m` (`before` s), then walking the way `m` says at the avatar's speed (`after`
 * s). Height is left as `p.y`: the caller's extrapolation decides it.
 */
export function walkOn(p: Vec3, v: Vec3, m: WalkIntent, before: number, after: number): { position: Vec3; v: Vec3 } {
  const len = Math.sqrt(m.moveX * m.moveX + m.moveZ * m.moveZ);
  const speed = len > 1 ? AVATAR_SPEED / len : AVATAR_SPEED;
  const walk = { x: m.moveX * speed, y: v.y, z: m.moveZ * speed };
  return { v: walk, position: { x: p.x + v.x * before + walk.x * after, y: p.y, z: p.z + v.z * before + walk.z * after } };
}
