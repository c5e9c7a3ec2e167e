import type { EntityInput, EntityMessage } from '../core/behaviour.js';
import { ByteReader, ByteWriter, readVarUint, writeVarUint } from '../core/bytes.js';
import type { EntityDesc, EntityId } from '../core/entity.js';
import { ErrorCode } from '../core/errors.js';
import type { TileId } from '../core/tile.js';
import type { GhostState } from './ghost.js';
import { readBody, readEntity, readProps, readState, readTile, writeBody, writeEntity, writeProps, writeState, writeTile } from './snapshot-codec.js';

/** Ghosts, removals and immigrants a tile applied together (one `applyInbound`), in that order. */
export interface InboundBatch {
  /** Ghost sets replaced, one per neighbour. */
  readonly ghosts: readonly {
    /** The neighbour tile that sent them. */
    readonly from: TileId;
    /** Its bodies near the border (an empty list clears that neighbour's ghosts). */
    readonly ghosts: readonly GhostState[];
  }[];
  /** Entities taken out of the tile from outside (e.g. by the relay). */
  readonly removals: readonly EntityId[];
  /** Entities that entered the tile (migrants, placements). */
  readonly immigrants: readonly EntityDesc[];
}

/**
 * Everything from outside that entered one step of a tile: the audit's input log. Replaying a
 * tile's records from a snapshot reproduces its states bit for bit (`replayRecord`).
 */
export interface TickRecord {
  /** Applied before the step (between the previous commitment and the step, or at its start). */
  readonly inbound: readonly InboundBatch[];
  /** Messages that reached the mailbox in this step (delivered when due). */
  readonly messages: readonly EntityMessage[];
  /** Players' inputs applied in this step. */
  readonly inputs: readonly EntityInput[];
  /** Applied after the step, before the state was committed (migrants between tiles of one owner). */
  readonly after: readonly InboundBatch[];
}

/** A record of a step nothing entered (no inbound batches, messages or inputs). */
export const EMPTY_RECORD: TickRecord = { inbound: [], messages: [], inputs: [], after: [] };

/** Most items of one kind in a record a decoder accepts. */
const MAX_ITEMS = 4096;

function writeGhost(w: ByteWriter, g: GhostState): void {
  w.f64(g.id).str(g.kind);
  writeBody(w, g.body);
  writeState(w, g.state);
}

/** Ghost entry flags: the whole ghost, the same as in the previous record, or a new state only. */
const GHOST_FULL = 0;
const GHOST_SAME = 1;
const GHOST_STATE = 2;

/**
 * Appends records to `w`. A ghost identical to the one its neighbour showed in the previous
 * record of the same call costs 9 bytes, a moved one only its state: resting bodies across a
 * border cost almost nothing per tick.
 */
export function writeTickRecords(w: ByteWriter, records: readonly TickRecord[]): void {
  const last = new Map<string, Map<EntityId, GhostState>>();
  writeVarUint(w, records.length);
  const writeBatches = (batches: readonly InboundBatch[]): void => {
    writeVarUint(w, batches.length);
    for (const b of batches) {
      writeVarUint(w, b.ghosts.length);
      for (const g of b.ghosts) {
        writeTile(w, g.from);
        const key = `${g.from.x},${g.from.y},${g.from.z}`;
        const prev = last.get(key);
        const now = new Map<EntityId, GhostState>();
        writeVarUint(w, g.ghosts.length);
        for (const x of g.ghosts) {
          now.set(x.id, x);
          const p = prev?.get(x.id);
          w.f64(x.id);
          if (p && p.kind === x.kind && sameBody(p, x)) {
            if (sameState(p.state, x.state)) w.u8(GHOST_SAME);
            else writeGhostState(w, GHOST_STATE, x.state);
          } else {
            writeGhostState(w, GHOST_FULL, x.state);
            w.str(x.kind);
            writeBody(w, x.body);
          }
        }
        last.set(key, now);
      }
      writeVarUint(w, b.removals.length);
      for (const id of b.removals) w.f64(id);
      writeVarUint(w, b.immigrants.length);
      for (const e of b.immigrants) writeEntity(w, e);
    }
  };
  for (const r of records) {
    writeBatches(r.inbound);
    writeVarUint(w, r.messages.length);
    for (const m of r.messages) {
      w.f64(m.from).f64(m.to).str(m.topic).f64(m.dueTick).f64(m.seq);
      writeProps(w, m.data);
    }
    writeVarUint(w, r.inputs.length);
    for (const i of r.inputs) {
      w.f64(i.entity).u32(i.seq);
      writeProps(w, i.data);
    }
    writeBatches(r.after);
  }
}

/** Reads records written by `writeTickRecords`; throws `bad-input` on malformed bytes. */
export function readTickRecords(r: ByteReader): TickRecord[] {
  const last = new Map<string, Map<EntityId, GhostState>>();
  const n = count(r, MAX_ITEMS, 'tick record');
  const out: TickRecord[] = [];
  const readBatches = (): InboundBatch[] => {
    const inbound: InboundBatch[] = [];
    const nb = count(r, 64, 'inbound batch');
    for (let j = 0; j < nb; j++) {
      const ghosts: { from: TileId; ghosts: GhostState[] }[] = [];
      const ng = count(r, 26, 'ghost source');
      for (let k = 0; k < ng; k++) {
        const from = readTile(r);
        const key = `${from.x},${from.y},${from.z}`;
        const prev = last.get(key);
        const now = new Map<EntityId, GhostState>();
        const ghostCount = count(r, MAX_ITEMS, 'ghost');
        const list: GhostState[] = [];
        for (let g = 0; g < ghostCount; g++) {
          const id = r.f64();
          const flag = r.u8();
          const kind = flag & 3;
          let ghost: GhostState;
          if (kind === GHOST_FULL) {
            const state = readGhostState(r, flag);
            ghost = { id, kind: r.str(64), body: readBody(r), state };
          } else {
            const p = prev?.get(id);
            if (!p || (kind !== GHOST_SAME && kind !== GHOST_STATE) || flag > 7) return r.fail(`ghost ${id} of ${key}: flag ${flag} without an earlier full entry`);
            ghost = kind === GHOST_SAME ? p : { id, kind: p.kind, body: p.body, state: readGhostState(r, flag) };
          }
          now.set(id, ghost);
          list.push(ghost);
        }
        last.set(key, now);
        ghosts.push({ from, ghosts: list });
      }
      const removals: EntityId[] = [];
      const nr = count(r, MAX_ITEMS, 'removal');
      for (let k = 0; k < nr; k++) removals.push(r.f64());
      const immigrants: EntityDesc[] = [];
      const ni = count(r, MAX_ITEMS, 'immigrant');
      for (let k = 0; k < ni; k++) immigrants.push(readEntity(r));
      inbound.push({ ghosts, removals, immigrants });
    }
    return inbound;
  };
  for (let i = 0; i < n; i++) {
    const inbound = readBatches();
    const messages: EntityMessage[] = [];
    const nm = count(r, MAX_ITEMS, 'message');
    for (let k = 0; k < nm; k++) {
      const from = r.f64();
      const to = r.f64();
      const topic = r.str(64);
      const dueTick = r.f64();
      const seq = r.f64();
      messages.push({ from, to, topic, dueTick, seq, data: readProps(r, 16) });
    }
    const inputs: EntityInput[] = [];
    const nin = count(r, MAX_ITEMS, 'input');
    for (let k = 0; k < nin; k++) {
      const entity = r.f64();
      const seq = r.u32();
      inputs.push({ entity, seq, data: readProps(r, 16) });
    }
    out.push({ inbound, messages, inputs, after: readBatches() });
  }
  return out;
}

function count(r: ByteReader, max: number, what: string): number {
  const n = readVarUint(r);
  if (n > max) r.fail(`${what} count ${n} exceeds limit ${max}`);
  return n;
}

/** Flag bit: the state follows as 13 float32 (every value is one exactly), not 13 float64. */
const STATE_F32 = 4;

const stateValues = (s: GhostState['state']): number[] => {
  const { position: p, rotation: q, linvel: v, angvel: a } = s;
  return [p.x, p.y, p.z, q.x, q.y, q.z, q.w, v.x, v.y, v.z, a.x, a.y, a.z];
};

/** Writes the flag byte and the state: as float32 when that loses nothing (physics states are float32). */
function writeGhostState(w: ByteWriter, flag: number, s: GhostState['state']): void {
  const values = stateValues(s);
  if (values.every((v) => Object.is(Math.fround(v), v))) {
    w.u8(flag | STATE_F32);
    for (const v of values) w.f32(v);
  } else {
    w.u8(flag);
    writeState(w, s);
  }
}

function readGhostState(r: ByteReader, flag: number): GhostState['state'] {
  if ((flag & STATE_F32) === 0) return readState(r);
  const v = Array.from({ length: 13 }, () => r.f32());
  return { position: { x: v[0]!, y: v[1]!, z: v[2]! }, rotation: { x: v[3]!, y: v[4]!, z: v[5]!, w: v[6]! }, linvel: { x: v[7]!, y: v[8]!, z: v[9]! }, angvel: { x: v[10]!, y: v[11]!, z: v[12]! } };
}

function sameBody(a: GhostState, b: GhostState): boolean {
  return a.body === b.body || JSON.stringify(a.body) === JSON.stringify(b.body);
}

function sameState(a: GhostState['state'], b: GhostState['state']): boolean {
  const v = (p: { x: number; y: number; z: number }, q: { x: number; y: number; z: number }): boolean => Object.is(p.x, q.x) && Object.is(p.y, q.y) && Object.is(p.z, q.z);
  return v(a.position, b.position) && v(a.rotation, b.rotation) && Object.is(a.rotation.w, b.rotation.w) && v(a.linvel, b.linvel) && v(a.angvel, b.angvel);
}

/** Canonical bytes of one input's data (to compare an owner's log with a player's own copy). */
export function inputDataBytes(data: EntityInput['data']): Uint8Array {
  const w = ByteWriter.pooled(32);
  writeProps(w, data);
  return w.finishPooled();
}
