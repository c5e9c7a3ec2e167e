import type { EntityDesc } from './entity.js';
import { StateHasher } from './hash.js';

/**
 * 64-bit digest (16 hex digits) of a list of entity descriptions — ids, kinds, exact states
 * and props, in id order. An owner's `TileState` and a replica built from it digest the same,
 * which is how tests and tools check that replicas converged on the owner's state.
 */
export function entitiesDigest(entities: readonly EntityDesc[]): string {
  const h = new StateHasher();
  const sorted = [...entities].sort((a, b) => a.id - b.id);
  h.u32(sorted.length);
  for (const e of sorted) {
    const { position: p, rotation: q, linvel: v, angvel: w } = e.state;
    h.f64(e.id).str(e.kind).f64(p.x).f64(p.y).f64(p.z).f64(q.x).f64(q.y).f64(q.z).f64(q.w).f64(v.x).f64(v.y).f64(v.z).f64(w.x).f64(w.y).f64(w.z);
    for (const key of Object.keys(e.props).sort()) h.str(key).str(JSON.stringify(e.props[key]));
  }
  return h.digest();
}
