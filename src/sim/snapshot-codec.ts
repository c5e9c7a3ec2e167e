import type { EntityMessage, InputData } from '../core/behaviour.js';
import { ByteReader, ByteWriter } from '../core/bytes.js';
import type { BodyDesc, BodyType, DynamicState, EntityDesc, EntityId, PropValue, ShapeDesc } from '../core/entity.js';
import { ErrorCode } from '../core/errors.js';
import { tileId, type TileId } from '../core/tile.js';
import type { GhostState } from './ghost.js';

/**
 * What a tile needs besides its entities to go on exactly as its owner's does: the tile's RNG
 * state and its id and message counters. It travels in full states, so a replica rebuilt from
 * one draws the same random numbers and spawns the same ids as the owner.
 */
export interface TileContinuity {
  /** The tile's seeded RNG state: four u32 words (`SeededRng.getState`). */
  readonly rng: readonly [number, number, number, number];
  /** How many ids the tile has minted for spawns (the next spawn's id is derived from it). */
  readonly spawnCounter: number;
  /** Sequence number the tile gives its next entity message (orders messages due the same tick). */
  readonly messageSeq: number;
}

/** What a tile snapshot holds (see `TileSimulation.snapshot`). */
export interface TileSnapshotData {
  /** The tile. */
  readonly tile: TileId;
  /** The tick the tile stands at (the next one it will simulate). */
  readonly tick: number;
  /** The tile's seeded RNG state: four u32 words (see `TileContinuity.rng`). */
  readonly rng: readonly [number, number, number, number];
  /** Spawn ids minted so far (see `TileContinuity.spawnCounter`). */
  readonly spawnCounter: number;
  /** Next entity-message sequence number (see `TileContinuity.messageSeq`). */
  readonly messageSeq: number;
  /** The tile's own entities, in id order; their dynamic state is in `physics`. */
  readonly entities: readonly {
    /** The entity's id. */
    readonly id: EntityId;
    /** Its kind's registered name (at most 64 bytes). */
    readonly kind: string;
    /** Its body description. */
    readonly body: BodyDesc;
    /** Its props. */
    readonly props: Readonly<Record<string, PropValue>>;
    /** Handle of its rigid body in the `physics` snapshot. */
    readonly rbHandle: number;
    /** Handle of its collider in the `physics` snapshot. */
    readonly colliderHandle: number;
  }[];
  /** Read-only ghosts of neighbours' border bodies shown in this tile, in id order. */
  readonly ghosts: readonly {
    /** The ghosted entity's id. */
    readonly id: EntityId;
    /** Its kind's registered name. */
    readonly kind: string;
    /** Its body description. */
    readonly body: BodyDesc;
    /** Key (`tileKey`, "x,y,z") of the neighbour tile that sent the ghost. */
    readonly source: string;
    /** Handle of its rigid body in the `physics` snapshot. */
    readonly rbHandle: number;
    /** Handle of its collider in the `physics` snapshot. */
    readonly colliderHandle: number;
  }[];
  /** Messages to this tile's entities waiting for their due tick. */
  readonly mailbox: readonly EntityMessage[];
  /** Entities that migrated in and join at the next step. */
  readonly pendingImmigrants: readonly EntityDesc[];
  /** Messages received and not yet moved to the mailbox (at the next step). */
  readonly pendingMessages: readonly EntityMessage[];
  /** Ghost sets received from neighbours and not yet applied, one per neighbour (at most 27). */
  readonly pendingGhosts: readonly {
    /** The neighbour tile that sent them. */
    readonly from: TileId;
    /** Its ghosts, replacing every ghost it showed here before. */
    readonly ghosts: readonly GhostState[];
  }[];
  /** Neighbours this tile sent ghosts to at its last step (each gets a set, empty if need be, at the next). */
  readonly ghostTargets: readonly TileId[];
  /** Rapier's own world snapshot. */
  readonly physics: Uint8Array;
}

const MAGIC = 0x504e5354; // "TSNP"
const VERSION = 1;
/** Upper bound on one tile snapshot, bytes (Rapier's part dominates: ≈1–5 KB per body). */
export const MAX_TILE_SNAPSHOT_BYTES = 256 * 1024 * 1024;
const MAX_ITEMS = 1_000_000;

const BODY_TYPES: readonly BodyType[] = ['dynamic', 'fixed', 'kinematic'];

/** Writes a tile id as three int32. */
export function writeTile(w: ByteWriter, t: TileId): void {
  w.i32(t.x).i32(t.y).i32(t.z);
}
/** Reads a tile id written by `writeTile`. */
export function readTile(r: ByteReader): TileId {
  return tileId(r.i32(), r.i32(), r.i32());
}

/** Writes a body description. */
export function writeBody(w: ByteWriter, b: BodyDesc): void {
  w.u8(BODY_TYPES.indexOf(b.type));
  const s = b.shape;
  if (s.type === 'box') w.u8(0).f64(s.halfExtents.x).f64(s.halfExtents.y).f64(s.halfExtents.z);
  else if (s.type === 'ball') w.u8(1).f64(s.radius);
  else w.u8(2).f64(s.halfHeight).f64(s.radius);
  // Optional numbers: NaN marks "absent" so defaults stay defaults after a round trip.
  w.f64(b.density ?? Number.NaN).f64(b.friction ?? Number.NaN).f64(b.restitution ?? Number.NaN).f64(b.linearDamping ?? Number.NaN).f64(b.angularDamping ?? Number.NaN);
  w.u8((b.sensor === undefined ? 0 : b.sensor ? 1 : 2) | ((b.lockRotations === undefined ? 0 : b.lockRotations ? 1 : 2) << 2) | ((b.ccd === undefined ? 0 : b.ccd ? 1 : 2) << 4));
}

/** One of `writeBody`'s optional flags: 0 absent, 1 true, 2 false. */
function bodyFlag(flags: number, shift: number): boolean | undefined {
  const v = (flags >> shift) & 3;
  return v === 0 ? undefined : v === 1;
}

/** Reads a body description written by `writeBody`. */
export function readBody(r: ByteReader): BodyDesc {
  const type = BODY_TYPES[r.u8()];
  if (!type) r.fail('bad body type');
  const tag = r.u8();
  let shape: ShapeDesc;
  if (tag === 0) shape = { type: 'box', halfExtents: { x: r.f64(), y: r.f64(), z: r.f64() } };
  else if (tag === 1) shape = { type: 'ball', radius: r.f64() };
  else if (tag === 2) shape = { type: 'capsule', halfHeight: r.f64(), radius: r.f64() };
  else r.fail(`bad shape tag ${tag}`);
  // Read one by one, without an array or a closure per body (a restore reads every entity's).
  const density = r.f64();
  const friction = r.f64();
  const restitution = r.f64();
  const linearDamping = r.f64();
  const angularDamping = r.f64();
  const flags = r.u8();
  const out: { -readonly [K in keyof BodyDesc]: BodyDesc[K] } = { type, shape };
  if (!Number.isNaN(density)) out.density = density;
  if (!Number.isNaN(friction)) out.friction = friction;
  if (!Number.isNaN(restitution)) out.restitution = restitution;
  if (!Number.isNaN(linearDamping)) out.linearDamping = linearDamping;
  if (!Number.isNaN(angularDamping)) out.angularDamping = angularDamping;
  const sensor = bodyFlag(flags, 0);
  const lockRotations = bodyFlag(flags, 2);
  const ccd = bodyFlag(flags, 4);
  if (sensor !== undefined) out.sensor = sensor;
  if (lockRotations !== undefined) out.lockRotations = lockRotations;
  if (ccd !== undefined) out.ccd = ccd;
  return out;
}

/** Writes props (or input data) as (key, tagged value) pairs in key order. */
export function writeProps(w: ByteWriter, props: Readonly<Record<string, PropValue>>): void {
  const keys = Object.keys(props).sort();
  w.u32(keys.length);
  for (const k of keys) {
    const v = props[k]!;
    w.str(k);
    if (typeof v === 'number') w.u8(0).f64(v);
    else if (typeof v === 'boolean') w.u8(v ? 1 : 2);
    else w.u8(3).str(v);
  }
}

/** Reads props written by `writeProps`. */
export function readProps(r: ByteReader, maxKeys = 256): Record<string, PropValue> {
  const n = r.count(maxKeys, 'prop');
  const out: Record<string, PropValue> = {};
  for (let i = 0; i < n; i++) {
    const k = r.str(64);
    const tag = r.u8();
    if (tag === 0) out[k] = r.f64();
    else if (tag === 1) out[k] = true;
    else if (tag === 2) out[k] = false;
    else if (tag === 3) out[k] = r.str(1024);
    else r.fail(`bad prop tag ${tag}`);
  }
  return out;
}

/** Writes a dynamic state as 13 float64. */
export function writeState(w: ByteWriter, s: DynamicState): void {
  const { position: p, rotation: q, linvel: v, angvel: a } = s;
  w.f64(p.x).f64(p.y).f64(p.z).f64(q.x).f64(q.y).f64(q.z).f64(q.w).f64(v.x).f64(v.y).f64(v.z).f64(a.x).f64(a.y).f64(a.z);
}
/** Reads a dynamic state written by `writeState`. */
export function readState(r: ByteReader): DynamicState {
  return {
    position: { x: r.f64(), y: r.f64(), z: r.f64() },
    rotation: { x: r.f64(), y: r.f64(), z: r.f64(), w: r.f64() },
    linvel: { x: r.f64(), y: r.f64(), z: r.f64() },
    angvel: { x: r.f64(), y: r.f64(), z: r.f64() },
  };
}

/** Writes a full entity description. */
export function writeEntity(w: ByteWriter, e: EntityDesc): void {
  w.f64(e.id).str(e.kind);
  writeBody(w, e.body);
  writeState(w, e.state);
  writeProps(w, e.props);
}
/** Reads an entity written by `writeEntity`. */
export function readEntity(r: ByteReader): EntityDesc {
  const id = r.f64();
  const kind = r.str(64);
  const body = readBody(r);
  const state = readState(r);
  const props = readProps(r);
  return { id, kind, body, state, props };
}

function writeMessage(w: ByteWriter, m: EntityMessage): void {
  w.f64(m.from).f64(m.to).str(m.topic).f64(m.dueTick).f64(m.seq);
  writeProps(w, m.data);
}
function readMessage(r: ByteReader): EntityMessage {
  const from = r.f64();
  const to = r.f64();
  const topic = r.str(64);
  const dueTick = r.f64();
  const seq = r.f64();
  const data: InputData = readProps(r);
  return { from, to, topic, data, dueTick, seq };
}

/** Encodes a tile snapshot. Layout in `src/protocol/PROTOCOL.md` ("Tile snapshot"). */
export function encodeTileSnapshot(d: TileSnapshotData): Uint8Array {
  // Room for the usual entity record (id, kind, body, a few props, handles) without regrowing.
  const w = new ByteWriter(1024 + 160 * (d.entities.length + d.ghosts.length));
  w.u32(MAGIC).u8(VERSION);
  writeTile(w, d.tile);
  w.f64(d.tick);
  for (const x of d.rng) w.u32(x);
  w.f64(d.spawnCounter).f64(d.messageSeq);
  w.u32(d.entities.length);
  for (const e of d.entities) {
    w.f64(e.id).str(e.kind);
    writeBody(w, e.body);
    writeProps(w, e.props);
    w.f64(e.rbHandle).f64(e.colliderHandle);
  }
  w.u32(d.ghosts.length);
  for (const g of d.ghosts) {
    w.f64(g.id).str(g.kind).str(g.source);
    writeBody(w, g.body);
    w.f64(g.rbHandle).f64(g.colliderHandle);
  }
  w.u32(d.mailbox.length);
  for (const m of d.mailbox) writeMessage(w, m);
  w.u32(d.pendingImmigrants.length);
  for (const e of d.pendingImmigrants) writeEntity(w, e);
  w.u32(d.pendingMessages.length);
  for (const m of d.pendingMessages) writeMessage(w, m);
  w.u32(d.pendingGhosts.length);
  for (const p of d.pendingGhosts) {
    writeTile(w, p.from);
    w.u32(p.ghosts.length);
    for (const g of p.ghosts) {
      w.f64(g.id).str(g.kind);
      writeBody(w, g.body);
      writeState(w, g.state);
    }
  }
  w.u32(d.ghostTargets.length);
  for (const t of d.ghostTargets) writeTile(w, t);
  w.u32(d.physics.length);
  // Rapier's part (most of the bytes) is copied once, into a buffer of exactly the right size.
  const head = w.finish();
  const out = new Uint8Array(head.length + d.physics.length);
  out.set(head);
  out.set(d.physics, head.length);
  return out;
}

/** Decodes a tile snapshot; throws `bad-snapshot` with the reason on malformed bytes. */
export function decodeTileSnapshot(bytes: Uint8Array): TileSnapshotData {
  return decodeTileSnapshotBytes(bytes, true);
}

/**
 * `decodeTileSnapshot`, with `physics` a view into `bytes` unless `copyPhysics` (a restore hands
 * it straight to Rapier, which copies it in: a second copy would be wasted).
 */
export function decodeTileSnapshotBytes(bytes: Uint8Array, copyPhysics: boolean): TileSnapshotData {
  const r = new ByteReader(bytes, ErrorCode.BadSnapshot, 'tile snapshot');
  if (bytes.length > MAX_TILE_SNAPSHOT_BYTES) r.fail(`${bytes.length} bytes exceeds ${MAX_TILE_SNAPSHOT_BYTES}`);
  if (r.u32() !== MAGIC) r.fail('not a tile snapshot (bad magic)');
  const version = r.u8();
  if (version !== VERSION) r.fail(`unsupported version ${version}`);
  const tile = readTile(r);
  const tick = r.f64();
  const rng: [number, number, number, number] = [r.u32(), r.u32(), r.u32(), r.u32()];
  const spawnCounter = r.f64();
  const messageSeq = r.f64();
  const entities: TileSnapshotData['entities'][number][] = [];
  for (let i = 0, n = r.count(MAX_ITEMS, 'entity'); i < n; i++) {
    const id = r.f64();
    const kind = r.str(64);
    const body = readBody(r);
    const props = readProps(r);
    entities.push({ id, kind, body, props, rbHandle: r.f64(), colliderHandle: r.f64() });
  }
  const ghosts: TileSnapshotData['ghosts'][number][] = [];
  for (let i = 0, n = r.count(MAX_ITEMS, 'ghost'); i < n; i++) {
    const id = r.f64();
    const kind = r.str(64);
    const source = r.str(64);
    const body = readBody(r);
    ghosts.push({ id, kind, body, source, rbHandle: r.f64(), colliderHandle: r.f64() });
  }
  const mailbox: EntityMessage[] = [];
  for (let i = 0, n = r.count(MAX_ITEMS, 'message'); i < n; i++) mailbox.push(readMessage(r));
  const pendingImmigrants: EntityDesc[] = [];
  for (let i = 0, n = r.count(MAX_ITEMS, 'immigrant'); i < n; i++) pendingImmigrants.push(readEntity(r));
  const pendingMessages: EntityMessage[] = [];
  for (let i = 0, n = r.count(MAX_ITEMS, 'message'); i < n; i++) pendingMessages.push(readMessage(r));
  const pendingGhosts: { from: TileId; ghosts: GhostState[] }[] = [];
  for (let i = 0, n = r.count(125, 'ghost source'); i < n; i++) {
    const from = readTile(r);
    const list: GhostState[] = [];
    for (let j = 0, m = r.count(MAX_ITEMS, 'ghost'); j < m; j++) {
      const id = r.f64();
      const kind = r.str(64);
      const body = readBody(r);
      list.push({ id, kind, body, state: readState(r) });
    }
    pendingGhosts.push({ from, ghosts: list });
  }
  const ghostTargets: TileId[] = [];
  for (let i = 0, n = r.count(125, 'ghost target'); i < n; i++) ghostTargets.push(readTile(r));
  const view = r.bytes(MAX_TILE_SNAPSHOT_BYTES);
  const physics = copyPhysics ? view.slice() : view;
  r.end();
  return { tile, tick, rng, spawnCounter, messageSeq, entities, ghosts, mailbox, pendingImmigrants, pendingMessages, pendingGhosts, ghostTargets, physics };
}
