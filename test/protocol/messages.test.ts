import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deflateSync } from 'fflate';
import { ChunkAssembler, INCIDENT_REASONS, decodeMessage, encodeForWire, encodeMessage, MAX_MESSAGE_BYTES, MAX_ROSTER_ENTRIES, MsgType, RosterView, TesseraError, walkAxis, type Message } from '../../src/index.js';
import { ByteWriter, writeVarUint } from '../../src/core/bytes.js';
import { MAX_INFLATED_BYTES } from '../../src/protocol/compression.js';
import { writeEntity, writeTile } from '../../src/sim/snapshot-codec.js';
import { spawnedEntityId } from '../../src/core/ids.js';

const EDGE = 16;
const rosterEntry = fc.record({ peer: fc.nat(0xffffffff), name: fc.string({ maxLength: 20 }), avatar: fc.nat(1_000_000_000) });
const tile = fc.record({ x: fc.integer({ min: -1000, max: 1000 }), y: fc.integer({ min: -10, max: 10 }), z: fc.integer({ min: -1000, max: 1000 }) });
const tick = fc.integer({ min: 0, max: 1e9 });
const id = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

// Audit records: a few ghosts from a few neighbours (repeating, so the codec's "same as before" paths run), inputs, messages.
const ghostState = fc.record({
  position: fc.record({ x: fc.constantFrom(1, 2.5), y: fc.constant(1), z: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
  rotation: fc.constant({ x: 0, y: 0, z: 0, w: 1 }),
  linvel: fc.constant({ x: 0, y: 0, z: 0 }),
  angvel: fc.constant({ x: 0, y: 0, z: 0 }),
});
const ghost = fc.record({ id: fc.constantFrom(1, 2, 3), kind: fc.constantFrom('box', 'ground'), body: fc.constant({ type: 'fixed' as const, shape: { type: 'ball' as const, radius: 0.5 } }), state: ghostState });
const batch = fc.record({
  ghosts: fc.array(fc.record({ from: fc.constantFrom({ x: 1, y: 0, z: 0 }, { x: 0, y: 0, z: -1 }), ghosts: fc.uniqueArray(ghost, { selector: (g) => g.id, maxLength: 3 }) }), { maxLength: 2 }),
  removals: fc.array(id, { maxLength: 2 }),
  immigrants: fc.constant([]),
});
const record = fc.record({
  inbound: fc.array(batch, { maxLength: 2 }),
  messages: fc.array(fc.record({ from: id, to: id, topic: fc.constantFrom('fire', 'open'), data: fc.constant({}), dueTick: tick, seq: fc.nat() }), { maxLength: 2 }),
  inputs: fc.array(fc.record({ entity: id, seq: fc.nat(0xffffffff), data: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.oneof(fc.boolean(), fc.integer()), { maxKeys: 3 }) }), { maxLength: 3 }),
  after: fc.array(batch, { maxLength: 1 }),
});

// A sample of every kind of message, valid by construction.
const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant(MsgType.Hello), version: fc.nat(), world: fc.string({ maxLength: 20 }), name: fc.string({ maxLength: 20 }), token: fc.string({ maxLength: 100 }) }),
  fc.record({ type: fc.constant(MsgType.Ping), clientTimeMs: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
  fc.record({ type: fc.constant(MsgType.Pose), tick, x: fc.float({ noNaN: true, noDefaultInfinity: true }), y: fc.float({ noNaN: true, noDefaultInfinity: true }), z: fc.float({ noNaN: true, noDefaultInfinity: true }) }),
  fc.record({ type: fc.constant(MsgType.Directory), entries: fc.array(fc.record({ tile, owner: fc.nat(), epoch: fc.nat() }), { maxLength: 10 }) }),
  fc.record({ type: fc.constant(MsgType.Signal), peer: fc.nat(), data: fc.string({ maxLength: 200 }) }),
  fc.record({ type: fc.constant(MsgType.Forward), to: fc.nat(), reliable: fc.boolean(), payload: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ type: fc.constant(MsgType.KeyframeRequest), tile }),
  fc.record({ type: fc.constant(MsgType.Keyframe), tile, epoch: fc.nat(), tick, snapshot: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({ type: fc.constant(MsgType.Input), tick, inputs: fc.array(fc.record({ entity: id, seq: fc.nat(), data: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.oneof(fc.boolean(), fc.integer()), { maxKeys: 4 }) }), { maxLength: 5 }) }),
  fc.record({ type: fc.constant(MsgType.Despawn), tile, id }),
  fc.record({
    type: fc.constant(MsgType.TileState),
    tile,
    epoch: fc.nat(),
    tick,
    entities: fc.array(
      fc.record({
        id,
        kind: fc.constantFrom('box', 'ball'),
        body: fc.constant({ type: 'dynamic' as const, shape: { type: 'box' as const, halfExtents: { x: 0.25, y: 0.5, z: 0.25 } }, friction: 0.6 }),
        state: fc.record({ position: fc.constant({ x: 1, y: 2, z: 3 }), rotation: fc.constant({ x: 0, y: 0, z: 0, w: 1 }), linvel: fc.constant({ x: 0.5, y: 0, z: 0 }), angvel: fc.constant({ x: 0, y: 0, z: 0 }) }),
        props: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.oneof(fc.boolean(), fc.integer()), { maxKeys: 3 }),
      }),
      { maxLength: 4 },
    ),
    continuity: fc.record({ rng: fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffffffff)), spawnCounter: fc.nat(), messageSeq: fc.nat() }),
  }),
  fc.record({ type: fc.constant(MsgType.Error), code: fc.nat(), reason: fc.string({ maxLength: 50 }) }),
  fc.integer({ min: 1, max: 12 }).chain((n) =>
    fc.record({
      type: fc.constant(MsgType.Commits),
      tile,
      epoch: fc.nat(),
      firstTick: tick,
      hashes: fc.array(fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffffffff)), { minLength: n, maxLength: n }),
      records: fc.array(record, { minLength: n, maxLength: n }),
    }),
  ),
  fc.record({ type: fc.constant(MsgType.AuditRequest), tile, epoch: fc.nat(), tick }),
  fc.record({
    type: fc.constant(MsgType.Incident),
    incident: fc.record({
      reason: fc.constantFrom(...INCIDENT_REASONS),
      offender: fc.nat(),
      tile,
      fromTick: tick,
      toTick: tick,
      tiles: fc.array(tile, { maxLength: 4 }),
      resumedFromTick: tick,
    }),
  }),
  fc.record({ type: fc.constant(MsgType.AuditStats), audits: fc.nat(), passed: fc.nat(), mismatches: fc.nat(), takeovers: fc.nat(), auditedTicks: fc.nat() }),
  fc.record({ type: fc.constant(MsgType.DocSync), payload: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ type: fc.constant(MsgType.DocAck), stateVector: fc.uint8Array({ maxLength: 32 }) }),
  fc.record({ type: fc.constant(MsgType.Presence), payload: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ type: fc.constant(MsgType.Roster), players: fc.array(rosterEntry, { maxLength: 5 }) }),
  fc.uniqueArray(fc.nat(0xffffffff), { maxLength: 8 }).chain((ids) =>
    fc.integer({ min: 0, max: ids.length }).chain((k) =>
      fc.record({
        type: fc.constant(MsgType.RosterDelta),
        added: fc.tuple(...ids.slice(0, k).map((peer) => rosterEntry.map((e) => ({ ...e, peer })))),
        removed: fc.constant(ids.slice(k)),
      }),
    ),
  ),
);

describe('relay/peer message codec', () => {
  it('round-trips every kind of message', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessage(m, EDGE), EDGE)).toEqual(m);
      }),
      { numRuns: 3000 },
    );
  });

  it('encodes long directories and subscriber lists (written into room sized up front) to exactly their bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ tile, owner: fc.nat(0xffffffff), epoch: fc.nat(0xffffffff) }), { minLength: 0, maxLength: 120 }),
        fc.array(fc.nat(0xffffffff), { maxLength: 400 }),
        tile,
        (entries, peers, t) => {
          const dir: Message = { type: MsgType.Directory, entries };
          const d = encodeMessage(dir, EDGE);
          // type, count, then 20 bytes per entry: nothing more, nothing less.
          expect(d.length).toBe(5 + entries.length * 20);
          expect(decodeMessage(d, EDGE)).toEqual(dir);
          const subs: Message = { type: MsgType.Subscribers, tile: t, epoch: 3, peers };
          const s = encodeMessage(subs, EDGE);
          expect(s.length).toBe(1 + 12 + 4 + 4 + peers.length * 4);
          expect(decodeMessage(s, EDGE)).toEqual(subs);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('quantises delta poses to within half a millimetre and a centimetre per second', () => {
    const m: Message = {
      type: MsgType.StateDelta,
      tile: { x: 1, y: 0, z: -2 },
      epoch: 3,
      tick: 99,
      seq: 7,
      poses: [{ id: 1_000_000, x: 16.123456, y: 1.8, z: -20.5, rotation: { x: 0, y: 0.7071068, z: 0, w: 0.7071068 }, vx: 4.987, vy: 0, vz: -1.234 }],
      removed: [5],
      departed: [2 ** 40],
    };
    const back = decodeMessage(encodeMessage(m, EDGE), EDGE) as Extract<Message, { type: typeof MsgType.StateDelta }>;
    const p = back.poses[0]!;
    expect(Math.abs(p.x - 16.123456)).toBeLessThan(0.0005);
    expect(Math.abs(p.z + 20.5)).toBeLessThan(0.0005);
    expect(Math.abs(p.vx - 4.987)).toBeLessThan(0.0051);
    expect(Math.abs(p.rotation!.y - 0.7071068)).toBeLessThan(1e-4);
    expect(back.removed).toEqual([5]);
    expect(back.departed).toEqual([2 ** 40]);
    expect(p.angvel).toBeUndefined();
  });

  it('carries any entity ids in a delta, in any order: a spawned body (id up to 2^53) next to an avatar', () => {
    // Ids were written as zigzag differences: a difference past 2^52 (an avatar next to a spawned
    // body, half of all spawn ids) came out past 2^53 and the whole delta was refused on arrival.
    const spawned = spawnedEntityId(42, { x: 0, y: 0, z: 0 }, 3);
    const delta = (ids: readonly number[]): Message => ({ type: MsgType.StateDelta, tile: { x: 0, y: 0, z: 0 }, epoch: 1, tick: 5, seq: 1, poses: ids.map((id) => ({ id, x: 1, y: 1, z: 1, rotation: undefined, vx: 0, vy: 0, vz: 0 })), removed: [], departed: [] });
    const idsBack = (ids: readonly number[]): number[] => (decodeMessage(encodeMessage(delta(ids), EDGE), EDGE) as Extract<Message, { type: typeof MsgType.StateDelta }>).poses.map((p) => p.id);
    for (const ids of [[1_000_000, spawned], [spawned, 1_000_000], [0, Number.MAX_SAFE_INTEGER, 0], [Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER]]) expect(idsBack(ids)).toEqual(ids);
    fc.assert(fc.property(fc.array(id, { maxLength: 20 }), (ids) => {
      expect(idsBack(ids)).toEqual(ids);
    }), { numRuns: 2000 });
  });

  it('sends a pose\'s height only when it differs from the pose before it, and names well-known prop keys by index; ids of prop updates in any order come back', () => {
    const pose = (id: number, y: number) => ({ id, x: 3, y, z: 8, rotation: undefined, vx: 1, vy: 0, vz: -1 });
    const delta = (ys: readonly number[], props?: { id: number; props: Record<string, number | boolean | string> }[]): Message => ({ type: MsgType.StateDelta, tile: { x: 0, y: 0, z: 0 }, epoch: 1, tick: 5, seq: 1, poses: ys.map((y, i) => pose(10 + i, y)), removed: [], departed: [], ...(props ? { props } : {}) });
    // Ten avatars on one floor: 2 bytes fewer for each but the first.
    const floor = encodeMessage(delta(Array(10).fill(1.25)), EDGE).length;
    const stairs = encodeMessage(delta(Array.from({ length: 10 }, (_, i) => 1.25 + i * 0.1)), EDGE).length;
    expect(stairs - floor).toBe(18);
    const back = decodeMessage(encodeMessage(delta([1.25, 1.25, 2.5, 2.5, 1.25]), EDGE), EDGE) as Extract<Message, { type: typeof MsgType.StateDelta }>;
    expect(back.poses.map((p) => Math.round(p.y * 100) / 100)).toEqual([1.25, 1.25, 2.5, 2.5, 1.25]);
    // A well-known key costs one byte in the key list; any other key its text.
    const known = encodeMessage(delta([1], [{ id: 10, props: { moveX: 1 } }]), EDGE).length;
    const other = encodeMessage(delta([1], [{ id: 10, props: { myKey: 1 } }]), EDGE).length;
    expect(other - known).toBe('myKey'.length);
    const props = [{ id: 2 ** 40, props: { moveX: 0.25, jump: true } }, { id: 12, props: { 'ключ': 'v', moveZ: -0.123456789 } }, { id: 12, props: { gold: 3 } }];
    const got = decodeMessage(encodeMessage(delta([1], props), EDGE), EDGE) as Extract<Message, { type: typeof MsgType.StateDelta }>;
    expect(got.props).toEqual([props[1], props[2], props[0]]);
  });

  it('carries a walking axis (a multiple of 1/256) in 3 bytes, exactly, and every other number exactly too; refuses a fixed-point integer', () => {
    const delta = (v: number): Message => ({ type: MsgType.StateDelta, tile: { x: 0, y: 0, z: 0 }, epoch: 1, tick: 5, seq: 1, poses: [], removed: [], departed: [], props: [{ id: 3, props: { moveX: v } }] });
    const size = (v: number): number => encodeMessage(delta(v), EDGE).length;
    const back = (v: number): unknown => (decodeMessage(encodeMessage(delta(v), EDGE), EDGE) as Extract<Message, { type: typeof MsgType.StateDelta }>).props![0]!.props['moveX'];
    // A walking axis: head byte + a 2-byte varint, against 1 + 8 for a double.
    expect(size(walkAxis(0.7071)) - size(0.123456789)).toBe(3 - 9);
    for (const v of [walkAxis(0.7071), -1 / 256, 255 / 256, 0.5, -0.75, 1e6 + 0.5, 0.1, -0, 0, 1, 2 ** 40 + 0.5, 1e-300, -123.456]) expect(Object.is(back(v), v)).toBe(true);
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
      expect(Object.is(back(v), v)).toBe(true);
      expect(Object.is(back(walkAxis(v)), walkAxis(v))).toBe(true);
    }), { numRuns: 5000 });
    // A fixed-point value of 512/256 is the integer 2, which has its own form: refused.
    const bytes = encodeMessage(delta(1 / 256), EDGE);
    const forged = bytes.slice();
    expect(forged[forged.length - 1]).toBe(2); // zigzag of 1
    forged[forged.length - 1] = 0; // zigzag of 0: 0/256
    expect(() => decodeMessage(forged, EDGE)).toThrow(/fixed-point/);
  });

  it('rounds a walking input to 1/256 and keeps it within -1..1; anything else walks nowhere', () => {
    expect(walkAxis(0.3)).toBe(77 / 256);
    expect(walkAxis(-7)).toBe(-1);
    expect(Object.is(walkAxis(-0.001), 0)).toBe(true);
    for (const bad of [Number.NaN, Infinity, '1', undefined, null]) expect(walkAxis(bad)).toBe(0);
  });

  it('refuses a delta whose first pose takes the previous pose\'s height', () => {
    const m: Message = { type: MsgType.StateDelta, tile: { x: 0, y: 0, z: 0 }, epoch: 1, tick: 5, seq: 1, poses: [{ id: 7, x: 3, y: 1, z: 8, rotation: undefined, vx: 0, vy: 0, vz: 0 }], removed: [], departed: [] };
    const bytes = encodeMessage(m, EDGE);
    // The pose's mask follows the header (type byte, tile, epoch, tick, seq, count): set its height bit.
    const at = bytes.indexOf(0, 8);
    const forged = bytes.slice();
    forged[at] = 64;
    expect(() => decodeMessage(forged, EDGE)).toThrow(/first pose/);
  });

  it('carries a spinning body\'s angular velocity to within 0.005 rad/s, and none for a body that does not spin', () => {
    const m: Message = {
      type: MsgType.StateDelta,
      tile: { x: 0, y: 0, z: 0 },
      epoch: 1,
      tick: 5,
      seq: 0,
      poses: [
        { id: 2, x: 3, y: 1.25, z: 8, rotation: { x: 0, y: 0, z: 0.6, w: 0.8 }, vx: 4, vy: 0, vz: 0, angvel: { x: 0.123, y: -7.5, z: 16.004 } },
        { id: 3, x: 3, y: 1.25, z: 8, rotation: undefined, vx: 0, vy: 0, vz: 0, angvel: { x: 0.001, y: 0, z: 0 } },
      ],
      removed: [],
      departed: [],
    };
    const back = decodeMessage(encodeMessage(m, EDGE), EDGE) as Extract<Message, { type: typeof MsgType.StateDelta }>;
    const a = back.poses[0]!.angvel!;
    expect(Math.abs(a.x - 0.123)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(a.y + 7.5)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(a.z - 16.004)).toBeLessThanOrEqual(0.005);
    // Below the quantum: not sent at all.
    expect(back.poses[1]!.angvel).toBeUndefined();
  });

  it('deflates a full state where it pays, exactly (every entity as sent), and refuses a decompression bomb before it costs memory', () => {
    const entities = Array.from({ length: 100 }, (_, i) => ({
      id: 100 + i,
      kind: 'wanderer',
      body: { type: 'dynamic' as const, shape: { type: 'capsule' as const, halfHeight: 0.5, radius: 0.3 }, lockRotations: true, friction: 0.2 },
      state: { position: { x: 3.123456789 * i, y: 1.8000000119, z: 64 - 0.77 * i }, rotation: { x: 0, y: 0, z: 0, w: 1 }, linvel: { x: Math.sin(i), y: 0, z: Math.cos(i) }, angvel: { x: 0, y: 0, z: 0 } },
      props: { moveX: Math.sin(i * 7), moveZ: Math.cos(i * 7), speed: 3, turnEvery: 18 + i },
    }));
    const m: Message = { type: MsgType.TileState, tile: { x: 0, y: 0, z: 0 }, epoch: 1, tick: 600, entities, continuity: { rng: [1, 2, 3, 4], spawnCounter: 0, messageSeq: 0 } };
    const bytes = encodeMessage(m, EDGE, Number.MAX_SAFE_INTEGER);
    expect(decodeMessage(bytes, EDGE, Number.MAX_SAFE_INTEGER)).toEqual(m);
    // Deterministic: the same state gives the same bytes.
    expect(encodeMessage(m, EDGE, Number.MAX_SAFE_INTEGER)).toEqual(bytes);
    const raw = new ByteWriter(1 << 16);
    for (const e of entities) writeEntity(raw, e);
    console.log(`full state of 100 wanderers: ${bytes.length} bytes, entities ${raw.length} bytes before deflate`);
    expect(bytes.length).toBeLessThan(raw.length * 0.6);

    // A forged full state: 1 entity, whose "deflated entities" are 16 MiB of zeros declared as 300 bytes.
    const forged = (declared: number, payload: Uint8Array): Uint8Array => {
      const w = new ByteWriter(1024);
      w.u8(MsgType.TileState);
      writeTile(w, { x: 0, y: 0, z: 0 });
      w.u32(1).f64(600).u32(1).u32(2).u32(3).u32(4).f64(0).f64(0).u32(1).u8(1);
      writeVarUint(w, declared);
      w.raw(payload);
      return w.finish();
    };
    const bomb = deflateSync(new Uint8Array(16 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(40_000);
    expect(() => decodeMessage(forged(300, bomb), EDGE, Number.MAX_SAFE_INTEGER)).toThrowError(/inflates past its declared 300 bytes.*decompression bomb/);
    // Stopped within the first input steps, not after inflating 16 MiB: with garbage after the
    // first 4 KiB of the bomb, the refusal is still for the size (the garbage was never read).
    const early = Uint8Array.from({ length: bomb.length }, (_, i) => (i < 4096 ? bomb[i]! : 0xff));
    expect(() => decodeMessage(forged(300, early), EDGE, Number.MAX_SAFE_INTEGER)).toThrowError(/inflates past its declared 300 bytes/);
    expect(() => decodeMessage(forged(MAX_INFLATED_BYTES + 1, bomb), EDGE, Number.MAX_SAFE_INTEGER)).toThrowError(/over the .*-byte cap.*decompression bomb/);
    expect(() => decodeMessage(forged(300, Uint8Array.of(0xff, 0xff, 0xff)), EDGE, Number.MAX_SAFE_INTEGER)).toThrowError(TesseraError);
    // A small bomb (inflated in one call, into a buffer of the declared size): 1 MiB of zeros in about 1 KiB.
    const small = deflateSync(new Uint8Array(1024 * 1024));
    expect(small.length).toBeLessThan(4096);
    expect(() => decodeMessage(forged(300, small), EDGE, Number.MAX_SAFE_INTEGER)).toThrowError(/inflates past its declared 300 bytes.*decompression bomb/);
    // …and a section that ends short of what it declares, or is cut off.
    expect(() => decodeMessage(forged(2 * 1024 * 1024, small), EDGE, Number.MAX_SAFE_INTEGER)).toThrowError(/inflated to 1048576 bytes, not the declared 2097152/);
    expect(() => decodeMessage(forged(1024 * 1024, small.subarray(0, small.length - 8)), EDGE, Number.MAX_SAFE_INTEGER)).toThrowError(TesseraError);
  });

  const runs = Number(process.env['FUZZ_RUNS'] ?? 100_000);
  it(`refuses ${runs.toLocaleString('en')} random and mutated inputs with a TesseraError only, never anything else`, () => {
    const samples = fc.sample(message, 200).map((m) => encodeMessage(m, EDGE));
    let refused = 0;
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.tuple(fc.nat(samples.length - 1), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat()).map(([i, at, b, cut]) => {
        const bytes = samples[i]!.slice();
        bytes[at % bytes.length] = b;
        return bytes.subarray(0, Math.max(1, bytes.length - (cut % 4)));
      })), (bytes) => {
        try {
          decodeMessage(bytes, EDGE);
        } catch (e) {
          expect(e).toBeInstanceOf(TesseraError);
          refused++;
        }
      }),
      { numRuns: runs },
    );
    expect(refused).toBeGreaterThan(runs / 2);
    expect(() => decodeMessage(new Uint8Array(MAX_MESSAGE_BYTES + 1), EDGE)).toThrow(/exceeds/);
  });

  it('refuses a roster delta that adds a player twice, adds and removes one, or lists more than MAX_ROSTER_ENTRIES', () => {
    const ann = { peer: 1, name: 'ann', avatar: 1_000_000 };
    const ok: Message = { type: MsgType.RosterDelta, added: [ann], removed: [2] };
    expect(decodeMessage(encodeMessage(ok, EDGE), EDGE)).toEqual(ok);
    expect(() => decodeMessage(encodeMessage({ type: MsgType.RosterDelta, added: [ann, ann], removed: [] }, EDGE), EDGE)).toThrow(/added twice/);
    expect(() => decodeMessage(encodeMessage({ type: MsgType.RosterDelta, added: [ann], removed: [1] }, EDGE), EDGE)).toThrow(/both added and removed/);
    const removed = Array.from({ length: MAX_ROSTER_ENTRIES + 1 }, (_, i) => i + 10);
    expect(() => decodeMessage(encodeMessage({ type: MsgType.RosterDelta, added: [], removed }, EDGE), EDGE)).toThrow(TesseraError);
    expect(decodeMessage(encodeMessage({ type: MsgType.RosterDelta, added: [], removed: removed.slice(1) }, EDGE), EDGE)).toMatchObject({ removed: removed.slice(1) });
    const players = Array.from({ length: MAX_ROSTER_ENTRIES + 1 }, (_, i) => ({ peer: i + 1, name: 'p', avatar: i + 1 }));
    expect(() => decodeMessage(encodeMessage({ type: MsgType.Roster, players }, EDGE, Number.MAX_SAFE_INTEGER), EDGE, Number.MAX_SAFE_INTEGER)).toThrow(TesseraError);
  });

  it('keeps a roster from a Roster and the RosterDeltas after it, sorted by peer id', () => {
    const view = new RosterView();
    view.apply({ type: MsgType.Roster, players: [{ peer: 3, name: 'cal', avatar: 30 }, { peer: 1, name: 'ann', avatar: 10 }] });
    expect(view.players().map((p) => p.name)).toEqual(['ann', 'cal']);
    const first = view.players();
    expect(view.players()).toBe(first); // the same array until something changes
    view.apply({ type: MsgType.RosterDelta, added: [{ peer: 2, name: 'ben', avatar: 20 }, { peer: 3, name: 'cleo', avatar: 30 }], removed: [1, 99] });
    expect(view.players()).toEqual([{ peer: 2, name: 'ben', avatar: 20 }, { peer: 3, name: 'cleo', avatar: 30 }]);
    expect(view.get(1)).toBeUndefined();
    expect(view.get(2)?.avatar).toBe(20);
    view.apply({ type: MsgType.Roster, players: [{ peer: 7, name: 'eve', avatar: 70 }] });
    expect(view.players().map((p) => p.peer)).toEqual([7]);
    expect(view.size).toBe(1);
  });

  it('cuts big messages into chunks and reassembles them, in any order', () => {
    const snapshot = new Uint8Array(200_000).map((_, i) => (i * 31) & 255);
    const m: Message = { type: MsgType.Keyframe, tile: { x: 0, y: 0, z: 0 }, epoch: 1, tick: 5, snapshot };
    const parts = encodeForWire(m, 77, EDGE);
    expect(parts.length).toBeGreaterThan(4);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const asm = new ChunkAssembler();
    let whole: Uint8Array | undefined;
    for (const p of [...parts].reverse()) whole = asm.add(decodeMessage(p, EDGE) as Extract<Message, { type: typeof MsgType.Chunk }>) ?? whole;
    expect(decodeMessage(whole!, EDGE, Number.MAX_SAFE_INTEGER)).toEqual(m);
  });
});
