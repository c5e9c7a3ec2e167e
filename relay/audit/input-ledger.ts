import { inputDataBytes, type EntityId, type EntityInput } from '../../src/index.js';

interface LoggedInput {
  /** The tick the player stamped it with. */
  readonly tick: number;
  /** The relay's tick when its copy arrived (or when the relay passed it on: `unapply`). */
  receivedTick: number;
  readonly input: EntityInput;
  readonly bytes: Uint8Array;
  /** The record (tile, tick, and the lease `owner@epoch`, or `relay`) that applied it, once one did. */
  appliedAt: AppliedAt | undefined;
}

/** Where an input was applied: the tile, the tick of the record, and the lease (`owner@epoch`, or `relay`). */
export interface AppliedAt {
  readonly tile: string;
  readonly tick: number;
  readonly lease: string;
}

/** Most inputs kept per entity (30 s at 60 Hz). */
const MAX_PER_ENTITY = 1800;

/** What the ledger says of one input in an owner's record. */
export type InputCheck = 'same' | 'different' | 'unknown';
/** What applying a logged input did: `repeated` when a record had already applied it. */
export type InputApply = 'applied' | 'repeated' | 'different' | 'unknown';

/**
 * The relay's own copy of every player's inputs, as the players sent them (they send each
 * input to the relay as well as to the owner of their avatar's tile), and which record applied
 * each one. An owner's log is checked against it: an owner cannot alter, invent, repeat or
 * drop an input, and after a takeover the relay still has the ones the owner never logged.
 */
export class InputLedger {
  private readonly byEntity = new Map<EntityId, Map<number, LoggedInput>>();

  /** How much the ledger holds: entities with inputs, and inputs (the fault simulator's memory check). */
  retained(): { inputEntities: number; inputs: number } {
    let inputs = 0;
    for (const m of this.byEntity.values()) inputs += m.size;
    return { inputEntities: this.byEntity.size, inputs };
  }

  /** Records inputs a player sent for `tick`, received at `receivedTick`. A repeated (entity, seq) keeps the first copy. */
  add(tick: number, inputs: readonly EntityInput[], receivedTick = tick): void {
    for (const input of inputs) {
      let m = this.byEntity.get(input.entity);
      if (!m) this.byEntity.set(input.entity, (m = new Map()));
      if (m.has(input.seq)) continue;
      m.set(input.seq, { tick, receivedTick, input, bytes: inputDataBytes(input.data), appliedAt: undefined });
      if (m.size > MAX_PER_ENTITY) m.delete(m.keys().next().value!);
    }
  }

  /** 'same' when the relay holds this input with the same data, 'different' when altered, 'unknown' when it holds none. */
  check(input: EntityInput): InputCheck {
    const logged = this.byEntity.get(input.entity)?.get(input.seq);
    if (!logged) return 'unknown';
    return sameBytes(inputDataBytes(input.data), logged.bytes) ? 'same' : 'different';
  }

  /** Marks an input as applied by `tile`'s record of `tick` under `lease`; a second application is `repeated`. */
  apply(input: EntityInput, tile: string, tick: number, lease = 'relay'): InputApply {
    const logged = this.byEntity.get(input.entity)?.get(input.seq);
    if (!logged) return 'unknown';
    if (!sameBytes(inputDataBytes(input.data), logged.bytes)) return 'different';
    if (logged.appliedAt) return 'repeated';
    logged.appliedAt = { tile, tick, lease };
    return 'applied';
  }

  /**
   * Withdraws an application by `lease` (default the relay) that did not happen after all, and
   * counts an unapplied input as received when passed on: the relay's simulation, running behind
   * the timeline, may hand the tile (or the entity) over before it reaches the input's tick (the
   * relay marks its own applications when its simulation steps them, so normally none is withdrawn).
   * `passedOnTick`: the relay's tick when it passed the input on to the entity's next holder, which
   * could not apply it before (counted as when the relay got it: the timing check runs from there).
   */
  unapply(input: EntityInput, passedOnTick: number, lease = 'relay'): void {
    const logged = this.byEntity.get(input.entity)?.get(input.seq);
    if (!logged || (logged.appliedAt && logged.appliedAt.lease !== lease)) return;
    logged.appliedAt = undefined;
    logged.receivedTick = Math.max(logged.receivedTick, passedOnTick);
  }

  /**
   * The relay passed its copy of an input on later than it meant to (it stalled past the
   * fallback's time): the owner's time to apply it counts from `asIfReceivedTick`, as though the
   * relay had got it then. The relay never blames an owner for its own delay.
   */
  deferReceipt(input: EntityInput, asIfReceivedTick: number): void {
    const logged = this.byEntity.get(input.entity)?.get(input.seq);
    if (logged && !logged.appliedAt) logged.receivedTick = Math.max(logged.receivedTick, asIfReceivedTick);
  }

  /** When the player stamped an input and when the relay got it, if the relay holds it. */
  stampOf(input: EntityInput): { tick: number; receivedTick: number } | undefined {
    const l = this.byEntity.get(input.entity)?.get(input.seq);
    return l ? { tick: l.tick, receivedTick: l.receivedTick } : undefined;
  }

  /** Where an input was applied, if a record (or the relay) applied it. */
  appliedAt(entity: EntityId, seq: number): AppliedAt | undefined {
    return this.byEntity.get(entity)?.get(seq)?.appliedAt;
  }

  /** Inputs of `entity` no record applied yet, in seq order. */
  unapplied(entity: EntityId): { tick: number; receivedTick: number; input: EntityInput }[] {
    const m = this.byEntity.get(entity);
    if (!m) return [];
    const out: { tick: number; receivedTick: number; input: EntityInput }[] = [];
    for (const l of m.values()) if (!l.appliedAt) out.push({ tick: l.tick, receivedTick: l.receivedTick, input: l.input });
    return out.sort((a, b) => a.input.seq - b.input.seq);
  }

  /** Inputs for `entities` stamped after `tick` that no record applied, in (tick, entity, seq) order: what a takeover still has to apply. */
  after(tick: number, entities: ReadonlySet<EntityId>): { tick: number; input: EntityInput }[] {
    const out: { tick: number; input: EntityInput }[] = [];
    for (const id of [...entities].sort((a, b) => a - b)) {
      const m = this.byEntity.get(id);
      if (!m) continue;
      for (const l of m.values()) if (l.tick > tick && !l.appliedAt) out.push({ tick: l.tick, input: l.input });
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

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
