// The StateDelta body (protocol 6): what a viewer receives 20 times a second per tile, so every
// byte counts. Layout in PROTOCOL.md ("StateDelta"). Quantisation and bounds are checked here;
// the message envelope (type byte, size limit) is messages.ts's.
import { ByteReader, ByteWriter, readI16, readU16, readVarUint, writeI16, writeU16, writeVarUint } from '../core/bytes.js';
import type { EntityId, PropValue } from '../core/entity.js';
import type { TileId } from '../core/tile.js';
import { tileId } from '../core/tile.js';

/** Quantised state of one entity in a delta (see `EntityPose` in messages.ts, re-declared structurally to keep this module leaf-level). */
export interface DeltaPose {
  readonly id: EntityId;
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly rotation: { x: number; y: number; z: number; w: number } | undefined;
  readonly vx: number;
  readonly vy: number;
  readonly vz: number;
  readonly angvel?: { x: number; y: number; z: number } | undefined;
}

/** A StateDelta's fields (the body this module encodes). */
export interface DeltaBody {
  readonly tile: TileId;
  readonly epoch: number;
  readonly tick: number;
  readonly seq: number;
  readonly poses: readonly DeltaPose[];
  readonly removed: readonly EntityId[];
  readonly departed: readonly EntityId[];
  readonly props?: readonly { id: EntityId; props: Readonly<Record<string, PropValue>> }[];
}

/** Deltas quantise positions to 16 bits over the tile grown by this many metres on each side. */
export const POSE_MARGIN = 4;
/** Velocity quantum, m/s (and angular velocity quantum, rad/s). */
export const VEL_Q = 0.01;
/** Most poses, ids or prop updates in one delta. */
const MAX_ITEMS = 65_535;
/** Most distinct prop keys one delta names. */
const MAX_KEYS = 1024;
/** Most props one entity's update carries (as `readProps`' bound for deltas). */
const MAX_PROPS_PER_UPDATE = 64;
/** Longest prop key, bytes (UTF-8). */
const MAX_KEY_BYTES = 64;
/** Longest string prop value, bytes (UTF-8). */
const MAX_STRING_BYTES = 1024;

// Pose mask bits.
const ROT = 1;
const SPIN = 2;
const VX = 4;
const VY = 8;
const VZ = 16;
/** The id is below the previous pose's: its difference is written as a magnitude (ids span 2^53, so a signed zigzag difference would not fit a safe integer). */
const ID_DOWN = 32;
/** The height is the previous pose's (its quantised value), not written: avatars on one floor share it (protocol 6). */
const Y_SAME = 64;

// Prop value tags (low 3 bits of a prop's head byte; the key's index in the high 5, 31 = a varuint index follows).
const T_F64 = 0;
const T_TRUE = 1;
const T_FALSE = 2;
const T_STR = 3;
const T_INT = 4;
const T_F32 = 5;
/** A number that is an exact multiple of 1/256 (a walking axis, a half, a quarter): zigzag varint of it × 256. */
const T_FIX = 6;
const FIX_SCALE = 256;
const INLINE_KEYS = 31;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function q16(v: number, lo: number, span: number): number {
  const t = Math.round(((v - lo) / span) * 65535);
  return t < 0 ? 0 : t > 65535 ? 65535 : t;
}
function dq16(v: number, lo: number, span: number): number {
  return lo + (v / 65535) * span;
}
/** A velocity component in `VEL_Q` steps, bounded to ±327.67. */
export function qVel(v: number): number {
  const t = Math.round(v / VEL_Q);
  return t < -32767 ? -32767 : t > 32767 ? 32767 : t;
}
/** Zigzag varint for signed safe integers. */
function writeVarInt(w: ByteWriter, v: number): void {
  writeVarUint(w, v < 0 ? -v * 2 - 1 : v * 2);
}
function readVarInt(r: ByteReader): number {
  const u = readVarUint(r);
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}
function writeShortStr(w: ByteWriter, s: string): void {
  const b = utf8.encode(s);
  writeVarUint(w, b.length);
  w.raw(b);
}
function readShortStr(r: ByteReader, maxBytes: number): string {
  const n = readVarUint(r);
  if (n > maxBytes) r.fail(`string of ${n} bytes exceeds ${maxBytes}`);
  const b = r.raw(n);
  try {
    return utf8Strict.decode(b);
  } catch {
    return r.fail('string is not valid UTF-8');
  }
}
function count(r: ByteReader, max: number, what: string): number {
  const n = readVarUint(r);
  if (n > max) r.fail(`${what} count ${n} exceeds limit ${max}`);
  return n;
}

/** The frame delta positions are quantised over: the tile grown by `POSE_MARGIN` on each side. */
export function poseFrame(tile: TileId, edge: number): { lo: { x: number; y: number; z: number }; span: number } {
  return { lo: { x: tile.x * edge - POSE_MARGIN, y: tile.y * edge - POSE_MARGIN, z: tile.z * edge - POSE_MARGIN }, span: edge + 2 * POSE_MARGIN };
}

/** Smallest-three quaternion: index of the dropped largest component (u8) + the other three as i16 (7 bytes). */
export function writeRotation(w: ByteWriter, q: { x: number; y: number; z: number; w: number }): void {
  const c = [q.x, q.y, q.z, q.w];
  let big = 0;
  for (let i = 1; i < 4; i++) if (Math.abs(c[i]!) > Math.abs(c[big]!)) big = i;
  const sign = c[big]! < 0 ? -1 : 1;
  const rest = c.filter((_, i) => i !== big).map((v) => v * sign);
  w.u8(big);
  for (const v of rest) writeI16(w, Math.round(Math.max(-1, Math.min(1, v * Math.SQRT2)) * 32767));
}
/** Reads a rotation written by `writeRotation` (a unit quaternion). */
export function readRotation(r: ByteReader): { x: number; y: number; z: number; w: number } {
  const big = r.u8();
  if (big > 3) r.fail(`bad rotation index ${big}`);
  const rest = [readI16(r), readI16(r), readI16(r)].map((v) => v / 32767 / Math.SQRT2);
  const sum = rest.reduce((s, v) => s + v * v, 0);
  const largest = Math.sqrt(Math.max(0, 1 - sum));
  const c: number[] = [];
  let k = 0;
  for (let i = 0; i < 4; i++) c.push(i === big ? largest : rest[k++]!);
  return { x: c[0]!, y: c[1]!, z: c[2]!, w: c[3]! };
}

/**
 * Writes a prop value: the smallest exact form (a small integer as a varint, a multiple of 1/256
 * as a varint of its 256ths, a float32-exact number in 4 bytes, else 8).
 */
function writeValue(w: ByteWriter, keyIndex: number, v: PropValue): void {
  const head = (tag: number): void => {
    w.u8((Math.min(keyIndex, INLINE_KEYS) << 3) | tag);
    if (keyIndex >= INLINE_KEYS) writeVarUint(w, keyIndex - INLINE_KEYS);
  };
  if (typeof v === 'boolean') head(v ? T_TRUE : T_FALSE);
  else if (typeof v === 'string') {
    head(T_STR);
    writeShortStr(w, v);
  } else if (Number.isSafeInteger(v) && !Object.is(v, -0) && Math.abs(v) <= 0x7fffffff) {
    head(T_INT);
    writeVarInt(w, v);
  } else if (!Number.isInteger(v) && Number.isSafeInteger(v * FIX_SCALE) && Math.abs(v * FIX_SCALE) <= 0x7fffffff) {
    head(T_FIX);
    writeVarInt(w, v * FIX_SCALE);
  } else if (Math.fround(v) === v) {
    head(T_F32);
    w.f32(v);
  } else {
    head(T_F64);
    w.f64(v);
  }
}

/** Writes a StateDelta's body (after the type byte). `tileEdge` (metres) quantises positions. */
export function writeDeltaBody(w: ByteWriter, m: DeltaBody, tileEdge: number): void {
  writeVarInt(w, m.tile.x);
  writeVarInt(w, m.tile.y);
  writeVarInt(w, m.tile.z);
  writeVarUint(w, m.epoch);
  writeVarUint(w, m.tick);
  writeVarUint(w, m.seq);
  writeVarUint(w, m.poses.length);
  const { lo, span } = poseFrame(m.tile, tileEdge);
  // Ids as differences from the previous pose's (the owner sends them in its tile's order): the
  // flags first, whose ID_DOWN bit gives the difference's sign, then its magnitude.
  let prev = 0;
  let prevY = -1;
  for (const p of m.poses) {
    const qy = q16(p.y, lo.y, span);
    const sameY = qy === prevY;
    prevY = qy;
    const vx = qVel(p.vx);
    const vy = qVel(p.vy);
    const vz = qVel(p.vz);
    const a = p.angvel;
    const spin = a !== undefined && (qVel(a.x) !== 0 || qVel(a.y) !== 0 || qVel(a.z) !== 0);
    const down = p.id < prev;
    w.u8((p.rotation ? ROT : 0) | (spin ? SPIN : 0) | (vx !== 0 ? VX : 0) | (vy !== 0 ? VY : 0) | (vz !== 0 ? VZ : 0) | (down ? ID_DOWN : 0) | (sameY ? Y_SAME : 0));
    writeVarUint(w, down ? prev - p.id : p.id - prev);
    prev = p.id;
    writeU16(w, q16(p.x, lo.x, span));
    if (!sameY) writeU16(w, qy);
    writeU16(w, q16(p.z, lo.z, span));
    if (p.rotation) writeRotation(w, p.rotation);
    if (vx !== 0) writeI16(w, vx);
    if (vy !== 0) writeI16(w, vy);
    if (vz !== 0) writeI16(w, vz);
    if (spin) {
      writeI16(w, qVel(a.x));
      writeI16(w, qVel(a.y));
      writeI16(w, qVel(a.z));
    }
  }
  writeVarUint(w, m.removed.length);
  for (const id of m.removed) writeVarUint(w, id);
  writeVarUint(w, m.departed.length);
  for (const id of m.departed) writeVarUint(w, id);
  // Props: the keys named once per delta, then per entity (key index, value) pairs.
  // Ascending by id (stable), so each id is written as its distance from the previous one.
  const updates = [...(m.props ?? [])].sort((a, b) => a.id - b.id);
  const keys: string[] = [];
  const index = new Map<string, number>();
  for (const u of updates) {
    for (const k of Object.keys(u.props).sort()) {
      if (!index.has(k)) {
        index.set(k, keys.length);
        keys.push(k);
      }
    }
  }
  writeVarUint(w, keys.length);
  for (const k of keys) writePropKey(w, k);
  writeVarUint(w, updates.length);
  let prevId = 0;
  for (const u of updates) {
    writeVarUint(w, u.id - prevId);
    prevId = u.id;
    const ks = Object.keys(u.props).sort();
    writeVarUint(w, ks.length);
    for (const k of ks) writeValue(w, index.get(k)!, u.props[k]!);
  }
}

/**
 * Prop keys a delta names by their index in this list instead of their text (protocol 6): the
 * standard kinds' changing props. Append only: a key's index is part of the protocol.
 */
export const WELL_KNOWN_PROP_KEYS: readonly string[] = ['moveX', 'moveZ', 'jump', 'readyAt', 'presses', 'shots', 'gold', 'rideOn', 'rideX', 'rideY', 'rideZ'];
const WELL_KNOWN_INDEX = new Map(WELL_KNOWN_PROP_KEYS.map((k, i) => [k, i]));

/** A prop key: a well-known key's index, or (the list's length + its UTF-8 length) then its bytes. */
function writePropKey(w: ByteWriter, k: string): void {
  const known = WELL_KNOWN_INDEX.get(k);
  if (known !== undefined) return writeVarUint(w, known);
  const b = utf8.encode(k);
  writeVarUint(w, WELL_KNOWN_PROP_KEYS.length + b.length);
  w.raw(b);
}
function readPropKey(r: ByteReader): string {
  const v = readVarUint(r);
  if (v < WELL_KNOWN_PROP_KEYS.length) return WELL_KNOWN_PROP_KEYS[v]!;
  const n = v - WELL_KNOWN_PROP_KEYS.length;
  if (n > MAX_KEY_BYTES) r.fail(`string of ${n} bytes exceeds ${MAX_KEY_BYTES}`);
  try {
    return utf8Strict.decode(r.raw(n));
  } catch {
    return r.fail('string is not valid UTF-8');
  }
}

/** Reads a StateDelta's body written by `writeDeltaBody`, validating counts, ids, flags and values. */
export function readDeltaBody(r: ByteReader, tileEdge: number): DeltaBody {
  const tile = tileId(readTileCoord(r), readTileCoord(r), readTileCoord(r));
  const epoch = readVarUint(r);
  if (epoch > 0xffffffff) r.fail(`epoch ${epoch} out of range`);
  const tick = readVarUint(r);
  const seq = readVarUint(r);
  if (seq > 0xffffffff) r.fail(`sequence number ${seq} out of range`);
  const n = count(r, MAX_ITEMS, 'pose');
  const { lo, span } = poseFrame(tile, tileEdge);
  const poses: DeltaPose[] = [];
  let prev = 0;
  let prevY = -1;
  for (let i = 0; i < n; i++) {
    const mask = r.u8();
    if (mask > 127) r.fail(`bad pose flags ${mask}`);
    if (mask & Y_SAME && prevY < 0) r.fail('the first pose of a delta cannot take the previous pose\'s height');
    const step = readVarUint(r);
    const id = mask & ID_DOWN ? prev - step : prev + step;
    if (!Number.isSafeInteger(id) || id < 0) r.fail(`entity id ${id} is not a non-negative safe integer`);
    prev = id;
    const x = dq16(readU16(r), lo.x, span);
    if (!(mask & Y_SAME)) prevY = readU16(r);
    const y = dq16(prevY, lo.y, span);
    const z = dq16(readU16(r), lo.z, span);
    const rotation = mask & ROT ? readRotation(r) : undefined;
    const vx = mask & VX ? readI16(r) * VEL_Q : 0;
    const vy = mask & VY ? readI16(r) * VEL_Q : 0;
    const vz = mask & VZ ? readI16(r) * VEL_Q : 0;
    const angvel = mask & SPIN ? { x: readI16(r) * VEL_Q, y: readI16(r) * VEL_Q, z: readI16(r) * VEL_Q } : undefined;
    poses.push(angvel ? { id, x, y, z, rotation, vx, vy, vz, angvel } : { id, x, y, z, rotation, vx, vy, vz });
  }
  const ids = (what: string): EntityId[] => {
    const out: EntityId[] = [];
    for (let i = 0, k = count(r, MAX_ITEMS, what); i < k; i++) out.push(readVarUint(r));
    return out;
  };
  const removed = ids('removed id');
  const departed = ids('departed id');
  const keys: string[] = [];
  for (let i = 0, k = count(r, MAX_KEYS, 'prop key'); i < k; i++) keys.push(readPropKey(r));
  const props: { id: EntityId; props: Record<string, PropValue> }[] = [];
  let prevId = 0;
  for (let i = 0, k = count(r, MAX_ITEMS, 'prop update'); i < k; i++) {
    const id = prevId + readVarUint(r);
    if (!Number.isSafeInteger(id)) r.fail(`entity id ${id} is not a safe integer`);
    prevId = id;
    const out: Record<string, PropValue> = {};
    for (let j = 0, c = count(r, MAX_PROPS_PER_UPDATE, 'prop'); j < c; j++) {
      const head = r.u8();
      let key = head >> 3;
      if (key === INLINE_KEYS) key += readVarUint(r);
      if (key >= keys.length) r.fail(`prop key index ${key} of ${keys.length}`);
      const tag = head & 7;
      const name = keys[key]!;
      if (tag === T_F64) out[name] = r.f64();
      else if (tag === T_TRUE) out[name] = true;
      else if (tag === T_FALSE) out[name] = false;
      else if (tag === T_STR) out[name] = readShortStr(r, MAX_STRING_BYTES);
      else if (tag === T_INT) out[name] = readVarInt(r);
      else if (tag === T_F32) out[name] = r.f32();
      else if (tag === T_FIX) {
        const k = readVarInt(r);
        if (Math.abs(k) > 0x7fffffff || k % FIX_SCALE === 0) r.fail(`fixed-point prop ${k}/${FIX_SCALE} is out of range or an integer`);
        out[name] = k / FIX_SCALE;
      }
      else r.fail(`bad prop tag ${tag}`);
    }
    props.push({ id, props: out });
  }
  return props.length > 0 ? { tile, epoch, tick, seq, poses, removed, departed, props } : { tile, epoch, tick, seq, poses, removed, departed };
}

/** A tile coordinate (zigzag varint), within the i32 range `writeTile` allows. */
function readTileCoord(r: ByteReader): number {
  const v = readVarInt(r);
  if (v < -0x80000000 || v > 0x7fffffff) r.fail(`tile coordinate ${v} out of range`);
  return v;
}
