import type { EntityId } from '../core/entity.js';
import type { Vec3 } from '../core/vec.js';
import type { VisibleEntity } from './player-client.js';

/** One entity as its simulation or replica has it at an instant, before smoothing. */
export interface RawVisible {
  /** The entity at its unsmoothed position (metres). */
  readonly entity: VisibleEntity;
  /** Velocity the shown position moves with (m/s). */
  readonly v: Vec3;
  /** Shown exactly as it is, without blending (the naive replica mode). */
  readonly raw?: boolean;
}

/**
 * Blends corrections into what a player sees: a new update or a change of owner is eased in
 * over ~150 ms instead of popping, while steady motion passes through unchanged. One per view;
 * `apply` must be called with instants that never go back.
 */
export class ViewSmoother {
  private readonly shown = new Map<EntityId, { x: number; y: number; z: number; t: number }>();

  /** Smoothed entities for instant `now` (ms; must not go back between calls); entities no longer listed are forgotten. */
  apply(raw: readonly RawVisible[], now: number): VisibleEntity[] {
    const keep = new Set<EntityId>();
    const out = raw.map(({ v, entity, raw: unsmoothed }) => {
      keep.add(entity.id);
      if (unsmoothed) return entity;
      const prev = this.shown.get(entity.id);
      const target = entity.position;
      let shown = target;
      if (prev && now > prev.t) {
        const dt = (now - prev.t) / 1000;
        const ex = prev.x + v.x * dt - target.x;
        const ey = prev.y + v.y * dt - target.y;
        const ez = prev.z + v.z * dt - target.z;
        const k = Math.exp(-dt / 0.15);
        // Errors over 2 m are teleports: show them at once.
        if (ex * ex + ey * ey + ez * ez < 4) shown = { x: target.x + ex * k, y: target.y + ey * k, z: target.z + ez * k };
      } else if (prev) shown = { x: prev.x, y: prev.y, z: prev.z };
      this.shown.set(entity.id, { x: shown.x, y: shown.y, z: shown.z, t: now });
      return { ...entity, position: shown };
    });
    for (const id of this.shown.keys()) if (!keep.has(id)) this.shown.delete(id);
    return out;
  }
}
