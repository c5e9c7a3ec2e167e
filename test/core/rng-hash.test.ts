import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, SeededRng, StateHasher, TesseraError } from '../../src/index.js';

describe('SeededRng', () => {
  it('replays from its seed and from a saved state', () => {
    const a = new SeededRng(1234);
    const b = new SeededRng(1234);
    const seqA = Array.from({ length: 100 }, () => a.nextUint32());
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(seqA);
    const saved = a.getState();
    const next = Array.from({ length: 10 }, () => a.next());
    const c = new SeededRng(0);
    c.setState(saved);
    expect(Array.from({ length: 10 }, () => c.next())).toEqual(next);
  });

  it('gives different streams for different seeds and stays in range', () => {
    expect(new SeededRng(1).nextUint32()).not.toBe(new SeededRng(2).nextUint32());
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (seed) => {
        const r = new SeededRng(seed);
        for (let i = 0; i < 20; i++) {
          const v = r.next();
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThan(1);
          expect(r.int(7)).toBeLessThan(7);
        }
      }),
    );
  });

  it('is roughly uniform (chi-square over 16 buckets)', () => {
    const r = new SeededRng(99);
    const buckets = new Array<number>(16).fill(0);
    const n = 160_000;
    for (let i = 0; i < n; i++) buckets[r.int(16)]!++;
    const expected = n / 16;
    const chi = buckets.reduce((s, b) => s + (b - expected) ** 2 / expected, 0);
    expect(chi).toBeLessThan(40); // p ≈ 0.0007 for 15 degrees of freedom
  });
});

describe('StateHasher', () => {
  it('separates values that differ in one bit, and is stable', () => {
    const h = (x: number): string => new StateHasher().f64(x).digest();
    expect(h(1)).toBe(h(1));
    expect(h(1)).not.toBe(h(1 + Number.EPSILON));
    expect(h(0)).not.toBe(h(-0));
    expect(new StateHasher().str('ab').digest()).not.toBe(new StateHasher().str('ba').digest());
    expect(new StateHasher().u32(1).u32(2).digest()).not.toBe(new StateHasher().u32(2).u32(1).digest());
    expect(h(3.5)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('has no collisions over 50,000 distinct inputs', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) seen.add(new StateHasher().u32(i).digest());
    expect(seen.size).toBe(50_000);
  });

  it('feeds a run of words with u32s exactly as one u32 per word, and gives its words whichever way they are read', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 20 }), fc.nat({ max: 20 }), (words, cut) => {
        const count = Math.min(cut, words.length);
        const one = new StateHasher().u32(9);
        for (const w of words.slice(0, count)) one.u32(w);
        const run = new StateHasher().u32(9).u32s(Uint32Array.from(words), count);
        expect(run.words()).toEqual(one.words());
        const out = new Uint32Array(3);
        run.wordsInto(out, 1);
        expect([out[1], out[2]]).toEqual(one.words());
        expect([run.word0(), run.word1()]).toEqual(one.words());
      }),
    );
    // A float32 view's words are the floats' exact patterns, as f32 feeds them.
    const floats = Float32Array.from([0.1, -0, 3.5e-39, -2.25]);
    const byF32 = new StateHasher();
    for (const x of floats) byF32.f32(x);
    expect(new StateHasher().u32s(new Uint32Array(floats.buffer)).digest()).toBe(byF32.digest());
  });
});

describe('ByteWriter / ByteReader', () => {
  it('round-trip every type', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.double(), fc.string(), fc.uint8Array(), (u, i, d, s, b) => {
        const bytes = new ByteWriter(4).u32(u).i32(i).f64(d).str(s).bytes(b).u8(7).finish();
        const r = new ByteReader(bytes);
        expect(r.u32()).toBe(u);
        expect(r.i32()).toBe(i);
        expect(Object.is(r.f64(), d)).toBe(true);
        expect(r.str(1 << 20)).toBe(s);
        expect(r.bytes(1 << 20)).toEqual(b);
        expect(r.u8()).toBe(7);
        r.end();
      }),
    );
  });

  it('writes a string as its UTF-8 bytes after their length, short ASCII or not', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 70 }), fc.string({ maxLength: 70, unit: 'grapheme' })), (s) => {
        const utf8 = new TextEncoder().encode(s);
        const bytes = new ByteWriter(1).str(s).finish();
        expect(Array.from(bytes)).toEqual([...Array.from(new ByteWriter().u32(utf8.length).finish()), ...Array.from(utf8)]);
        expect(new ByteReader(bytes).str(1 << 20)).toBe(s);
      }),
    );
    // Invalid UTF-8 is refused in short strings too (the ASCII shortcut does not take it).
    expect(() => new ByteReader(new Uint8Array([3, 0, 0, 0, 0x61, 0xc3, 0x28])).str()).toThrow(TesseraError);
  });

  it('refuses truncated input and oversized counts with a TesseraError', () => {
    const bytes = new ByteWriter().u32(10).finish();
    expect(() => new ByteReader(bytes).bytes(100)).toThrow(/truncated/);
    expect(() => new ByteReader(bytes).count(5, 'thing')).toThrow(/exceeds limit/);
    expect(() => new ByteReader(new Uint8Array([1, 0, 0, 0, 0xff])).str()).toThrow(TesseraError);
  });
});
