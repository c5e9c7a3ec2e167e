import type { EntityId } from '../core/entity.js';
import type { VisibleState } from '../client/world-client.js';

/** Float64 slots of a pose frame's header: when, how many entities, the shared tick then, the own tiles' tick. */
export const POSE_HEADER = 4;
/**
 * Float64 slots per entity: id, tile xyz, position xyz, rotation xyzw, velocity xyz, owner,
 * flags (1: shown raw, 2: has a reported position), reported position xyz, reported tick.
 */
export const POSE_STRIDE = 20;

const RAW = 1;
const REPORTED = 2;

/** Packs what a client shows at `atMs` into one transferable array (no strings: looks travel apart). */
export function encodePoseFrame(states: readonly VisibleState[], atMs: number, tickExact: number, simTick: number): Float64Array {
  const f = new Float64Array(POSE_HEADER + states.length * POSE_STRIDE);
  f[0] = atMs;
  f[1] = states.length;
  f[2] = tickExact;
  f[3] = simTick;
  let o = POSE_HEADER;
  for (const s of states) {
    const e = s.entity;
    f[o] = e.id;
    f[o + 1] = e.tile.x;
    f[o + 2] = e.tile.y;
    f[o + 3] = e.tile.z;
    f[o + 4] = e.position.x;
    f[o + 5] = e.position.y;
    f[o + 6] = e.position.z;
    f[o + 7] = e.rotation.x;
    f[o + 8] = e.rotation.y;
    f[o + 9] = e.rotation.z;
    f[o + 10] = e.rotation.w;
    f[o + 11] = s.v.x;
    f[o + 12] = s.v.y;
    f[o + 13] = s.v.z;
    f[o + 14] = e.owner;
    f[o + 15] = (s.raw ? RAW : 0) | (s.reported ? REPORTED : 0);
    if (s.reported) {
      f[o + 16] = s.reported.position.x;
      f[o + 17] = s.reported.position.y;
      f[o + 18] = s.reported.position.z;
      f[o + 19] = s.reported.tick;
    }
    o += POSE_STRIDE;
  }
  return f;
}

/** One entity of a pose frame, read in place. */
export interface PoseSlot {
  readonly id: EntityId;
  readonly offset: number;
  readonly raw: boolean;
  readonly hasReported: boolean;
}

/** Reads entity `i` of a frame. */
export function poseSlot(f: Float64Array, i: number): PoseSlot {
  const o = POSE_HEADER + i * POSE_STRIDE;
  const flags = f[o + 15]!;
  return { id: f[o]!, offset: o, raw: (flags & RAW) !== 0, hasReported: (flags & REPORTED) !== 0 };
}
