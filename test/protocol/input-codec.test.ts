import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeInputs, encodeInputs, MAX_INPUT_BATCH_BYTES, TesseraError, type EntityInput } from '../../src/index.js';

const input = fc.record({
  entity: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  seq: fc.integer({ min: 0, max: 0xffffffff }),
  data: fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,10}$/), fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.string({ maxLength: 20 })), { maxKeys: 8 }),
});

describe('input batch codec', () => {
  it('round-trips any valid batch', () => {
    fc.assert(
      fc.property(fc.array(input, { maxLength: 20 }), (inputs) => {
        expect(decodeInputs(encodeInputs(inputs as EntityInput[]))).toEqual(inputs);
      }),
    );
  });

  it('rejects every truncation or mutation of a valid batch with a TesseraError, never anything else', () => {
    fc.assert(
      fc.property(fc.array(input, { minLength: 1, maxLength: 5 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (inputs, at, byte) => {
        const bytes = encodeInputs(inputs as EntityInput[]);
        const cut = bytes.subarray(0, at % bytes.length);
        expect(() => decodeInputs(cut)).toThrow(TesseraError);
        const mutated = bytes.slice();
        mutated[at % bytes.length] = byte;
        try {
          decodeInputs(mutated); // may still be valid (e.g. a changed float)
        } catch (e) {
          expect(e).toBeInstanceOf(TesseraError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses random bytes, oversized batches and bad ids', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        try {
          decodeInputs(b);
        } catch (e) {
          expect(e).toBeInstanceOf(TesseraError);
        }
      }),
      { numRuns: 2000 },
    );
    expect(() => decodeInputs(new Uint8Array(MAX_INPUT_BATCH_BYTES + 1))).toThrow(/exceeds/);
    expect(() => decodeInputs(encodeInputs([{ entity: -1, seq: 0, data: {} }]))).toThrow(/non-negative/);
    expect(() => decodeInputs(encodeInputs([{ entity: 1, seq: 0, data: { x: Number.POSITIVE_INFINITY } }]))).toThrow(/non-finite/);
  });
});
