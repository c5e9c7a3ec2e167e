// Deflate for full tile states (what a viewer receives when it joins or asks), and the bounded
// inflate that takes them at a trust boundary: a few kilobytes of deflate can claim gigabytes
// (a decompression bomb), so the output is capped by a declared size that is itself capped.
import { Inflate, deflateSync, inflateSync } from 'fflate';
import { TesseraError } from '../core/errors.js';

/** Most bytes a compressed section of a message may inflate to (a 100,000-entity tile state fits). */
export const MAX_INFLATED_BYTES = 32 * 1024 * 1024;
/** Input fed to the inflater per step: its output per step stays bounded (deflate expands at most ≈ 1,032×). */
const INFLATE_STEP = 1024;
/**
 * Sections up to this size are inflated in one call into a buffer of the declared size: even a
 * bomb of this size costs at most ≈ 4 M byte writes (deflate expands at most ≈ 1,032×). Streaming
 * costs fflate a fresh 160 KB output buffer per step, which made the once-a-second full states of
 * a viewer's tiles 6 % of its main thread.
 */
const ONE_SHOT_MAX = 4096;

/** Deflates `b` (level 6): the same bytes give the same output with the same library version. */
export function deflateBytes(b: Uint8Array): Uint8Array {
  return deflateSync(b, { level: 6 });
}

/**
 * Inflates `b`, which must give exactly `expected` bytes (≤ `MAX_INFLATED_BYTES`). Calls `fail`
 * (which throws) as soon as the output would pass `expected`, on a corrupt stream, or when it
 * ends short: the work and memory a hostile sender can cause stay bounded by `expected`.
 */
export function inflateBounded(b: Uint8Array, expected: number, fail: (reason: string) => never): Uint8Array {
  if (!Number.isSafeInteger(expected) || expected < 0 || expected > MAX_INFLATED_BYTES) fail(`compressed section declares ${expected} bytes, over the ${MAX_INFLATED_BYTES}-byte cap (refused: a decompression bomb?)`);
  if (b.length > 0 && b.length <= ONE_SHOT_MAX) {
    let got: Uint8Array;
    try {
      // One byte of room past the declared size: output that reaches it is a lie about the size.
      got = inflateSync(b, { out: new Uint8Array(expected + 1) });
    } catch (e) {
      fail(`compressed section is not valid deflate: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (got.length > expected) fail(`compressed section inflates past its declared ${expected} bytes (refused: a decompression bomb?)`);
    if (got.length !== expected) fail(`compressed section inflated to ${got.length} bytes, not the declared ${expected}`);
    return got;
  }
  const out = new Uint8Array(expected);
  let at = 0;
  let done = false;
  const inflater = new Inflate((data, final) => {
    if (at + data.length > expected) fail(`compressed section inflates past its declared ${expected} bytes (refused: a decompression bomb?)`);
    out.set(data, at);
    at += data.length;
    if (final) done = true;
  });
  try {
    for (let i = 0; i < b.length; i += INFLATE_STEP) inflater.push(b.subarray(i, Math.min(b.length, i + INFLATE_STEP)), i + INFLATE_STEP >= b.length);
    if (b.length === 0) inflater.push(b, true);
  } catch (e) {
    if (e instanceof TesseraError) throw e;
    fail(`compressed section is not valid deflate: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!done || at !== expected) fail(`compressed section inflated to ${at} bytes, not the declared ${expected}`);
  return out;
}
