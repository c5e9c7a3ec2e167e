import {
  AUDIT_WINDOW_TICKS,
  commitOf,
  replayRecord,
  sameCommit,
  SeededRng,
  tileKey,
  TileSimulation,
  type BehaviourRegistry,
  type CommitWords,
  type EntityDesc,
  type EntityId,
  type EntityInput,
  type IncidentReason,
  type PeerId,
  type TickRecord,
  type TileId,
  type WorldConfig,
} from '../../src/index.js';
import type { Auditor } from './auditor.js';
import type { InputLedger } from './input-ledger.js';

/** How the relay samples and judges. */
export interface AuditConfig {
  /** Chance that a window of an owner in good standing is re-executed (default 0.1). */
  readonly sampleProbability: number;
  /** Chance for an owner with a past verdict against it (default 0.5). */
  readonly suspectProbability: number;
  /** A window is always audited when the tile's last verified state is older than this, ticks (default 120). */
  readonly maxUnverifiedTicks: number;
  /** An owner must answer an audit request within this, ms (default 2000). */
  readonly answerTimeoutMs: number;
  /** How long an input the owner logged may take to reach the relay from its player, ticks (default 60). */
  readonly inputGraceTicks: number;
  /** Commitments and records kept per tile, ticks (default 600). */
  readonly historyTicks: number;
}

export const DEFAULT_AUDIT_CONFIG: AuditConfig = { sampleProbability: 0.1, suspectProbability: 0.5, maxUnverifiedTicks: 120, answerTimeoutMs: 2000, inputGraceTicks: 60, historyTicks: 600 };

/** A finding against an owner (the relay turns it into an incident and a takeover). */
export interface Finding {
  readonly reason: IncidentReason;
  readonly owner: PeerId;
  readonly tile: TileId;
  readonly fromTick: number;
  readonly toTick: number;
  readonly detail: string;
}

/** What the desk needs from the relay. */
export interface AuditDeskHost {
  readonly config: WorldConfig;
  readonly registry: BehaviourRegistry;
  /** Wall clock, ms. */
  now(): number;
  currentTick(): number;
  /** Asks `owner` for its exact state of `tile` at `tick` (it answers with a keyframe). */
  requestState(owner: PeerId, tile: TileId, epoch: number, tick: number): void;
  /** Whether `owner` had a verdict against it before (audited more often). */
  isSuspect(owner: PeerId): boolean;
  found(f: Finding): void;
}

/** Counters for metrics and the players' HUD. */
export interface AuditCounters {
  windowsSeen: number;
  audits: number;
  passed: number;
  mismatches: number;
  auditedTicks: number;
  cpuMs: number;
  requests: number;
  unanswered: number;
  forcedByCritical: number;
  forcedByAge: number;
  logBytes: number;
}

/** One tile's audit trail under its current lease. */
interface TileLedger {
  readonly tile: TileId;
  owner: PeerId;
  epoch: number;
  readonly commits: Map<number, CommitWords>;
  /** `records.get(t)`: what entered the step that ended at tick t. */
  readonly records: Map<number, TickRecord>;
  lastTick: number;
  /** The newest state the relay knows to be honest: its own, or the end of a window it re-executed. */
  verified: { tick: number; snapshot: Uint8Array };
}

interface PendingAudit {
  readonly key: string;
  readonly owner: PeerId;
  readonly epoch: number;
  readonly from: number;
  readonly to: number;
  readonly deadline: number;
  state: Uint8Array | undefined;
  /** Set once the job is with the auditor. */
  submitted: boolean;
}

/**
 * The relay's audit desk (DESIGN flow 6): keeps every owner's commitments and input log per
 * tile, samples windows (always those that change critical state, and whenever the verified
 * state grows old), asks the owner for the window's start state, checks the logged inputs
 * against the players' own copies, has the auditor re-execute, and reports findings.
 */
export class AuditDesk {
  readonly counters: AuditCounters = { windowsSeen: 0, audits: 0, passed: 0, mismatches: 0, auditedTicks: 0, cpuMs: 0, requests: 0, unanswered: 0, forcedByCritical: 0, forcedByAge: 0, logBytes: 0 };
  private readonly ledgers = new Map<string, TileLedger>();
  private readonly pending: PendingAudit[] = [];
  /** Inputs an owner logged that the relay has not (yet) received from their player. */
  private unconfirmed: { key: string; owner: PeerId; epoch: number; tick: number; input: EntityInput }[] = [];
  private readonly rng: SeededRng;

  constructor(
    private readonly host: AuditDeskHost,
    private readonly auditor: Auditor,
    private readonly inputs: InputLedger,
    readonly settings: AuditConfig = DEFAULT_AUDIT_CONFIG,
    seed: number,
  ) {
    this.rng = new SeededRng(seed >>> 0);
  }

  /** A lease starts: `snapshot` (state at `fromTick`) is what the relay handed over, its verified start. */
  onLease(tile: TileId, owner: PeerId, epoch: number, fromTick: number, snapshot: Uint8Array): void {
    const key = tileKey(tile);
    const prev = this.ledgers.get(key);
    const verified = prev && prev.verified.tick > fromTick ? prev.verified : { tick: fromTick, snapshot };
    this.ledgers.set(key, { tile, owner, epoch, commits: new Map(), records: new Map(), lastTick: -1, verified });
    for (let i = this.pending.length - 1; i >= 0; i--) if (this.pending[i]!.key === key) this.pending.splice(i, 1);
  }

  /** The relay itself owns the tile now (nothing to audit): keeps only the verified state. */
  onRelayOwned(tile: TileId): void {
    const key = tileKey(tile);
    this.ledgers.delete(key);
    for (let i = this.pending.length - 1; i >= 0; i--) if (this.pending[i]!.key === key) this.pending.splice(i, 1);
  }

  /** Audits waiting for a state, for inputs, or for the auditor. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** The last verified state of a tile, if the desk has one. */
  verifiedState(tile: TileId): { tick: number; snapshot: Uint8Array } | undefined {
    return this.ledgers.get(tileKey(tile))?.verified;
  }

  /** The owner's commitment for a tick, if recorded. */
  commitAt(tile: TileId, tick: number): CommitWords | undefined {
    return this.ledgers.get(tileKey(tile))?.commits.get(tick);
  }

  /**
   * Entities that entered a tile after `tick` and were not taken out again from outside, as its
   * owner's logged records have them (in the order they came).
   */
  immigrantsAfter(tile: TileId, tick: number): EntityDesc[] {
    const l = this.ledgers.get(tileKey(tile));
    if (!l) return [];
    const came = new Map<EntityId, EntityDesc>();
    for (let t = tick + 1; t <= l.lastTick; t++) {
      const r = l.records.get(t);
      if (!r) continue;
      for (const b of [...r.inbound, ...r.after]) {
        for (const id of b.removals) came.delete(id);
        for (const e of b.immigrants) came.set(e.id, e);
      }
    }
    return [...came.values()];
  }

  /** Ticks since the last commitment of a tile (undefined when none under this lease). */
  lastCommittedTick(tile: TileId): number | undefined {
    const l = this.ledgers.get(tileKey(tile));
    return l && l.lastTick >= 0 ? l.lastTick : undefined;
  }

  /**
   * Takes a batch of commitments with their records; returns a refusal reason, or undefined.
   * Batches must continue the previous one (a replayed or overlapping batch is refused).
   */
  onCommits(tile: TileId, owner: PeerId, epoch: number, firstTick: number, hashes: readonly CommitWords[], records: readonly TickRecord[], bytes: number): string | undefined {
    const l = this.ledgers.get(tileKey(tile));
    if (!l || l.owner !== owner || l.epoch !== epoch) return `no lease of ${tileKey(tile)} for peer ${owner} under epoch ${epoch}`;
    if (l.lastTick >= 0 && firstTick <= l.lastTick) return `commits from tick ${firstTick} replay ticks already committed (up to ${l.lastTick})`;
    this.counters.logBytes += bytes;
    const prevLast = l.lastTick;
    hashes.forEach((h, i) => {
      l.commits.set(firstTick + i, h);
      l.records.set(firstTick + i, records[i]!);
    });
    l.lastTick = firstTick + hashes.length - 1;
    const oldest = l.lastTick - this.settings.historyTicks;
    for (const t of l.commits.keys()) {
      if (t >= oldest) break;
      l.commits.delete(t);
      l.records.delete(t);
    }
    // Every logged input must be one its player sent, unaltered (checked for every tick, audited or not).
    for (let i = 0; i < records.length; i++) {
      for (const input of records[i]!.inputs) {
        const check = this.inputs.check(input);
        if (check === 'different') {
          this.host.found({ reason: 'altered-input', owner, tile, fromTick: firstTick + i - 1, toTick: firstTick + i, detail: `input ${input.entity}#${input.seq} differs from what its player sent` });
          return undefined;
        }
        if (check === 'unknown') this.unconfirmed.push({ key: tileKey(tile), owner, epoch, tick: firstTick + i - 1, input });
      }
    }
    // Every window that just became complete is considered once.
    const firstEnd = Math.ceil((Math.max(prevLast, firstTick) + 1) / AUDIT_WINDOW_TICKS) * AUDIT_WINDOW_TICKS;
    for (let end = firstEnd; end <= l.lastTick; end += AUDIT_WINDOW_TICKS) this.consider(l, end - AUDIT_WINDOW_TICKS, end);
    return undefined;
  }

  private consider(l: TileLedger, from: number, to: number): void {
    if (!l.commits.has(from)) return; // the lease started inside this window
    this.counters.windowsSeen++;
    let critical = false;
    for (let t = from + 1; t <= to; t++) if (l.commits.get(t)?.[2] !== l.commits.get(t - 1)?.[2]) critical = true;
    const old = to - l.verified.tick > this.settings.maxUnverifiedTicks;
    const p = this.host.isSuspect(l.owner) ? this.settings.suspectProbability : this.settings.sampleProbability;
    // The draw happens for every window, so the sequence does not depend on which were forced.
    const sampled = this.rng.next() < p;
    if (!critical && !old && !sampled) return;
    if (critical) this.counters.forcedByCritical++;
    else if (old && !sampled) this.counters.forcedByAge++;
    if (this.pending.some((x) => x.key === tileKey(l.tile) && x.from === from)) return;
    this.pending.push({ key: tileKey(l.tile), owner: l.owner, epoch: l.epoch, from, to, deadline: this.host.now() + this.settings.answerTimeoutMs, state: undefined, submitted: false });
    this.counters.requests++;
    this.host.requestState(l.owner, l.tile, l.epoch, from);
  }

  /**
   * A keyframe arrived: true when it answers an audit request (then the desk owns it), false
   * when it is an ordinary keyframe.
   */
  onState(tile: TileId, owner: PeerId, epoch: number, tick: number, snapshot: Uint8Array): boolean {
    const key = tileKey(tile);
    const p = this.pending.find((x) => x.key === key && x.from === tick && x.owner === owner && x.epoch === epoch && !x.state);
    if (!p) return false;
    p.state = snapshot;
    this.advance(p);
    return true;
  }

  /** Times out unanswered requests, retries windows waiting for inputs, judges inputs that never came. */
  tick(): void {
    const now = this.host.now();
    if (this.unconfirmed.length > 0) {
      const still: typeof this.unconfirmed = [];
      for (const u of this.unconfirmed) {
        const l = this.ledgers.get(u.key);
        if (!l || l.owner !== u.owner || l.epoch !== u.epoch) continue;
        const check = this.inputs.check(u.input);
        if (check === 'same') continue;
        if (check === 'unknown' && this.host.currentTick() - u.tick < this.settings.inputGraceTicks) {
          still.push(u);
          continue;
        }
        this.unconfirmed = [];
        this.host.found({ reason: check === 'different' ? 'altered-input' : 'invented-input', owner: u.owner, tile: l.tile, fromTick: u.tick, toTick: u.tick + 1, detail: `input ${u.input.entity}#${u.input.seq} applied at tick ${u.tick} ${check === 'different' ? 'differs from what its player sent' : 'was never sent by its player'}` });
        return;
      }
      this.unconfirmed = still;
    }
    for (const p of [...this.pending]) {
      if (p.submitted) continue;
      if (!p.state) {
        if (now > p.deadline) {
          this.drop(p);
          this.counters.unanswered++;
          this.report(p, 'no-audit-answer', `no state for tick ${p.from} within ${this.settings.answerTimeoutMs} ms of the request`);
        }
        continue;
      }
      this.advance(p);
    }
  }

  private advance(p: PendingAudit): void {
    const l = this.ledgers.get(p.key);
    if (!l || l.owner !== p.owner || l.epoch !== p.epoch) return this.drop(p);
    const records: TickRecord[] = [];
    const commits: CommitWords[] = [l.commits.get(p.from)!];
    for (let t = p.from + 1; t <= p.to; t++) {
      const r = l.records.get(t);
      const c = l.commits.get(t);
      if (!r || !c) return this.drop(p); // pruned meanwhile
      records.push(r);
      commits.push(c);
    }
    // The owner's log must hold the players' inputs as they sent them.
    for (let i = 0; i < records.length; i++) {
      for (const input of records[i]!.inputs) {
        const check = this.inputs.check(input);
        if (check === 'different') {
          this.drop(p);
          return this.report(p, 'altered-input', `input ${input.entity}#${input.seq} applied at tick ${p.from + i} differs from what its player sent`);
        }
        if (check === 'unknown') {
          if (this.host.currentTick() - (p.from + i) < this.settings.inputGraceTicks) return; // may still be on its way
          this.drop(p);
          return this.report(p, 'invented-input', `input ${input.entity}#${input.seq} applied at tick ${p.from + i} was never sent by its player`);
        }
      }
    }
    p.submitted = true;
    this.counters.audits++;
    this.auditor.submit({ tile: l.tile, snapshot: p.state!, fromTick: p.from, records, commits }, (o) => {
      this.drop(p);
      this.counters.cpuMs += o.cpuMs;
      this.counters.auditedTicks += o.ticks;
      const now = this.ledgers.get(p.key);
      if (o.ok) {
        this.counters.passed++;
        if (now && o.endSnapshot && p.to > now.verified.tick) now.verified = { tick: p.to, snapshot: o.endSnapshot };
        return;
      }
      this.counters.mismatches++;
      const reason: IncidentReason = o.ticks === 0 && o.reason?.startsWith('start state') ? 'bad-audit-state' : o.reason?.startsWith('critical') ? 'critical-concealed' : 'state-mismatch';
      this.report(p, reason, o.reason ?? 'mismatch');
    });
  }

  private drop(p: PendingAudit): void {
    const i = this.pending.indexOf(p);
    if (i >= 0) this.pending.splice(i, 1);
  }

  private report(p: PendingAudit, reason: IncidentReason, detail: string): void {
    const l = this.ledgers.get(p.key);
    if (!l || l.owner !== p.owner || l.epoch !== p.epoch) return; // already taken away
    this.host.found({ reason, owner: p.owner, tile: l.tile, fromTick: p.from, toTick: p.to, detail });
  }

  /**
   * An ordinary keyframe of a peer-owned tile: it must restore and hash to the owner's
   * commitment for its tick (critical digest included). Returns a finding's reason or undefined.
   */
  checkKeyframe(tile: TileId, tick: number, commit: CommitWords): IncidentReason | undefined {
    const c = this.ledgers.get(tileKey(tile))?.commits.get(tick);
    if (!c) return undefined;
    if (sameCommit(c, commit)) return undefined;
    return c[0] === commit[0] && c[1] === commit[1] ? 'critical-concealed' : 'state-mismatch';
  }

  /**
   * The state to resume a tile from after its owner is gone or judged: the newest verified
   * state (or `newer`, a keyframe that matched its commitment, when the owner was not caught
   * cheating), rolled forward through the logged records up to the last committed tick. Inputs
   * the players did not send are left out. Emigrants of the replay are returned for placing.
   */
  resume(tile: TileId, newer: { tick: number; snapshot: Uint8Array } | undefined): { tick: number; snapshot: Uint8Array; emigrants: EntityDesc[]; replayed: number; fromTick: number } | undefined {
    const l = this.ledgers.get(tileKey(tile));
    let base = l?.verified;
    if (newer && (!base || newer.tick > base.tick)) base = newer;
    if (!base) return undefined;
    const { config, registry } = this.host;
    const sim = TileSimulation.restore(base.snapshot, config, registry);
    const emigrants: EntityDesc[] = [];
    let replayed = 0;
    try {
      if (l) {
        sim.discardPending();
        for (let t = base.tick + 1; t <= l.lastTick; t++) {
          const rec = l.records.get(t);
          if (!rec) break;
          const inputs: EntityInput[] = rec.inputs.filter((i) => this.inputs.check(i) === 'same');
          const r = replayRecord(sim, { ...rec, inputs });
          for (const e of r.emigrants) emigrants.push(e.entity);
          replayed++;
        }
      }
      return { tick: sim.tick, snapshot: sim.snapshot(), emigrants, replayed, fromTick: base.tick };
    } finally {
      sim.dispose();
    }
  }

  /** Commitment of a snapshot (restores it). Throws if it does not restore. */
  commitOfSnapshot(snapshot: Uint8Array): CommitWords {
    const sim = TileSimulation.restore(snapshot, this.host.config, this.host.registry);
    try {
      return commitOf(sim);
    } finally {
      sim.dispose();
    }
  }
}
