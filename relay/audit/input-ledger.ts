import { inputDataBytes, type EntityId, type EntityInput } from '../../src/index.js';

interface LoggedInput {
  readonly tick: number;
  readonly input: EntityInput;
  readonly bytes: Uint8Array;
}

/** Most inputs kept per entity (30 s at 60 Hz). */
const MAX_PER_ENTITY = 1800;

/**
 * The relay's own copy of every player's inputs, as the players sent them (they send each
 * input to the relay as well as to the owner of their avatar's tile). An owner's log is
 * checked against it: an owner cannot alter, invent or — after a takeover — lose an input.
 */
export class InputLedger {
  private readonly byEntity = new Map<EntityId, Map<number, LoggedInput>>();

  /** Records inputs a player sent for `tick`. A repeated (entity, seq) keeps the first copy. */
  add(tick: number, inputs: readonly EntityInput[]): void {
    for (const input of inputs) {
      let m = this.byEntity.get(input.entity);
      if (!m) this.byEntity.set(input.entity, (m = new Map()));
      if (m.has(input.seq)) continue;
      m.set(input.seq, { tick, input, bytes: inputDataBytes(input.data) });
      if (m.size > MAX_PER_ENTITY) m.delete(m.keys().next().value!);
    }
  }

  /** 'same' when the relay holds this input with the same data, 'different' when altered, 'unknown' when it holds none. */
  check(input: EntityInput): 'same' | 'different' | 'unknown' {
    const logged = this.byEntity.get(input.entity)?.get(input.seq);
    if (!logged) return 'unknown';
    const b = inputDataBytes(input.data);
    if (b.length !== logged.bytes.length) return 'different';
    for (let i = 0; i < b.length; i++) if (b[i] !== logged.bytes[i]) return 'different';
    return 'same';
  }

  /** Inputs for `entities` stamped after `tick`, in (tick, entity, seq) order: what a takeover still has to apply. */
  after(tick: number, entities: ReadonlySet<EntityId>): { tick: number; input: EntityInput }[] {
    const out: { tick: number; input: EntityInput }[] = [];
    for (const id of [...entities].sort((a, b) => a - b)) {
      const m = this.byEntity.get(id);
      if (!m) continue;
      for (const l of m.values()) if (l.tick > tick) out.push({ tick: l.tick, input: l.input });
    }
    return out.sort((a, b) => a.tick - b.tick || a.input.entity - b.input.entity || a.input.seq - b.input.seq);
  }

  /** Forgets a player's inputs (it left). */
  forget(entity: EntityId): void {
    this.byEntity.delete(entity);
  }

  /** Drops inputs stamped before `tick`. */
  prune(tick: number): void {
    for (const [id, m] of this.byEntity) {
      for (const [seq, l] of m) if (l.tick < tick) m.delete(seq);
      if (m.size === 0) this.byEntity.delete(id);
    }
  }
}
