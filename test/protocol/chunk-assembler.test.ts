import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, ChunkAssembler, ChunkBudget, decodeMessage, encodeForWire, MsgType, RELAY_CHUNK_CAP_DEFAULT, RELAY_CHUNK_CAP_MAX, RELAY_CHUNK_CAPS, relayChunkCap, TesseraError, type Message } from '../../src/index.js';

// Reassembly of chunked messages within bounds: by type, in messages in progress, in bytes held
// per assembler and over several (one per connection of a relay).

const MiB = 1024 * 1024;
type Chunk = { id: number; index: number; count: number; part: Uint8Array };

/** The chunks of a message of `size` bytes whose first byte (its type) is `type`. */
function chunksOf(id: number, type: number, size: number): Chunk[] {
  const whole = new Uint8Array(size);
  whole[0] = type;
  const count = Math.ceil(size / CHUNK_BYTES);
  return Array.from({ length: count }, (_, index) => ({ id, index, count, part: whole.subarray(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES) }));
}

/** The relay's assembler (as `relay/connection-guard.ts` makes it). */
function relayAssembler(extra: { shared?: ChunkBudget; now?: () => number; maxBufferedBytes?: number } = {}): ChunkAssembler {
  return new ChunkAssembler({ maxPending: 4, whenFull: 'refuse', maxBytes: RELAY_CHUNK_CAP_MAX, maxBytesOf: relayChunkCap, maxBufferedBytes: extra.maxBufferedBytes ?? 16 * MiB, ...(extra.shared ? { shared: extra.shared } : {}), ...(extra.now ? { now: extra.now } : {}) });
}

const refused = (f: () => unknown, pattern: RegExp): void => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TesseraError);
    expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('not refused');
};

describe('chunk reassembly within bounds', () => {
  it('takes a legitimately big keyframe under the relay caps, and caps other types small', () => {
    expect(RELAY_CHUNK_CAPS[MsgType.Keyframe]).toBe(8 * MiB);
    expect(relayChunkCap(MsgType.Ping)).toBe(RELAY_CHUNK_CAP_DEFAULT);
    const snapshot = new Uint8Array(3 * MiB);
    for (let i = 0; i < snapshot.length; i += 4096) snapshot[i] = (i >> 12) & 255;
    const m: Message = { type: MsgType.Keyframe, tile: { x: 1, y: 0, z: 2 }, epoch: 3, tick: 99, snapshot };
    const asm = relayAssembler();
    let whole: Uint8Array | undefined;
    for (const p of encodeForWire(m, 5, 16)) whole = asm.add(decodeMessage(p, 16) as Extract<Message, { type: typeof MsgType.Chunk }>) ?? whole;
    const back = decodeMessage(whole!, 16, Number.MAX_SAFE_INTEGER) as Extract<Message, { type: typeof MsgType.Keyframe }>;
    expect({ ...back, snapshot: undefined }).toEqual({ ...m, snapshot: undefined });
    expect(Buffer.compare(back.snapshot, snapshot)).toBe(0);
    expect(asm.bufferedBytes).toBe(0);
    expect(asm.pendingCount).toBe(0);
  });

  it('refuses a message over its type cap at its first chunk, and its further chunks without holding them', () => {
    const asm = relayAssembler();
    // A "ping" of 300 KiB: pings are 9 bytes; anything not listed is capped at 256 KiB.
    const big = chunksOf(1, MsgType.Ping, 300 * 1024);
    refused(() => asm.add(big[0]!), /type 3 .* over its 262144-byte cap/);
    for (const c of big.slice(1)) refused(() => asm.add(c), /refused message 1/);
    expect(asm.bufferedBytes).toBe(0);
    // Commits of 100 chunks (4.7 MB): over their 4 MiB cap, known from the first chunk.
    refused(() => asm.add(chunksOf(2, MsgType.Commits, 100 * CHUNK_BYTES)[0]!), /type 26 \(100 chunks\) is over its 4194304-byte cap/);
    // A keyframe one byte over 8 MiB: refused when its bytes pass the cap, and nothing is kept.
    const kf = chunksOf(5, MsgType.Keyframe, 8 * MiB + 1);
    for (const c of kf.slice(0, -1)) expect(asm.add(c)).toBeUndefined();
    refused(() => asm.add(kf.at(-1)!), /chunked message 5 exceeds 8388608 bytes/);
    expect(asm.bufferedBytes).toBe(0);
    // Without its first chunk the type is unknown: the largest cap holds until it comes.
    const late = chunksOf(3, MsgType.Presence, 200 * 1024);
    for (const c of late.slice(1)) expect(asm.add(c)).toBeUndefined();
    expect(asm.bufferedBytes).toBeGreaterThan(150 * 1024);
    expect(asm.add(late[0]!)).toHaveLength(200 * 1024);
    // Declaring more chunks than the largest cap allows is refused at once.
    refused(() => asm.add({ id: 4, index: 5, count: 1000, part: new Uint8Array(10) }), /1000 chunks is over 8388608 bytes/);
    // Small parts cannot sneak past a cap: bytes are counted, not chunks.
    const sneaky = relayAssembler();
    sneaky.add({ id: 9, index: 0, count: 3, part: new Uint8Array(CHUNK_BYTES).fill(MsgType.Ping) });
    sneaky.add({ id: 9, index: 1, count: 3, part: new Uint8Array(CHUNK_BYTES) });
    expect(sneaky.add({ id: 9, index: 2, count: 3, part: new Uint8Array(10) })).toHaveLength(2 * CHUNK_BYTES + 10);
  });

  it('refuses a fifth message in progress (relay), unless an old one went stale', () => {
    let now = 0;
    const asm = relayAssembler({ now: () => now });
    for (let id = 1; id <= 4; id++) expect(asm.add(chunksOf(id, MsgType.Keyframe, 200 * 1024)[0]!)).toBeUndefined();
    refused(() => asm.add(chunksOf(5, MsgType.Keyframe, 200 * 1024)[0]!), /4 chunked messages already in progress/);
    expect(asm.pendingCount).toBe(4);
    now = 11_000; // nothing more of the four for 11 s: the oldest gives way
    expect(asm.add(chunksOf(6, MsgType.Keyframe, 200 * 1024)[0]!)).toBeUndefined();
    expect(asm.pendingCount).toBe(4);
    // The default assembler (clients, lossy links) drops the oldest instead.
    const client = new ChunkAssembler();
    for (let id = 1; id <= 9; id++) client.add(chunksOf(id, MsgType.TileState, 100 * 1024)[0]!);
    expect(client.pendingCount).toBe(8);
  });

  it('bounds the bytes held per connection and over all of them, and gives them back on clear', () => {
    const perConn = relayAssembler({ maxBufferedBytes: 10 * MiB });
    const a = chunksOf(1, MsgType.Keyframe, 6 * MiB);
    const b = chunksOf(2, MsgType.Keyframe, 6 * MiB);
    for (const c of a.slice(0, -1)) perConn.add(c);
    let refusedAt = -1;
    for (const c of b) {
      try {
        perConn.add(c);
      } catch (e) {
        expect((e as Error).message).toMatch(/would hold over 10485760 bytes/);
        refusedAt = c.index;
        break;
      }
    }
    expect(refusedAt).toBeGreaterThan(0);
    expect(perConn.bufferedBytes).toBeLessThanOrEqual(10 * MiB);
    expect(perConn.add(a.at(-1)!)).toHaveLength(6 * MiB); // the first one still completes

    const shared = new ChunkBudget(5 * MiB);
    const x = relayAssembler({ shared });
    const y = relayAssembler({ shared });
    for (const c of chunksOf(1, MsgType.Keyframe, 4 * MiB).slice(0, -1)) x.add(c);
    const yChunks = chunksOf(1, MsgType.Keyframe, 4 * MiB);
    refused(() => {
      for (const c of yChunks) y.add(c);
    }, /on every connection would hold over 5242880 bytes/);
    expect(shared.used).toBeLessThanOrEqual(5 * MiB);
    expect(y.bufferedBytes).toBe(0);
    x.clear(); // its connection closed
    expect(shared.used).toBe(0);
    for (const c of chunksOf(7, MsgType.Keyframe, 4 * MiB).slice(0, -1)) y.add(c);
    expect(shared.used).toBeGreaterThan(3 * MiB);
  });
});
