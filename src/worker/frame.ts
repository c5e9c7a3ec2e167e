import type { EntityId } from '../core/entity.js';

/** Float64 slots per entity in a frame: id, kind index, tile index, position xyz, rotation xyzw. */
export const FRAME_STRIDE = 10;
/** Float64 slots in the frame header. */
export const FRAME_HEADER = 8;

/** Header of a render frame: what the world did since the last frame. */
export interface FrameInfo {
  /** Next tick the world will simulate. */
  readonly tick: number;
  /** Entities in the frame (all tiles). */
  readonly entityCount: number;
  /** Tiles in the world. */
  readonly tileCount: number;
  /** Milliseconds the last `step` call spent stepping, divided by the ticks it ran. */
  readonly stepMs: number;
  /** Ticks run by the last `step` call. */
  readonly ticksRun: number;
  /** Entity migrations between tiles so far. */
  readonly migrations: number;
  /** Ghosts held by all tiles (read-only copies of neighbours' border bodies). */
  readonly ghostCount: number;
}

/**
 * A render frame: the header then every entity's transform, packed in one `Float64Array` so it
 * crosses from the worker as a transferable buffer. Layout: `FRAME_HEADER` slots, then
 * `FRAME_STRIDE` slots per entity.
 */
export function frameInfo(frame: Float64Array): FrameInfo {
  return {
    tick: frame[0]!,
    entityCount: frame[1]!,
    tileCount: frame[2]!,
    stepMs: frame[3]!,
    ticksRun: frame[4]!,
    migrations: frame[5]!,
    ghostCount: frame[6]!,
  };
}

/** Reads entity `i` of a frame into `out` (reused to avoid garbage). */
export function frameEntity(
  frame: Float64Array,
  i: number,
  out: { id: EntityId; kind: number; tile: number; x: number; y: number; z: number; qx: number; qy: number; qz: number; qw: number },
): void {
  const o = FRAME_HEADER + i * FRAME_STRIDE;
  out.id = frame[o]!;
  out.kind = frame[o + 1]!;
  out.tile = frame[o + 2]!;
  out.x = frame[o + 3]!;
  out.y = frame[o + 4]!;
  out.z = frame[o + 5]!;
  out.qx = frame[o + 6]!;
  out.qy = frame[o + 7]!;
  out.qz = frame[o + 8]!;
  out.qw = frame[o + 9]!;
}
