import { ErrorCode, TesseraError, type ErrorCode as Code } from './errors.js';

const encoder = new TextEncoder();
/** Strings up to this many bytes (or UTF-16 units) are tried as plain ASCII first. */
const SHORT_STRING = 64;
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Little-endian binary writer that grows as needed. `finish()` returns exactly the bytes written. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialBytes = 1024) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Appends one unsigned byte (0..255; other values wrap). */
  u8(v: number): this {
    this.room(1);
    this.view.setUint8(this.pos, v);
    this.pos += 1;
    return this;
  }
  /** Appends an unsigned 32-bit integer, little-endian (4 bytes). */
  u32(v: number): this {
    this.room(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
    return this;
  }
  /** Appends a signed 32-bit integer, little-endian (4 bytes). */
  i32(v: number): this {
    this.room(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
    return this;
  }
  /** Appends a 32-bit float, little-endian (4 bytes; rounds `v` to single precision). */
  f32(v: number): this {
    this.room(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }
  /** Appends a 64-bit float, little-endian (8 bytes, exact). */
  f64(v: number): this {
    this.room(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }
  /** UTF-8 string with a u32 byte-length prefix. */
  str(s: string): this {
    // Short ASCII strings (kinds, keys, topics: most of them) are their own UTF-8 bytes.
    const n = s.length;
    if (n <= SHORT_STRING) {
      let i = 0;
      while (i < n && s.charCodeAt(i) < 0x80) i++;
      if (i === n) {
        this.u32(n);
        this.room(n);
        for (let j = 0; j < n; j++) this.buf[this.pos + j] = s.charCodeAt(j);
        this.pos += n;
        return this;
      }
    }
    const b = encoder.encode(s);
    this.u32(b.length);
    return this.raw(b);
  }
  /** Bytes with a u32 length prefix. */
  bytes(b: Uint8Array): this {
    this.u32(b.length);
    return this.raw(b);
  }
  /** Bytes with no prefix. */
  raw(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }
  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }
  /** A copy of exactly the bytes written, in its own `ArrayBuffer` (safe to transfer). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /**
   * A writer from a small pool, empty, with room for at least `initialBytes`: for encoders that
   * run often (every message). Hand it back with `finishPooled()`; nested encodings take their own.
   * A writer never handed back (an encoder threw) is simply not reused.
   */
  static pooled(initialBytes = 1024): ByteWriter {
    const w = pool.pop();
    if (!w) return new ByteWriter(Math.max(initialBytes, 256));
    if (w.buf.length < initialBytes) w.room(initialBytes);
    return w;
  }

  /** `finish()`, and the writer back to the pool (emptied; not to be used again by the caller). */
  finishPooled(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    // A buffer grown for one large message is not kept: the pool holds small ones only.
    if (this.buf.length <= POOLED_MAX_BYTES && pool.length < POOL_SIZE) pool.push(this);
    return out;
  }
}

/** Writers `ByteWriter.pooled` hands out again. */
const pool: ByteWriter[] = [];
const POOL_SIZE = 8;
const POOLED_MAX_BYTES = 64 * 1024;

/** Little-endian binary reader that refuses to read past the end, with a clear error. */
export class ByteReader {
  private readonly view: DataView;
  private pos = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly code: Code = ErrorCode.BadInput,
    private readonly what = 'message',
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new TesseraError(this.code, `${this.what} truncated: needs ${n} more bytes at offset ${this.pos} of ${this.buf.length}`);
    }
  }
  /** Throws a clear error about this input. */
  fail(reason: string): never {
    throw new TesseraError(this.code, `${this.what} invalid at offset ${this.pos}: ${reason}`);
  }
  /** Reads one unsigned byte. Throws `TesseraError` (the reader's code, default `bad-input`) when fewer bytes remain. */
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }
  /** Reads an unsigned 32-bit little-endian integer. Throws `TesseraError` (the reader's code, default `bad-input`) when fewer bytes remain. */
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** Reads a signed 32-bit little-endian integer. Throws `TesseraError` (the reader's code, default `bad-input`) when fewer bytes remain. */
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** Reads a 32-bit little-endian float. Throws `TesseraError` (the reader's code, default `bad-input`) when fewer bytes remain. */
  f32(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** Reads a 64-bit little-endian float. Throws `TesseraError` (the reader's code, default `bad-input`) when fewer bytes remain. */
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** A u32 count, refused when larger than `max`. */
  count(max: number, what: string): number {
    const n = this.u32();
    if (n > max) this.fail(`${what} count ${n} exceeds limit ${max}`);
    return n;
  }
  /** Reads a UTF-8 string written by `ByteWriter.str` (u32 byte length, then bytes). Throws `TesseraError` when the length exceeds `maxBytes`, the bytes are truncated or not valid UTF-8. */
  str(maxBytes = 4096): string {
    const n = this.count(maxBytes, 'string byte');
    this.need(n);
    if (n <= SHORT_STRING) {
      // Bytes below 0x80 are ASCII: the string the decoder would give, without a call into it.
      const start = this.pos;
      let i = 0;
      while (i < n && this.buf[start + i]! < 0x80) i++;
      if (i === n) {
        this.pos += n;
        return String.fromCharCode.apply(null, this.buf.subarray(start, start + n) as unknown as number[]);
      }
    }
    try {
      return decoder.decode(this.buf.subarray(this.pos, this.pos + n));
    } catch (cause) {
      throw new TesseraError(this.code, `${this.what}: string at offset ${this.pos} is not valid UTF-8`, { cause });
    } finally {
      this.pos += n;
    }
  }
  /** Reads length-prefixed bytes written by `ByteWriter.bytes`, as a view into the input (not a copy). Throws `TesseraError` when the length exceeds `maxBytes` or the bytes are truncated. */
  bytes(maxBytes: number): Uint8Array {
    const n = this.count(maxBytes, 'byte');
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** Reads `n` bytes with no length prefix, as a view into the input (not a copy). Throws `TesseraError` when fewer remain. */
  raw(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** Bytes left to read. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.pos !== this.buf.length) this.fail(`${this.buf.length - this.pos} trailing bytes`);
  }
}

/** Unsigned LEB128, for ids up to 2^53. */
export function writeVarUint(w: ByteWriter, v: number): void {
  while (v >= 0x80) {
    w.u8((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  w.u8(v);
}
export function readVarUint(r: ByteReader): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    const b = r.u8();
    v += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (!Number.isSafeInteger(v)) r.fail('varint exceeds 2^53');
      return v;
    }
    mul *= 0x80;
  }
  return r.fail('varint longer than 8 bytes');
}

/** A signed 16-bit integer, little-endian. */
export function writeI16(w: ByteWriter, v: number): void {
  w.u8(v & 0xff).u8((v >> 8) & 0xff);
}
/** Reads a value written by `writeI16`. */
export function readI16(r: ByteReader): number {
  const v = r.u8() | (r.u8() << 8);
  return v >= 0x8000 ? v - 0x10000 : v;
}
/** An unsigned 16-bit integer, little-endian. */
export function writeU16(w: ByteWriter, v: number): void {
  w.u8(v & 0xff).u8(v >> 8);
}
/** Reads a value written by `writeU16`. */
export function readU16(r: ByteReader): number {
  return r.u8() | (r.u8() << 8);
}
