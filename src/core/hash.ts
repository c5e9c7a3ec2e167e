// Views for reading a float's bit pattern, shared by every hasher (each read is used at once; a
// hasher made per tick no longer builds four typed arrays).
const f64Scratch = new Float64Array(1);
const f64Words = new Uint32Array(f64Scratch.buffer);
const f32Scratch = new Float32Array(1);
const f32Word = new Uint32Array(f32Scratch.buffer);

/**
 * Incremental 64-bit state hash (two independent 32-bit murmur3-style lanes). Integer math only,
 * fed with exact bit patterns of numbers, so the same state hashes the same in every runtime.
 * Not cryptographic: it detects divergence, and the audit compares it; signatures are separate.
 */
export class StateHasher {
  private h1 = 0x9747b28c;
  private h2 = 0x2545f491;

  /** Feeds one 32-bit word. */
  u32(word: number): this {
    let k = Math.imul(word | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    this.h1 ^= k;
    this.h1 = (this.h1 << 13) | (this.h1 >>> 19);
    this.h1 = (Math.imul(this.h1, 5) + 0xe6546b64) | 0;
    let j = Math.imul(word ^ 0x5bd1e995, 0x85ebca6b);
    j = (j << 17) | (j >>> 15);
    j = Math.imul(j, 0xc2b2ae35);
    this.h2 ^= j;
    this.h2 = (this.h2 << 11) | (this.h2 >>> 21);
    this.h2 = (Math.imul(this.h2, 9) + 0x38495ab5) | 0;
    return this;
  }

  /**
   * Feeds `count` words of `words`, in order: the same as calling `u32` on each, in one loop
   * (hot paths hash many words at once; a typed-array view over a `Float32Array` feeds floats'
   * exact 32-bit patterns, as `f32` does).
   */
  u32s(words: Uint32Array, count = words.length): this {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < count; i++) {
      const word = words[i]!;
      let k = Math.imul(word | 0, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h1 ^= k;
      h1 = (h1 << 13) | (h1 >>> 19);
      h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
      let j = Math.imul(word ^ 0x5bd1e995, 0x85ebca6b);
      j = (j << 17) | (j >>> 15);
      j = Math.imul(j, 0xc2b2ae35);
      h2 ^= j;
      h2 = (h2 << 11) | (h2 >>> 21);
      h2 = (Math.imul(h2, 9) + 0x38495ab5) | 0;
    }
    this.h1 = h1;
    this.h2 = h2;
    return this;
  }

  /** Feeds a float's exact 64-bit pattern. */
  f64(x: number): this {
    f64Scratch[0] = x;
    return this.u32(f64Words[0]!).u32(f64Words[1]!);
  }

  /** Feeds a float's exact 32-bit pattern (physics values are f32, so this is lossless for them). */
  f32(x: number): this {
    f32Scratch[0] = x;
    return this.u32(f32Word[0]!);
  }

  /** Feeds a string (length, then UTF-16 code units in pairs). */
  str(s: string): this {
    this.u32(s.length);
    for (let i = 0; i < s.length; i += 2) this.u32(s.charCodeAt(i) | ((i + 1 < s.length ? s.charCodeAt(i + 1) : 0) << 16));
    return this;
  }

  /** Feeds raw bytes (length, then 4 bytes at a time). */
  bytes(b: Uint8Array): this {
    this.u32(b.length);
    let i = 0;
    for (; i + 4 <= b.length; i += 4) this.u32(b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    let tail = 0;
    for (let s = 0; i < b.length; i++, s += 8) tail |= b[i]! << s;
    return this.u32(tail);
  }

  /** The final hash as 16 lowercase hex digits. Does not reset the hasher. */
  digest(): string {
    const [a, b] = this.words();
    return hex8(a) + hex8(b);
  }

  /** The final hash as two uint32 words (for hashing hashes without strings). */
  words(): [number, number] {
    return [this.word0(), this.word1()];
  }

  /** Writes `words()` to `out[at]` and `out[at + 1]` (hot paths: no pair built). */
  wordsInto(out: Uint32Array, at: number): void {
    const a = fmix(this.h1 ^ this.h2);
    out[at] = a;
    out[at + 1] = fmix(this.h2 ^ (this.h1 >>> 7) ^ a);
  }

  /** `words()[0]`, without building the pair. */
  word0(): number {
    return fmix(this.h1 ^ this.h2) >>> 0;
  }

  /** `words()[1]`, without building the pair. */
  word1(): number {
    return fmix(this.h2 ^ (this.h1 >>> 7) ^ fmix(this.h1 ^ this.h2)) >>> 0;
  }

  /** Starts over, as a new hasher would (reuse one hasher on hot paths). */
  reset(): this {
    this.h1 = 0x9747b28c;
    this.h2 = 0x2545f491;
    return this;
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
