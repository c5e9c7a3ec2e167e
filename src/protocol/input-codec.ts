import type { EntityInput } from '../core/behaviour.js';
import { ByteReader, ByteWriter } from '../core/bytes.js';
import { checkEntityId } from '../core/entity.js';
import { ErrorCode, TesseraError } from '../core/errors.js';
import { readProps, writeProps } from '../sim/snapshot-codec.js';

/** Largest input batch accepted, bytes. */
export const MAX_INPUT_BATCH_BYTES = 64 * 1024;
/** Most inputs in one batch. */
export const MAX_INPUTS_PER_BATCH = 1024;
/** Most keys in one input. */
export const MAX_INPUT_KEYS = 16;
const MAGIC = 0x4e504e49; // "INPN"

/** Encodes inputs for one tick (layout: PROTOCOL.md, "Input batch"). */
export function encodeInputs(inputs: readonly EntityInput[]): Uint8Array {
  const w = ByteWriter.pooled(16 + inputs.length * 32);
  w.u32(MAGIC).u32(inputs.length);
  for (const i of inputs) {
    w.f64(i.entity).u32(i.seq);
    writeProps(w, i.data);
  }
  return w.finishPooled();
}

/** Decodes an input batch; throws `bad-input` with the reason on anything malformed or too large. */
export function decodeInputs(bytes: Uint8Array): EntityInput[] {
  if (bytes.length > MAX_INPUT_BATCH_BYTES) throw new TesseraError(ErrorCode.BadInput, `input batch of ${bytes.length} bytes exceeds ${MAX_INPUT_BATCH_BYTES}`);
  const r = new ByteReader(bytes, ErrorCode.BadInput, 'input batch');
  if (r.u32() !== MAGIC) r.fail('not an input batch (bad magic)');
  const n = r.count(MAX_INPUTS_PER_BATCH, 'input');
  const out: EntityInput[] = [];
  for (let k = 0; k < n; k++) {
    const entity = r.f64();
    try {
      checkEntityId(entity);
    } catch (cause) {
      r.fail(`input ${k}: ${(cause as Error).message}`);
    }
    const seq = r.u32();
    const data = readProps(r, MAX_INPUT_KEYS);
    for (const v of Object.values(data)) if (typeof v === 'number' && !Number.isFinite(v)) r.fail(`input ${k}: non-finite number`);
    out.push({ entity, seq, data });
  }
  r.end();
  return out;
}
