import type { EntityMessage } from '../core/behaviour.js';
import { ByteWriter } from '../core/bytes.js';
import type { EntityDesc } from '../core/entity.js';
import { writeEntity, writeProps } from './snapshot-codec.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX[b]!;
  return s;
}

/**
 * A canonical key for an entity description (its snapshot bytes, props sorted): the same entity
 * in the same state gives the same key in every runtime. The audit matches the arrivals in an
 * owner's record with what the relay routed, or with what a re-executed tile produced, by it.
 */
export function entityEvidenceKey(e: EntityDesc): string {
  const w = ByteWriter.pooled(256);
  writeEntity(w, e);
  return `e${hex(w.finishPooled())}`;
}

/** A canonical key for a message between entities (every field, data in snapshot form). */
export function messageEvidenceKey(m: EntityMessage): string {
  const w = ByteWriter.pooled(128);
  w.f64(m.from).f64(m.to).str(m.topic).f64(m.dueTick).f64(m.seq);
  writeProps(w, m.data);
  return `m${hex(w.finishPooled())}`;
}
