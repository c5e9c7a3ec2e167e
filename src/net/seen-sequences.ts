import type { EntityId } from '../core/entity.js';

/** Sequence numbers kept per entity below its newest (older ones count as seen). */
const WINDOW = 4096;

/**
 * Which (entity, seq) inputs an owner has taken, so a copy that comes twice — from the player
 * and from the relay, by two paths in either order — is applied once. Unlike "newest seq wins",
 * an input that arrives after a newer one is still taken.
 */
export class SeenSequences {
  private readonly byEntity = new Map<EntityId, { max: number; seen: Set<number> }>();

  /** Records `seq` of `entity`; true when it was not seen before (take it), false for a repeat. */
  add(entity: EntityId, seq: number): boolean {
    let e = this.byEntity.get(entity);
    if (!e) this.byEntity.set(entity, (e = { max: -1, seen: new Set() }));
    if (seq <= e.max - WINDOW || e.seen.has(seq)) return false;
    e.seen.add(seq);
    if (seq > e.max) {
      e.max = seq;
      if (e.seen.size > WINDOW * 2) for (const s of e.seen) if (s <= e.max - WINDOW) e.seen.delete(s);
    }
    return true;
  }
}
