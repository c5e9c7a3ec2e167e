import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../../src/core/bytes.js';
import { ErrorCode } from '../../src/core/errors.js';

describe('ByteWriter.pooled', () => {
  it('gives each result its own bytes, however often a writer is reused', () => {
    const outs: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      const w = ByteWriter.pooled(8);
      w.u32(i).f64(i / 3).str(`n${i}`);
      outs.push(w.finishPooled());
    }
    outs.forEach((bytes, i) => {
      // Each result is a buffer of its own, exactly the bytes written (a reused writer starts empty).
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.length);
      const r = new ByteReader(bytes, ErrorCode.BadInput, 'test');
      expect(r.u32()).toBe(i);
      expect(r.f64()).toBe(i / 3);
      expect(r.str()).toBe(`n${i}`);
      expect(r.remaining).toBe(0);
    });
  });

  it('nested encodings take separate writers', () => {
    const outer = ByteWriter.pooled(16);
    outer.u32(1);
    const inner = ByteWriter.pooled(16);
    inner.u32(2).u32(3);
    const innerBytes = inner.finishPooled();
    outer.bytes(innerBytes).u32(4);
    const bytes = outer.finishPooled();
    const r = new ByteReader(bytes, ErrorCode.BadInput, 'test');
    expect(r.u32()).toBe(1);
    expect([...r.bytes(64)]).toEqual([...innerBytes]);
    expect(r.u32()).toBe(4);
  });

  it('a writer that grew for a large message still writes small ones exactly', () => {
    const big = ByteWriter.pooled(4);
    for (let i = 0; i < 1000; i++) big.u32(i);
    expect(big.finishPooled().length).toBe(4000);
    const small = ByteWriter.pooled(4);
    small.u8(7);
    expect([...small.finishPooled()]).toEqual([7]);
  });
});
