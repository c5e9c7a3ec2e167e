import {
  AUDIT_RETAIN_TICKS,
  AUDIT_WINDOW_TICKS,
  commitOf,
  entityEvidenceKey,
  messageEvidenceKey,
  neighbours,
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
import type { RoutedEvidence } from './routed-evidence.js';

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
  /**
   * An input must be applied within this many ticks of when it was stamped or reached the relay,
   * whichever is later (default 120 = 2 s): what an honest owner on a slow path still meets.
   */
  readonly applyGraceTicks: number;
  /** A record item waiting for the re-execution that can vouch for it is given up (unverifiable) after this, ms (default 10 s). */
  readonly obligationTimeoutMs: number;
}

export const DEFAULT_AUDIT_CONFIG: AuditConfig = { sampleProbability: 0.1, suspectProbability: 0.5, maxUnverifiedTicks: 120, answerTimeoutMs: 2000, inputGraceTicks: 60, historyTicks: 600, applyGraceTicks: 120, obligationTimeoutMs: 10_000 };

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
  /** The tick the player of this avatar left (the relay's last word from it before its connection closed), if it did. */
  playerLeftAt?(avatar: EntityId): number | undefined;
  /** The tick the relay last heard from the player of this avatar (undefined when it is not connected). */
  lastHeardFrom?(avatar: EntityId): number | undefined;
  /** Whether `owner` had a verdict against it before (audited more often). */
  isSuspect(owner: PeerId): boolean;
  found(f: Finding): void;
}

/** Time left for an audit request to reach its owner before the state it asks for may be gone there, ticks (1 s at 60 Hz). */
const ASK_MARGIN_TICKS = 60;

/** Counters for metrics and the players' HUD. */
export interface AuditCounters {
  /** Complete audit windows of peer-owned tiles seen. */
  windowsSeen: number;
  /** Windows re-executed by the auditor. */
  audits: number;
  /** Re-executed windows that matched every commitment. */
  passed: number;
  /** Re-executed windows that did not match. */
  mismatches: number;
  /** Ticks re-executed by the auditor. */
  auditedTicks: number;
  /** CPU time spent re-executing windows, ms. */
  cpuMs: number;
  /** Window start states asked of owners. */
  requests: number;
  /** Requests owners did not answer within `AuditConfig.answerTimeoutMs`. */
  unanswered: number;
  /**
   * Windows not asked for because their start was already older than an honest owner keeps
   * states (`AUDIT_RETAIN_TICKS`, less a second for the request to travel) when they became
   * complete here: after the relay itself stalled, or commitments that came late.
   */
  tooLateToAsk: number;
  /** Windows audited because they changed critical state. */
  forcedByCritical: number;
  /** Windows audited because the verified state grew older than `AuditConfig.maxUnverifiedTicks`. */
  forcedByAge: number;
  /** Windows audited because another record relied on what they produced. */
  forcedByEvidence: number;
  /** Bytes of commitments and input logs received from owners. */
  logBytes: number;
  /** Record items matched with what the relay routed. */
  evidenceRouted: number;
  /** Record items matched with what a re-executed tile of the same owner produced. */
  evidenceProduced: number;
  /** Record items given up on: the window that could vouch for them could not be audited. */
  evidenceUnverifiable: number;
  /** Inputs from before a lease began that both the old and the new holder applied (tolerated). */
  repeatsAcrossHandoff: number;
  /** Inputs another holder applied later on the timeline than the owner being checked (the later one was the repeat). */
  repeatsOutOfOrder: number;
  /** Logged inputs the relay never got, of players whose connection dropped right after (not judged). */
  inputsLostWithPlayer: number;
}

/** One tile's audit trail under its current lease. */
interface TileLedger {
  readonly tile: TileId;
  owner: PeerId;
  epoch: number;
  /** The tick the lease started at. */
  readonly leaseFrom: number;
  readonly commits: Map<number, CommitWords>;
  /** `records.get(t)`: what entered the step that ended at tick t. */
  readonly records: Map<number, TickRecord>;
  lastTick: number;
  /** The newest state the relay knows to be honest: its own, or the end of a window it re-executed. */
  verified: { tick: number; snapshot: Uint8Array };
  /** Window starts to audit as soon as their commitments are in (another record relies on them). */
  readonly forced: Set<number>;
  /** What re-executed windows produced (emigrants, outgoing mail), by the tick of the step. */
  readonly produced: Map<number, string[]>;
  /** The last committed state the relay saw (a matched keyframe), for the drop check. */
  sighting: { tick: number; ids: ReadonlySet<EntityId> } | undefined;
  /** Per entity, the committed tick since which it has been seen in the tile at every committed state, without leaving and coming back. */
  readonly presentSince: Map<EntityId, number>;
  /** Arrivals from a sibling tile handed over meanwhile, not in this tile's records yet (for the checkpoint cut). */
  expected: { entity: EntityDesc; tick: number }[];
}

/**
 * A record item of one tile that only a re-execution of another tile of the same owner can
 * vouch for (a migrant between two of its tiles, a message from one to another), or a migration
 * the owner reported to the relay, which its own tile's re-execution must produce.
 */
interface Obligation {
  readonly owner: PeerId;
  /** The tile whose record (or report) relies on it. */
  readonly claimant: TileId;
  readonly tick: number;
  readonly item: string;
  readonly what: string;
  /** Tiles and ticks whose re-execution may produce it; removed as audits show they did not. */
  readonly candidates: Map<string, number[]>;
  readonly deadline: number;
  /**
   * A reported migration: a late input may rewind the tile so that its committed history keeps
   * the entity; the owner's record then removes it (vouched by the migration), which settles this.
   */
  readonly migrant?: EntityId;
  /** Every candidate was re-executed without producing it: judged once the claimant's record is in far enough to show a retraction. */
  exhausted?: boolean;
}

/** How far past a reported migration the owner's record may retract it (a rewind's removal), ticks. */
const RETRACTION_TICKS = 45;

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

/** How long an ended lease is remembered for records that arrive late, ms, and at most how many. */
const RETIRED_KEEP_MS = 15_000;
const MAX_RETIRED = 512;

/**
 * The relay's audit desk (DESIGN flow 6): keeps every owner's commitments and input log per
 * tile, samples windows (always those that change critical state, and whenever the verified
 * state grows old), asks the owner for the window's start state, checks the logged inputs
 * against the players' own copies, has the auditor re-execute, and reports findings.
 */
export class AuditDesk {
  /** Running totals since the relay started (rendered by `RelayMetrics`, sent to players as `AuditStats`). */
  readonly counters: AuditCounters = { windowsSeen: 0, audits: 0, passed: 0, mismatches: 0, auditedTicks: 0, cpuMs: 0, requests: 0, unanswered: 0, tooLateToAsk: 0, forcedByCritical: 0, forcedByAge: 0, forcedByEvidence: 0, logBytes: 0, evidenceRouted: 0, evidenceProduced: 0, evidenceUnverifiable: 0, repeatsAcrossHandoff: 0, repeatsOutOfOrder: 0, inputsLostWithPlayer: 0 };
  private readonly ledgers = new Map<string, TileLedger>();
  /** Leases that ended lately, with the tick each ended at (see `siblings`). */
  private readonly retired: { ledger: TileLedger; endTick: number; at: number }[] = [];
  private readonly pending: PendingAudit[] = [];
  /** Inputs an owner logged that the relay has not (yet) received from their player. */
  private unconfirmed: { key: string; owner: PeerId; epoch: number; tick: number; input: EntityInput }[] = [];
  private obligations: Obligation[] = [];
  /** Removals no routed item vouched for yet: another tile of the owner may still log the entity's arrival. */
  private unvouchedRemovals: { key: string; owner: PeerId; epoch: number; tick: number; id: EntityId }[] = [];
  private readonly rng: SeededRng;

  constructor(
    private readonly host: AuditDeskHost,
    private readonly auditor: Auditor,
    private readonly inputs: InputLedger,
    private readonly evidence: RoutedEvidence,
    /** Sampling probabilities, timeouts (ms) and windows (ticks) the desk works with. */
    readonly settings: AuditConfig = DEFAULT_AUDIT_CONFIG,
    seed: number,
  ) {
    this.rng = new SeededRng(seed >>> 0);
  }

  /** How much the desk holds, by collection (the fault simulator checks it stays bounded). */
  retained(): Record<string, number> {
    let commits = 0;
    let records = 0;
    let produced = 0;
    let present = 0;
    let expected = 0;
    for (const l of this.ledgers.values()) {
      commits += l.commits.size;
      records += l.records.size;
      produced += l.produced.size;
      present += l.presentSince.size;
      expected += l.expected.length;
    }
    return { ledgers: this.ledgers.size, retiredLedgers: this.retired.length, commits, records, produced, presentSince: present, expected, pendingAudits: this.pending.length, unconfirmed: this.unconfirmed.length, obligations: this.obligations.length, unvouchedRemovals: this.unvouchedRemovals.length };
  }

  /** A lease starts: `snapshot` (state at `fromTick`) is what the relay handed over, its verified start. */
  onLease(tile: TileId, owner: PeerId, epoch: number, fromTick: number, snapshot: Uint8Array): void {
    const key = tileKey(tile);
    const prev = this.ledgers.get(key);
    if (prev && (prev.owner !== owner || prev.epoch !== epoch)) this.retire(prev, fromTick);
    const verified = prev && prev.verified.tick > fromTick ? prev.verified : { tick: fromTick, snapshot };
    this.ledgers.set(key, { tile, owner, epoch, leaseFrom: fromTick, commits: new Map(), records: new Map(), lastTick: -1, verified, forced: new Set(), produced: new Map(), sighting: undefined, presentSince: new Map(), expected: [] });
    for (let i = this.pending.length - 1; i >= 0; i--) if (this.pending[i]!.key === key) this.pending.splice(i, 1);
  }

  /** The relay itself owns the tile now (nothing to audit): keeps only the verified state. */
  onRelayOwned(tile: TileId): void {
    const key = tileKey(tile);
    const prev = this.ledgers.get(key);
    if (prev) this.retire(prev, Math.max(prev.leaseFrom, prev.lastTick));
    this.ledgers.delete(key);
    for (let i = this.pending.length - 1; i >= 0; i--) if (this.pending[i]!.key === key) this.pending.splice(i, 1);
  }

  /** Audits waiting for a state, for inputs, or for the auditor. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** The last verified state of a tile, if the desk has one. */
  verifiedState(tile: TileId): {
    /** The tick the state is at. */
    tick: number;
    /** The encoded tile snapshot (`encodeTileSnapshot`). */
    snapshot: Uint8Array;
  } | undefined {
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
    for (const x of l.expected) if (x.tick > Math.max(tick, l.lastTick) && !came.has(x.entity.id)) came.set(x.entity.id, x.entity);
    return [...came.values()];
  }

  /**
   * A tile handed over by its owner sent `entity` into this tile (held by the same owner) at
   * `tick`, before this tile's records show it: the checkpoint cut counts it here until they do.
   */
  expectArrival(tile: TileId, entity: EntityDesc, tick: number): void {
    const l = this.ledgers.get(tileKey(tile));
    if (!l) return;
    l.expected = [...l.expected.filter((x) => x.tick > l.lastTick), { entity, tick }];
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
    // Every record item must match what the relay can vouch for (checked for every tick, audited or not).
    for (let i = 0; i < records.length; i++) {
      const finding = this.checkRecord(l, firstTick + i, records[i]!);
      if (finding) {
        this.host.found(finding);
        return undefined;
      }
    }
    // Every window that just became complete is considered once: those ending after the last tick
    // committed before (or, the lease's first batch, at its first tick or later: earlier ones started
    // before the lease). Starting one tick later skipped the window ending where a batch began, and an
    // owner that cut its batches on window boundaries was never audited (`state-nudged-aligned-batches`).
    const firstEnd = Math.ceil((Math.max(prevLast, firstTick - 1) + 1) / AUDIT_WINDOW_TICKS) * AUDIT_WINDOW_TICKS;
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
    const forced = l.forced.delete(from);
    if (!critical && !old && !sampled && !forced) return;
    if (critical) this.counters.forcedByCritical++;
    else if (old && !sampled) this.counters.forcedByAge++;
    else if (forced && !sampled) this.counters.forcedByEvidence++;
    if (this.pending.some((x) => x.key === tileKey(l.tile) && x.from === from)) return;
    // An honest owner keeps a window's start state for AUDIT_RETAIN_TICKS of its own ticks, which
    // run with the relay's clock: a request it could no longer answer would convict it for nothing.
    if (this.host.currentTick() - from > AUDIT_RETAIN_TICKS - ASK_MARGIN_TICKS) {
      this.counters.tooLateToAsk++;
      return;
    }
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

  /** Times out unanswered requests, retries windows waiting for inputs, judges inputs that never came and record items nothing vouched for. */
  tick(): void {
    const now = this.host.now();
    if (this.unconfirmed.length > 0) {
      const still: typeof this.unconfirmed = [];
      for (const u of this.unconfirmed) {
        const l = this.ledgers.get(u.key);
        if (!l || l.owner !== u.owner || l.epoch !== u.epoch) continue;
        const check = this.inputs.check(u.input);
        if (check === 'unknown' && this.mayStillArrive(u.input, u.tick)) {
          still.push(u);
          continue;
        }
        if (check === 'unknown' && this.lostWithItsPlayer(u.input, u.tick)) continue;
        const finding = check === 'unknown' ? this.inputFinding(l, 'invented-input', u.tick + 1, u.input, 'was never sent by its player') : this.applyInput(l, u.tick + 1, u.input);
        if (finding) {
          this.unconfirmed = [];
          this.host.found(finding);
          return;
        }
      }
      this.unconfirmed = still;
    }
    if (this.unvouchedRemovals.length > 0) {
      const still: typeof this.unvouchedRemovals = [];
      for (const u of this.unvouchedRemovals) {
        const l = this.ledgers.get(u.key);
        if (!l || l.owner !== u.owner || l.epoch !== u.epoch) continue;
        if (this.routed(l, this.siblings(l), (k) => this.evidence.takeRemoval(k, u.id)) || this.arrivedInSibling(l, u.id, u.tick)) {
          this.counters.evidenceRouted++;
          continue;
        }
        if (this.host.currentTick() - u.tick < this.settings.inputGraceTicks) {
          still.push(u);
          continue;
        }
        this.unvouchedRemovals = [];
        this.host.found({ reason: 'invented-removal', owner: u.owner, tile: l.tile, fromTick: u.tick - 1, toTick: u.tick, detail: `removal of entity ${u.id} in the record of tick ${u.tick}: the relay ordered no such removal, the owner reported no migration of it, and no other tile of the owner took it in` });
        return;
      }
      this.unvouchedRemovals = still;
    }
    if (this.obligations.length > 0) {
      for (const o of this.obligations) if (o.exhausted && this.judgeExhausted(o)) return;
      const live: Obligation[] = [];
      for (const o of this.obligations) {
        if (now <= o.deadline) live.push(o);
        else this.counters.evidenceUnverifiable++;
      }
      this.obligations = live;
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

  /**
   * The evidence rule for one record (the step that ended at `tick`): every input is a player's
   * own, applied once, not before its stamp and not later than the grace; every arrival, removal
   * and message was routed by the relay — or, when a tile of the same owner could have produced
   * it, becomes an obligation that tile's re-execution must meet (its window is audited).
   */
  private checkRecord(l: TileLedger, tick: number, record: TickRecord): Finding | undefined {
    const key = tileKey(l.tile);
    for (const input of record.inputs) {
      if (this.inputs.check(input) === 'unknown') {
        this.unconfirmed.push({ key, owner: l.owner, epoch: l.epoch, tick: tick - 1, input });
        continue;
      }
      const finding = this.applyInput(l, tick, input);
      if (finding) return finding;
    }
    // Only a record with arrivals, removals or mail needs the owner's other tiles (most records have
    // none): found at the first use, from the same ledgers (nothing here changes them).
    let found: TileLedger[] | undefined;
    const sibs = (): TileLedger[] => (found ??= this.siblings(l, tick));
    for (const batch of [...record.inbound, ...record.after]) {
      for (const id of batch.removals) {
        if (this.routed(l, sibs(), (k) => this.evidence.takeRemoval(k, id))) {
          this.counters.evidenceRouted++;
          this.obligations = this.obligations.filter((o) => !(o.migrant === id && tileKey(o.claimant) === key));
        } else this.unvouchedRemovals.push({ key, owner: l.owner, epoch: l.epoch, tick, id });
      }
      for (const e of batch.immigrants) {
        if (this.routed(l, sibs(), (k) => this.evidence.takeArrival(k, e))) {
          this.counters.evidenceRouted++;
          continue;
        }
        // Migrants between two tiles of one owner never pass the relay: the tile they left must have produced them.
        const from = sibs().filter((s) => neighbours(l.tile).some((n) => tileKey(n) === tileKey(s.tile)));
        if (from.length === 0) {
          return { reason: 'invented-arrival', owner: l.owner, tile: l.tile, fromTick: tick - 1, toTick: tick, detail: `arrival of entity ${e.id} (${e.kind}) in the record of tick ${tick}: the relay routed no such arrival and no neighbouring tile of the owner could have sent it` };
        }
        this.oblige(l, tick, entityEvidenceKey(e), `arrival of entity ${e.id} (${e.kind})`, from, [tick - 1, tick]);
      }
    }
    for (const m of record.messages) {
      if (this.routed(l, sibs(), (k) => this.evidence.takeMail(k, m))) {
        this.counters.evidenceRouted++;
        continue;
      }
      if (sibs().length === 0) {
        return { reason: 'invented-message', owner: l.owner, tile: l.tile, fromTick: tick - 1, toTick: tick, detail: `message '${m.topic}' from entity ${m.from} to ${m.to} in the record of tick ${tick}: the relay forwarded no such message and the owner holds no other tile that could have sent it` };
      }
      this.oblige(l, tick, messageEvidenceKey(m), `message '${m.topic}' from entity ${m.from} to ${m.to}`, sibs(), [tick - 2, tick - 1, tick]);
    }
    return undefined;
  }

  /** Marks a logged input applied by this record; a finding when it was altered, applied before, too early or too late. */
  private applyInput(l: TileLedger, tick: number, input: EntityInput): Finding | undefined {
    const stamp = this.inputs.stampOf(input);
    const lease = `${l.owner}@${l.epoch}`;
    const r = this.inputs.apply(input, tileKey(l.tile), tick, lease);
    if (r === 'different') return this.inputFinding(l, 'altered-input', tick, input, 'differs from what its player sent');
    if (r === 'repeated') {
      const at = this.inputs.appliedAt(input.entity, input.seq);
      // An input from before this lease began, applied by the previous holder too: the new owner
      // cannot know what the old one applied before the handoff (tolerated, counted).
      if (at && at.lease !== lease && stamp && stamp.tick < l.leaseFrom) {
        this.counters.repeatsAcrossHandoff++;
        return undefined;
      }
      // This owner applied it first on the timeline; the other application came later (the relay
      // applying a copy that reached it late, after a partition, to a tile it had resumed): this
      // record is checked after that one only because it waited for the player's copy. Not this
      // owner's repeat (counted).
      if (at && at.lease !== lease && at.tick > tick) {
        this.counters.repeatsOutOfOrder++;
        return undefined;
      }
      return this.inputFinding(l, 'repeated-input', tick, input, `was applied before (tile ${at?.tile}, tick ${at?.tick}, lease ${at?.lease})`);
    }
    if (r === 'unknown' || !stamp) return undefined;
    // Applied in the step from `tick - 1`: not before the player acted, nor long after the input could have reached the owner.
    if (tick - 1 < stamp.tick) return this.inputFinding(l, 'mistimed-input', tick, input, `was stamped for tick ${stamp.tick}: applied before the player acted`);
    const due = Math.max(stamp.tick, stamp.receivedTick) + this.settings.applyGraceTicks;
    if (tick - 1 > due) return this.inputFinding(l, 'mistimed-input', tick, input, `was stamped for tick ${stamp.tick} and reached the relay at ${stamp.receivedTick}: applied more than ${this.settings.applyGraceTicks} ticks late`);
    return undefined;
  }

  /**
   * An input the relay never got, of a player whose connection to the relay dropped within a
   * second of it: its copy to the relay may have died with the connection while the one to the
   * owner got through. Not judged (counted): the player is gone, its avatar with it.
   */
  /**
   * True while the relay's copy of an input applied at `tick` may still be on its way: within the
   * grace, or while the relay has not heard from its player for a grace after that tick (its link
   * to the relay cut, or slower than its direct path to the owner: its messages arrive in order,
   * so once a later one is in, a missing input was never sent).
   */
  private mayStillArrive(input: EntityInput, tick: number): boolean {
    const grace = this.settings.inputGraceTicks;
    if (this.host.currentTick() - tick < grace) return true;
    const heard = this.host.lastHeardFrom?.(input.entity);
    return heard !== undefined && heard < tick + grace;
  }

  private lostWithItsPlayer(input: EntityInput, tick: number): boolean {
    const left = this.host.playerLeftAt?.(input.entity);
    if (left === undefined || tick < left - this.settings.inputGraceTicks) return false;
    this.counters.inputsLostWithPlayer++;
    return true;
  }

  private inputFinding(l: TileLedger, reason: IncidentReason, tick: number, input: EntityInput, what: string): Finding {
    return { reason, owner: l.owner, tile: l.tile, fromTick: tick - 1, toTick: tick, detail: `input ${input.entity}#${input.seq} applied in the step to tick ${tick} ${what}` };
  }

  /**
   * True when the relay routed this item to the tile, or to another tile of the same owner: an
   * owner places what it is sent by position, so an arrival moved along its velocity (or a
   * removal, or mail) may land in the neighbouring tile it also holds.
   */
  private routed(l: TileLedger, siblings: readonly TileLedger[], take: (tileKey: string) => boolean): boolean {
    if (take(tileKey(l.tile))) return true;
    return siblings.some((s) => take(tileKey(s.tile)));
  }

  /** The other tiles the same owner holds under its current leases. */
  /**
   * The other tiles `l`'s owner holds — and, for a record of `tick`, those it held then: an
   * owner's records reach the relay after its other tiles may have been handed on (a tile
   * released late, a record sent late), and an entity that crossed between two of its tiles
   * before that was honest.
   */
  private siblings(l: TileLedger, tick?: number): TileLedger[] {
    const out: TileLedger[] = [];
    for (const x of this.ledgers.values()) if (x !== l && x.owner === l.owner) out.push(x);
    if (tick !== undefined) {
      for (const r of this.retired) {
        const x = r.ledger;
        if (x.owner === l.owner && tileKey(x.tile) !== tileKey(l.tile) && x.leaseFrom < tick && tick - 1 <= r.endTick && !out.some((o) => tileKey(o.tile) === tileKey(x.tile))) out.push(x);
      }
    }
    return out.sort((a, b) => (tileKey(a.tile) < tileKey(b.tile) ? -1 : 1));
  }

  /** Keeps who held a tile until `endTick` (without its evidence) for a while after its lease ended. */
  private retire(l: TileLedger, endTick: number): void {
    const now = this.host.now();
    const ledger: TileLedger = { ...l, commits: new Map(), records: new Map(), produced: new Map(), presentSince: new Map(), expected: [], forced: new Set() };
    this.retired.push({ ledger, endTick, at: now });
    while (this.retired.length > 0 && (this.retired.length > MAX_RETIRED || this.retired[0]!.at < now - RETIRED_KEEP_MS)) this.retired.shift();
  }

  /** True when another tile of the same owner logged `id` arriving within a second of `tick` (it moved there). */
  private arrivedInSibling(l: TileLedger, id: EntityId, tick: number): boolean {
    for (const s of this.siblings(l)) {
      for (let t = tick - 60; t <= tick + 60; t++) {
        const r = s.records.get(t);
        if (r && [...r.inbound, ...r.after].some((b) => b.immigrants.some((e) => e.id === id))) return true;
      }
    }
    return false;
  }

  /** Registers an item only a re-execution of one of `from` (at one of `ticks`) can vouch for, and has those windows audited. */
  private oblige(l: TileLedger, tick: number, item: string, what: string, from: readonly TileLedger[], ticks: readonly number[], migrant?: EntityId): void {
    const o: Obligation = { owner: l.owner, claimant: l.tile, tick, item, what, candidates: new Map(from.map((s) => [tileKey(s.tile), [...ticks]])), deadline: this.host.now() + this.settings.obligationTimeoutMs, ...(migrant !== undefined ? { migrant } : {}) };
    this.obligations.push(o);
    for (const s of from) {
      for (const t of ticks) if (this.consume(s, t, o)) return;
    }
    for (const s of from) for (const t of ticks) this.forceWindow(s, t);
  }

  /**
   * The owner reported an entity migrating out of `tile` at `tick` (the relay placed it in the
   * tile it names): the tile's own re-execution must produce that emigrant, so its window is audited.
   */
  onMigrateOut(tile: TileId, owner: PeerId, epoch: number, tick: number, entity: EntityDesc): void {
    const l = this.ledgers.get(tileKey(tile));
    if (!l || l.owner !== owner || l.epoch !== epoch) return;
    this.oblige(l, tick, entityEvidenceKey(entity), `migration of entity ${entity.id} (${entity.kind}) reported to the relay`, [l], [tick], entity.id);
  }

  /** Audits the window of `l` holding the step that ended at `tick`, now if its commitments are in, else when they are. */
  private forceWindow(l: TileLedger, tick: number): void {
    // A lease that ended cannot be asked for its states any more (its evidence went with it).
    if (this.ledgers.get(tileKey(l.tile)) !== l) return;
    const from = Math.ceil(tick / AUDIT_WINDOW_TICKS) * AUDIT_WINDOW_TICKS - AUDIT_WINDOW_TICKS;
    if (l.produced.has(from + 1) || this.pending.some((x) => x.key === tileKey(l.tile) && x.from === from)) return;
    if (l.lastTick >= from + AUDIT_WINDOW_TICKS) {
      if (!l.commits.has(from)) return; // the lease started inside it: nothing to audit from
      this.counters.forcedByEvidence++;
      this.pending.push({ key: tileKey(l.tile), owner: l.owner, epoch: l.epoch, from, to: from + AUDIT_WINDOW_TICKS, deadline: this.host.now() + this.settings.answerTimeoutMs, state: undefined, submitted: false });
      this.counters.requests++;
      this.host.requestState(l.owner, l.tile, l.epoch, from);
    } else l.forced.add(from);
  }

  /** Takes `item` from what `s` produced at `t` for obligation `o`; true when it was there. */
  private consume(s: TileLedger, t: number, o: Obligation): boolean {
    const items = s.produced.get(t);
    if (!items) return false;
    const i = items.indexOf(o.item);
    if (i < 0) return false;
    items.splice(i, 1);
    this.counters.evidenceProduced++;
    this.obligations = this.obligations.filter((x) => x !== o);
    return true;
  }

  /** A window of `s` was re-executed: obligations it can meet are met; those it was the last hope of are findings. */
  private settleObligations(s: TileLedger, from: number, to: number): void {
    const key = tileKey(s.tile);
    for (const o of [...this.obligations]) {
      const ticks = o.candidates.get(key);
      if (!ticks || o.owner !== s.owner) continue;
      if (ticks.some((t) => t > from && t <= to && this.consume(s, t, o))) continue;
      const left = ticks.filter((t) => !(t > from && t <= to));
      if (left.length > 0) o.candidates.set(key, left);
      else o.candidates.delete(key);
      if (o.candidates.size > 0) continue;
      o.exhausted = true;
      if (this.judgeExhausted(o)) return;
    }
  }

  /** An obligation no candidate met: a finding, unless a retraction may still show in the claimant's record. True when judged. */
  private judgeExhausted(o: Obligation): boolean {
    const claimant = this.ledgers.get(tileKey(o.claimant));
    if (o.migrant !== undefined && claimant && claimant.owner === o.owner && claimant.lastTick < o.tick + RETRACTION_TICKS) return false;
    this.obligations = this.obligations.filter((x) => x !== o);
    this.host.found({ reason: 'forged-record', owner: o.owner, tile: o.claimant, fromTick: o.tick - 1, toTick: o.tick, detail: `${o.what} at tick ${o.tick}: the re-executed tile it must have come from did not produce it` });
    return true;
  }

  /**
   * A committed state of a tile (a keyframe that hashed to its commitment) showed these
   * entities at `tick`. An entity seen in the tile at every committed state since some tick,
   * without leaving and coming back (no arrival of it in the records between), had every input
   * its player sent since then applied by this tile: one stamped after that, not applied within
   * the grace of when it was stamped or reached the relay, was dropped.
   */
  onCommittedState(tile: TileId, owner: PeerId, epoch: number, tick: number, ids: ReadonlySet<EntityId>): void {
    const l = this.ledgers.get(tileKey(tile));
    if (!l || l.owner !== owner || l.epoch !== epoch) return;
    const prev = l.sighting;
    if (prev && prev.tick >= tick) return;
    l.sighting = { tick, ids };
    const cameBack = new Set<EntityId>();
    let covered = prev !== undefined;
    for (let t = (prev?.tick ?? tick) + 1; covered && t <= tick; t++) {
      const r = l.records.get(t);
      if (!r) covered = false;
      else for (const b of [...r.inbound, ...r.after]) for (const e of b.immigrants) cameBack.add(e.id);
    }
    for (const id of [...l.presentSince.keys()]) if (!ids.has(id)) l.presentSince.delete(id);
    for (const id of [...ids].sort((a, b) => a - b)) {
      const since = l.presentSince.get(id);
      if (since === undefined || !covered || cameBack.has(id)) {
        l.presentSince.set(id, tick);
        continue;
      }
      for (const u of this.inputs.unapplied(id)) {
        if (u.tick < since || Math.max(u.tick, u.receivedTick) + this.settings.applyGraceTicks > tick) continue;
        this.host.found(this.inputFinding(l, 'dropped-input', tick, u.input, `was never applied: stamped for tick ${u.tick}, at the relay by ${u.receivedTick}, and its entity stayed in the tile from tick ${since} to ${tick}`));
        return;
      }
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
          if (this.mayStillArrive(input, p.from + i)) return; // may still be on its way
          if (this.lostWithItsPlayer(input, p.from + i)) continue;
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
        if (now && now.owner === p.owner && now.epoch === p.epoch && o.produced) {
          o.produced.forEach((items, i) => now.produced.set(p.from + i + 1, [...items]));
          for (const t of now.produced.keys()) if (t < now.lastTick - this.settings.historyTicks) now.produced.delete(t);
          this.settleObligations(now, p.from, p.to);
        }
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
  resume(tile: TileId, newer: { tick: number; snapshot: Uint8Array } | undefined): {
    /** The tick the resumed state stands at (the last replayed record's). */
    tick: number;
    /** The resumed state, encoded (`encodeTileSnapshot`). */
    snapshot: Uint8Array;
    /** Entities that left the tile during the replay, to be placed in their new tiles. */
    emigrants: EntityDesc[];
    /** Number of logged ticks replayed on top of the base state. */
    replayed: number;
    /** Tick of the base state the replay started from. */
    fromTick: number;
  } | undefined {
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
