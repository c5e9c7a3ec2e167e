import type { BehaviourRegistry, EntityInput, EntityMessage } from '../core/behaviour.js';
import type { EntityDesc, EntityId, PropValue } from '../core/entity.js';
import { entitiesDigest } from '../core/entity-digest.js';
import { compareTiles, neighbours, tileKey, tileOf, type TileId } from '../core/tile.js';
import type { GhostState } from '../sim/ghost.js';
import type { WorldConfig } from '../core/world-config.js';
import { mulQuat, rotateVec, turnQuat } from '../core/vec.js';
import { AUDIT_RETAIN_TICKS, AUDIT_WINDOW_TICKS, MsgType, type EntityPose, type Message, type PeerId, type PropsUpdate } from '../protocol/messages.js';
import { commitOf, replayRecord } from '../sim/replay.js';
import { EMPTY_RECORD, type TickRecord } from '../sim/tick-record.js';
import { TileSimulation, type TileContinuity } from '../sim/tile-simulation.js';
import { TileWorld } from '../sim/tile-world.js';

/** How an owner replicates its tiles. */
export interface ReplicationConfig {
  /** Deltas are sent every this many ticks (3 → 20 Hz at 60 Hz). */
  readonly sendEveryTicks: number;
  /** A keyframe (the exact tile snapshot, after its commitment) goes to the relay every this many ticks. */
  readonly keyframeEveryTicks: number;
  /**
   * Subscribers get the tile's full state (every entity) every this many ticks: a safety cadence
   * (default 600: 10 s). Besides, a subscriber gets one when it subscribes, when it asks (a gap in
   * the deltas' sequence: an empty delta goes out each second where nothing else does, so a
   * gap shows even in a still tile), and all get one when something changed that deltas do not
   * carry (a body placed or removed from outside: a spawn, a layout edit). It was 60 (1 s)
   * while sparser failed "replicas converge" in the fault simulator (10 of 1,000 worlds at 2 s):
   * those were deltas refused on arrival — a pose id written as a zigzag difference overflowed
   * 2^53 between an avatar and a spawned body (protocol 5 fixed the codec) — so only full states
   * repaired such a tile.
   */
  readonly fullStateEveryTicks?: number;
}

/** Deltas at 20 Hz, a keyframe to the relay once a second, a full state to subscribers where needed and every 10 s (at 60 ticks/s): what clients and the relay use unless told otherwise. */
export const DEFAULT_REPLICATION: ReplicationConfig = { sendEveryTicks: 3, keyframeEveryTicks: 60, fullStateEveryTicks: 600 };

/**
 * A subscriber asking for full states faster than this (ticks; 250 ms at 60 Hz) gets the next
 * one when that time has passed, one for all its requests meanwhile: a peer cannot make an
 * owner send full states (≈ 270 bytes per entity) at its own rate.
 */
const FULL_STATE_REQUEST_GAP_TICKS = 15;

/** Where an owner's outbound items go. The node (client or relay) decides the path. */
export interface AuthorityOutput {
  /** Sends to one peer (or the relay, `RELAY_PEER`). */
  send(to: PeerId, message: Message, reliable: boolean): void;
  /** Who owns a tile not held here, if anyone is known to. */
  ownerOf(tile: TileId):
    | {
        /** The tile's owner (`RELAY_PEER` for the relay). */
        owner: PeerId;
        /** The epoch of its lease. */
        epoch: number;
      }
    | undefined;
  /** Which tile holds an entity not held here, as far as this node knows. */
  tileOfEntity(id: EntityId): TileId | undefined;
  /** Reports an item that could not be routed, with the reason (logged and counted by the node). */
  dropped(reason: string): void;
  /** An entity left for a tile owned elsewhere (so the node can keep showing it until the new owner reports it). */
  migrated?(entity: EntityDesc, to: TileId, tick: number): void;
  /** Entities of held tiles removed by the step that ended at `tick` (despawned, fell out of the world). */
  removed?(ids: readonly EntityId[], tick: number): void;
  /**
   * Read-only copies of the bodies of tile `from` (owned elsewhere) within reach of held tile
   * `to`, as this node last heard of them, at `tick`: so bodies collide across owner borders.
   * Undefined when this node knows nothing of `from`.
   */
  ghostsFrom?(from: TileId, to: TileId, tick: number): GhostState[] | undefined;
}

interface SentState {
  readonly tick: number;
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly vx: number;
  readonly vy: number;
  readonly vz: number;
  /** Angular velocity, rad/s (a spin that changes must be sent: replicas predict with it). */
  readonly wx: number;
  readonly wy: number;
  readonly wz: number;
  /** Rotation, rounded (a change of orientation must be sent). */
  readonly rot: string;
  /** Deltas still to carry this entity again although it did not change (see `CHANGE_REPEATS`). */
  readonly repeats: number;
}

const f = Math.fround;
function float32Ghost(g: GhostState): GhostState {
  const { position: p, rotation: q, linvel: v, angvel: a } = g.state;
  return { ...g, state: { position: { x: f(p.x), y: f(p.y), z: f(p.z) }, rotation: { x: f(q.x), y: f(q.y), z: f(q.z), w: f(q.w) }, linvel: { x: f(v.x), y: f(v.y), z: f(v.z) }, angvel: { x: f(a.x), y: f(a.y), z: f(a.z) } } };
}

/** A tile's fixed offset (0..1023) for spreading periodic work. */
function tilePhase(t: TileId): number {
  return ((Math.imul(t.x, 73856093) ^ Math.imul(t.y, 19349663) ^ Math.imul(t.z, 83492791)) >>> 0) % 1024;
}

/** Arrival ticks remembered (`noteArrival`). */
const MAX_ARRIVALS_KEPT = 4096;

/** Most inputs waiting for their tick. */
const MAX_QUEUED_INPUTS = 4096;
/**
 * How long an input for an entity not held here waits for it, ticks past its stamp. At a tile
 * border the player's input reaches the tile's next holder before the entity does (a migrant on
 * its way, a handoff state not yet in); dropped, a stop input was lost and the avatar walked on
 * until the relay's copy came back 45 ticks later, or for good. Shorter than that fallback, so a
 * copy the relay sends on to another holder meanwhile is not applied here too.
 */
const INPUT_WAIT_TICKS = 30;

/** Dead reckoning: an entity is re-sent when the subscriber's extrapolation would be this far off (metres). */
const RESEND_ERROR_M = 0.01;
/** …or its velocity changed by this much (m/s). */
const RESEND_VELOCITY = 0.05;
/**
 * A peer's deltas travel on an unreliable channel. A player's start, stop or turn that is lost
 * leaves subscribers extrapolating the old velocity, and nothing else would be sent until the
 * once-a-second refresh (measured in headless Chromium: a viewer 1–7 m behind a walking
 * avatar, then a snap). So what a player's input changed (props and motion) rides the next
 * this-many deltas too: one loss is repaired a send later (50 ms), all copies are lost with
 * p³. What nobody steered (collisions, a behaviour's seeded turns) is sent once: a speculative
 * replica predicts it, and repeating everything cost 37 % more bytes in the bench (467 → 641 B/s).
 */
const CHANGE_REPEATS = 2;

interface HeldTile {
  readonly tile: TileId;
  epoch: number;
  subscribers: PeerId[];
  seq: number;
  /** Last state sent per entity: subscribers extrapolate it, so only a departure from that needs sending. */
  lastSent: Map<EntityId, SentState>;
  lastFullTick: number;
  /** The tick of the last delta sent (an empty one goes out when a second passed without one). */
  lastDeltaTick: number;
  /** Per subscriber, the tick of the last full state sent to it. */
  fullSentAt: Map<PeerId, number>;
  /** Subscribers whose request for a full state waits for `FULL_STATE_REQUEST_GAP_TICKS` to pass. */
  fullRequested?: Set<PeerId>;
  /** An entity was placed from outside (a spawn, an edit): subscribers get the full state at the next step. */
  fullStateDue?: boolean;
  /** Prop changes still to repeat in the next deltas (`CHANGE_REPEATS`), per entity. */
  propRepeats?: Map<EntityId, { props: Record<string, PropValue>; left: number }>;
  /** Entities given a player's input since the last delta: their changes are repeated. */
  steered?: Set<EntityId>;
  /** Entities despawned since the last delta (gone for good, unlike those that moved to another tile). */
  despawned: Set<EntityId>;
  /** Commitments (state hash + critical digest) of the ticks not yet sent to the relay, from `commitFrom` on, with their records. */
  commits: [number, number, number][];
  records: TickRecord[];
  commitFrom: number;
  /** Exact states at audit window starts, the last few seconds: what the relay asks for when it audits a window. */
  auditStates: { tick: number; snapshot: Uint8Array }[];
  /** The records of the last ticks, by the tick they end at (what a rewind replays). */
  recent: Map<number, TickRecord>;
  /** Entities that left for other tiles in the last ticks (through the relay, or into another tile held here), by tick: a rewind does not replay across a departure. */
  sentAway: Map<number, EntityId[]>;
  /** The first tick whose commitment was not sent yet (commitments within the rewind depth wait: they may still change). */
  firstTick: number;
  /** The tick of the state the lease started from (nothing rewinds past it). */
  adoptedAt: number;
}

/** A player's input waiting in an owner's queue for the step it belongs to. */
export interface QueuedInput {
  /** The tick whose step applies it. */
  readonly tick: number;
  /** The input. */
  readonly input: EntityInput;
}

/** A migrant stamped with a tick this node's simulation has not reached yet: it waits for that tick. */
export interface EarlyMigrant {
  /** The tick its state is from (its sender's step that sent it). */
  readonly fromTick: number;
  /** The entity, as its sender last had it. */
  readonly entity: EntityDesc;
}

/** Most ticks of transit a migrant is moved along its velocity when it is inserted. */
export const MAX_TRANSIT_TICKS = 30;

/**
 * A migrant moved along its velocity for the `gap` ticks it spent in transit (the entity itself
 * when `gap` ≤ 0); a turning kinematic body turns on as it did. Pure: the relay's audit recomputes it to match an owner's logged arrival with
 * the migration the relay routed.
 */
export function migrantAfterTransit(entity: EntityDesc, gap: number, tickRate: number): EntityDesc {
  if (gap <= 0) return entity;
  const w = entity.state.angvel;
  if (entity.body.type === 'kinematic' && (w.x !== 0 || w.y !== 0 || w.z !== 0)) {
    // A turning platform (the train on its curve) goes on turning: each tick it moves by its
    // velocity, and its velocity and orientation turn by its angular velocity (exact for a
    // steady turn), so that it does not leave its track, nor its riders their spots.
    const dt = 1 / tickRate;
    const r = turnQuat(w, dt);
    let p = entity.state.position;
    let v = entity.state.linvel;
    let q = entity.state.rotation;
    for (let i = 0; i < gap; i++) {
      p = { x: p.x + v.x * dt, y: p.y + v.y * dt, z: p.z + v.z * dt };
      v = rotateVec(r, v);
      q = mulQuat(r, q);
    }
    const n = Math.sqrt(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w);
    return { ...entity, state: { ...entity.state, position: p, linvel: v, rotation: { x: q.x / n, y: q.y / n, z: q.z / n, w: q.w / n } } };
  }
  const t = gap / tickRate;
  const { position: p, linvel: v } = entity.state;
  return { ...entity, state: { ...entity.state, position: { x: p.x + v.x * t, y: p.y + v.y * t, z: p.z + v.z * t } } };
}

/** Owners send their commits (one state hash per tick) to the relay in batches of this many ticks. */
export const COMMIT_BATCH_TICKS = 10;
/** Default rewind depth for late inputs at an owner, ticks (250 ms at 60 Hz). */
export const DEFAULT_REWIND_TICKS = 15;
/** Records kept per held tile for rewinds, ticks. */
const RECENT_TICKS = 40;

/**
 * The owner's side of Tessera, shared by browsers and the relay: the tiles this node holds
 * leases for (one partial `TileWorld`), stepped on the shared timeline, their inputs, their
 * migrations and messages to other owners, and their replication to subscribers.
 */
export class TileAuthority {
  /** The held tiles, as one partial world stepped on the shared timeline. */
  readonly world: TileWorld;
  private readonly held = new Map<string, HeldTile>();
  private inputs: { tick: number; input: EntityInput; waited?: boolean }[] = [];
  /** Since which tick this node holds each entity that arrived here (`noteArrival`), oldest first. */
  private readonly arrivedAt = new Map<EntityId, number>();
  /** Migrants stamped with a tick this node has not reached yet: they join at that tick, in arrival order. */
  private early: { fromTick: number; entity: EntityDesc; tile: TileId }[] = [];
  /** Counters for stats and metrics. */
  readonly counters = {
    /** Ticks stepped. */
    ticks: 0,
    /** `StateDelta` messages built (each goes to every subscriber of its tile). */
    deltasSent: 0,
    /** Full-state sends: `TileState` to subscribers, with the relay's keyframe when one was due. */
    keyframesSent: 0,
    /** Periodic `Keyframe`s sent to the relay (not counting audit answers). */
    relayKeyframesSent: 0,
    /** Bytes sent, bytes: not counted by the authority (stays 0; nodes count what they send). */
    bytesOut: 0,
    /** Migrants handed on to other tiles' owners (or the relay). */
    migrationsOut: 0,
    /** Inputs applied by steps. */
    inputsApplied: 0,
    /** Inputs applied after waiting for their entity to arrive (a migrant, a tile being handed over). */
    inputsAwaited: 0,
    /** Inputs dropped: their entity was not held here within `INPUT_WAIT_TICKS` of their stamp, or arrived here after it (its former holder's to apply). */
    inputsDropped: 0,
    /** Tick commitments sent to the relay (one per tick, in `Commits` batches). */
    commitsSent: 0,
    /** Audit-window start states sent in answer to the relay's `AuditRequest`. */
    auditStatesSent: 0,
    /** Rewinds of a held tile to apply a late input. */
    rewinds: 0,
    /** Ticks re-simulated by rewinds, ticks. */
    rewoundTicks: 0,
  };
  /** How far back a late input rewinds a held tile, ticks (0: late inputs apply at the next tick). */
  rewindTicks = DEFAULT_REWIND_TICKS;
  /**
   * Runs after every step, before the tick is committed. Debugging tools and cheat drills use
   * it to change owned tiles outside the rules (`TileSimulation.tamper`); the audit catches that.
   */
  afterStep: ((world: TileWorld, tick: number) => void) | undefined;
  /**
   * Told of the inputs a step really applied, with the tick of the step's record (the step from
   * `tick - 1`). The relay marks its input ledger here, not when it queues an input: its
   * simulation may run behind the timeline and hand the entity (or the tile) on first.
   */
  onInputsApplied: ((inputs: readonly EntityInput[], tick: number) => void) | undefined;
  /** Per tile, tick and `entitiesDigest` of the last `TileState` sent to subscribers. */
  readonly stateDigests = new Map<
    string,
    {
      /** The tick of that `TileState`. */
      tick: number;
      /** `entitiesDigest` of its entities. */
      digest: string;
    }
  >();

  /** Per tile and subscriber, tick and `entitiesDigest` of the last `TileState` sent to that subscriber. */
  private readonly digestsTo = new Map<string, Map<PeerId, { tick: number; digest: string }>>();

  /**
   * Tick and `entitiesDigest` of the last `TileState` of a held tile sent to `peer` (full states
   * go to one subscriber when it joins or asks, so each may have taken a different one).
   */
  stateDigestFor(
    tile: TileId,
    peer: PeerId,
  ):
    | {
        /** The tick of that `TileState`. */
        tick: number;
        /** `entitiesDigest` of its entities. */
        digest: string;
      }
    | undefined {
    return this.digestsTo.get(tileKey(tile))?.get(peer);
  }

  constructor(
    /** The world's configuration. */
    readonly config: WorldConfig,
    private readonly registry: BehaviourRegistry,
    private readonly self: PeerId,
    private readonly out: AuthorityOutput,
    private readonly replication: ReplicationConfig,
    startTick: number,
  ) {
    this.world = TileWorld.partial(config, registry, startTick);
  }

  /** The next tick this node will simulate. */
  get tick(): number {
    return this.world.tick;
  }

  /** Tiles held, with their epochs. */
  heldTiles(): {
    /** A held tile. */
    tile: TileId;
    /** The epoch of this node's lease on it. */
    epoch: number;
  }[] {
    return [...this.held.values()].map((h) => ({ tile: h.tile, epoch: h.epoch }));
  }

  /** Every peer subscribed to any held tile. */
  subscriberPeers(): Set<PeerId> {
    const out = new Set<PeerId>();
    for (const h of this.held.values()) for (const p of h.subscribers) out.add(p);
    return out;
  }

  /** True when this node holds `tile`. */
  holds(tile: TileId): boolean {
    return this.held.has(tileKey(tile));
  }

  /** The epoch under which this node holds `tile`, if it does. */
  epochOf(tile: TileId): number | undefined {
    return this.held.get(tileKey(tile))?.epoch;
  }

  /**
   * Starts owning a tile from a snapshot taken at `fromTick` (≤ now): the tile is caught up to
   * this node's tick without inputs, then stepped with everything else. No tick is skipped.
   */
  adopt(tile: TileId, epoch: number, snapshot: Uint8Array, subscribers: PeerId[]): void {
    const existing = this.world.releaseTile(tile);
    existing?.dispose();
    const sim = TileSimulation.restore(snapshot, this.config, this.registry);
    for (const id of sim.entityIds()) this.noteArrival(id, sim.tick);
    // A snapshot from a node whose clock ran ahead: let this node's world catch up instead.
    while (this.world.tick < sim.tick) this.stepOnce();
    // Held (with its epoch) before it catches up: what leaves it meanwhile is sent under this lease.
    const h: HeldTile = { tile, epoch, subscribers: [...subscribers], seq: 0, lastSent: new Map(), lastFullTick: -1, lastDeltaTick: -1, fullSentAt: new Map(), despawned: new Set(), commits: [], records: [], commitFrom: this.world.tick, auditStates: [], recent: new Map(), sentAway: new Map(), firstTick: this.world.tick, adoptedAt: this.world.tick };
    this.held.set(tileKey(tile), h);
    while (sim.tick < this.world.tick) {
      const r = sim.step();
      for (const m of r.emigrants) this.routeMigrant(sim.tile, m.to, m.entity, sim.tick);
      for (const m of r.outbox) this.routeMail(sim.tile, m);
      sim.applyInbound();
    }
    this.world.adoptTile(sim);
    if (this.self !== 0) {
      // The state we start from is committed too; from now on every step's inputs are recorded.
      sim.startRecording();
      h.commits.push(commitOf(sim));
      h.records.push(EMPTY_RECORD);
      this.keepAuditState(h, sim, true);
    }
    this.sendKeyframe(h, true);
  }

  /** Stops owning a tile and returns its snapshot at the current tick (for handoff); undefined when it was not simulated here. */
  release(tile: TileId):
    | {
        /** The tick the tile stood at when released. */
        tick: number;
        /** The epoch it was held under (0 if it was not held). */
        epoch: number;
        /** Its exact snapshot (`TileSimulation.snapshot`). */
        snapshot: Uint8Array;
        /** Every entity of the tile with its state. */
        entities: EntityDesc[];
        /** Its RNG state and counters. */
        continuity: TileContinuity;
      }
    | undefined {
    this.admitEarly(tile);
    const held = this.held.get(tileKey(tile));
    if (held && this.self !== 0) this.flushCommits(held);
    const sim = this.world.releaseTile(tile);
    const epoch = this.held.get(tileKey(tile))?.epoch ?? 0;
    this.held.delete(tileKey(tile));
    if (!sim) return undefined;
    const out = { tick: sim.tick, epoch, snapshot: sim.snapshot(), entities: sim.describeAll(), continuity: sim.continuity() };
    sim.dispose();
    return out;
  }

  /** Sets who receives a held tile's updates (the relay keeps this list current). */
  setSubscribers(tile: TileId, epoch: number, peers: PeerId[]): void {
    const h = this.held.get(tileKey(tile));
    if (!h || epoch !== h.epoch) return;
    const added = peers.filter((p) => !h.subscribers.includes(p));
    h.subscribers = [...peers];
    if (added.length > 0) this.sendKeyframe(h, false, added);
  }

  /**
   * Sends a full state of a held tile to one peer (late join, lost deltas); a peer that had one
   * less than `FULL_STATE_REQUEST_GAP_TICKS` ago gets the next when that time has passed.
   */
  sendKeyframeTo(tile: TileId, peer: PeerId): void {
    const h = this.held.get(tileKey(tile));
    if (!h) return;
    if (this.world.tick - (h.fullSentAt.get(peer) ?? -1e9) >= FULL_STATE_REQUEST_GAP_TICKS) this.sendKeyframe(h, false, [peer]);
    else (h.fullRequested ??= new Set()).add(peer);
  }

  /** Answers the requests that waited (`sendKeyframeTo`) once their time has come. */
  private answerRequests(h: HeldTile): void {
    if (!h.fullRequested) return;
    const due = [...h.fullRequested].filter((p) => this.world.tick - (h.fullSentAt.get(p) ?? -1e9) >= FULL_STATE_REQUEST_GAP_TICKS && h.subscribers.includes(p));
    for (const p of h.fullRequested) if (!h.subscribers.includes(p)) h.fullRequested.delete(p);
    if (due.length === 0) return;
    for (const p of due) h.fullRequested.delete(p);
    if (h.fullRequested.size === 0) delete h.fullRequested;
    this.sendKeyframe(h, false, due);
  }

  /**
   * Queues a player's inputs, stamped with the tick the player acted at; late ones apply at the
   * next tick. Inputs stamped more than 2 s ahead are refused (returns false), and the queue is
   * bounded, so a misbehaving sender cannot make it grow without end.
   */
  addInputs(tick: number, inputs: readonly EntityInput[]): boolean {
    if (tick > this.world.tick + this.config.tickRate * 2 || this.inputs.length + inputs.length > MAX_QUEUED_INPUTS) return false;
    for (const input of inputs) {
      // Late, but within the rewind depth: the tile is rewound to the tick the player acted at.
      if (tick < this.world.tick && this.rewind(tick, input)) {
        this.steer(input.entity);
        this.onInputsApplied?.([input], tick + 1);
        continue;
      }
      this.inputs.push({ tick, input });
    }
    return true;
  }

  /** True when an input of `entity` with sequence number `seq` waits in the queue (not applied yet). */
  hasQueuedInput(entity: EntityId, seq: number): boolean {
    return this.inputs.some((i) => i.input.entity === entity && i.input.seq === seq);
  }

  /**
   * Takes the queued inputs (not applied yet) of `ids` out of the queue, in the order they came:
   * their entities are leaving this node (a tile handed over, a migrant), and whoever holds them
   * next is the one to apply them. The relay's simulation may run behind the timeline, so a tile
   * it hands over can still have inputs waiting for ticks it has not stepped.
   */
  takeInputs(ids: ReadonlySet<EntityId>): QueuedInput[] {
    if (this.inputs.length === 0) return [];
    const taken = this.inputs.filter((i) => ids.has(i.input.entity));
    if (taken.length > 0) this.inputs = this.inputs.filter((i) => !ids.has(i.input.entity));
    return taken.map((i) => ({ tick: i.tick, input: i.input }));
  }

  /**
   * Rewinds the held tile of `input`'s entity to `tick`, applies the input there, and replays
   * to now with the tile's own records (DESIGN: rollback at the owner, paper §3.8). Only ticks
   * whose commitments were not sent yet can change, and only when nothing left the tile
   * meanwhile; ones that leave in the replay are handed on now. False when it cannot (too old,
   * not held here, no state to start from, a departure in the stretch): the input then applies
   * at the next tick.
   */
  private rewind(tick: number, input: EntityInput): boolean {
    if (this.self === 0 || this.rewindTicks <= 0 || tick < (this.arrivedAt.get(input.entity) ?? -1)) return false;
    const now = this.world.tick;
    const tile = this.world.tileOfEntity(input.entity);
    const h = tile ? this.held.get(tileKey(tile)) : undefined;
    if (!h || !tile || tick < now - this.rewindTicks || tick < h.firstTick || tick < h.adoptedAt) return false;
    const base = [...h.auditStates].reverse().find((a) => a.tick <= tick);
    if (!base) return false;
    for (let t = base.tick + 1; t <= now; t++) if (!h.recent.has(t) && t > h.adoptedAt) return false;
    // Nothing may have left the tile in the stretch replayed: a departure already reported (to
    // the relay, or as an arrival in another tile held here) is evidence the tile's history must
    // go on producing, and a replay with the input may have it leave at another tick or in
    // another state, or not at all (an honest owner convicted of a forged record).
    for (let t = base.tick + 1; t <= now; t++) if ((h.sentAway.get(t)?.length ?? 0) > 0) return false;
    const sim = TileSimulation.restore(base.snapshot, this.config, this.registry);
    sim.discardPending();
    if (!sim.has(input.entity) && base.tick === tick) {
      sim.dispose();
      return false;
    }
    sim.startRecording();
    const newRecords = new Map<number, TickRecord>();
    const newCommits = new Map<number, [number, number, number]>();
    const newStates: { tick: number; snapshot: Uint8Array }[] = [];
    const leaving: { to: TileId; entity: EntityDesc; tick: number }[] = [];
    for (let t = base.tick; t < now; t++) {
      const rec = h.recent.get(t + 1) ?? EMPTY_RECORD;
      const r = replayRecord(sim, t === tick ? { ...rec, inputs: [...rec.inputs, input] } : rec);
      for (const e of r.emigrants) leaving.push({ ...e, tick: t + 1 });
      newRecords.set(t + 1, sim.takeRecord() ?? EMPTY_RECORD);
      newCommits.set(t + 1, commitOf(sim));
      if ((t + 1) % AUDIT_WINDOW_TICKS === 0) newStates.push({ tick: t + 1, snapshot: sim.snapshot() });
    }
    // What came in after the last step (a spawn, a migrant, mail from the relay) is not in the
    // history just replayed: it is applied again, as the next step's inbound.
    const carry = this.world.tileAt(tile)?.unsteppedInbound();
    for (const b of carry?.batches ?? []) {
      for (const g of b.ghosts) sim.receiveGhosts(g.from, g.ghosts);
      sim.receiveRemovals(b.removals.filter((id) => sim.has(id)));
      sim.receiveImmigrants(b.immigrants.filter((e) => !sim.has(e.id)));
      sim.applyInbound();
    }
    if (carry && carry.messages.length > 0) sim.receiveMessages(carry.messages);
    // The replayed tile takes the old one's place; its unsent commitments and records are rewritten.
    this.world.releaseTile(tile)?.dispose();
    this.world.adoptTile(sim);
    for (let t = tick + 1; t <= now; t++) {
      h.recent.set(t, newRecords.get(t)!);
      const i = t - h.commitFrom;
      if (i >= 0 && i < h.commits.length) {
        h.commits[i] = newCommits.get(t)!;
        h.records[i] = newRecords.get(t)!;
      }
    }
    h.auditStates = h.auditStates.filter((a) => a.tick <= tick).concat(newStates.filter((a) => a.tick > tick));
    for (const e of leaving) this.routeMigrant(tile, e.to, e.entity, e.tick);
    this.counters.rewinds++;
    this.counters.rewoundTicks += now - base.tick;
    return true;
  }

  /**
   * Puts an entity (a joining avatar, a migrant) into the held tile at its position; false if
   * not held. A migrant's state is from `fromTick`; the ticks it spent in transit are made up by
   * moving it along its velocity, so it does not fall behind (at most 30 ticks). One stamped
   * with a tick this node has not simulated yet (its sender's clock or simulation ran ahead)
   * waits for that tick (at most `MAX_TRANSIT_TICKS`): stepping it through ticks it already
   * lived would put it ahead of itself. `tile` is the tile it goes to (default: the one holding
   * its position; a body handed over with its island may lie outside the tile that takes it).
   * `aheadLimit`: how far ahead of this simulation a migrant's tick may be and still wait (the
   * relay, whose simulation may run seconds behind its own clock, allows its lag on top).
   */
  insert(entity: EntityDesc, fromTick?: number, tile?: TileId, aheadLimit = MAX_TRANSIT_TICKS): boolean {
    const to = tile ?? tileOf(entity.state.position, this.config.tileEdge);
    // At most a transit's worth ahead: a tick further out is forged (or a clock far off), and
    // holding it would hide the entity indefinitely; it is placed now, as reported.
    if (fromTick !== undefined && fromTick > this.world.tick && fromTick - this.world.tick <= aheadLimit) {
      if (!this.held.has(tileKey(to))) return false;
      this.early.push({ fromTick, entity, tile: to });
      return true;
    }
    const gap = fromTick === undefined ? 0 : Math.min(MAX_TRANSIT_TICKS, this.world.tick - fromTick);
    const e = migrantAfterTransit(entity, gap, this.config.tickRate);
    // Made-up motion may carry it out of the tile it was sent to: placed where it was reported.
    const placed = tile !== undefined ? this.world.insertEntity(e, tile) : this.world.insertEntity(e) || (e !== entity && this.world.insertEntity(entity));
    if (placed) {
      const t = this.world.tileOfEntity(entity.id);
      const h = t ? this.held.get(tileKey(t)) : undefined;
      if (h) h.fullStateDue = true;
      this.noteArrival(entity.id, fromTick ?? this.world.tick);
    }
    return placed;
  }

  /**
   * Takes the migrants waiting for `tile` to reach their tick out of the queue: the tile is
   * leaving a simulation that runs behind (the relay's), and whoever holds it next places them
   * at their own tick. Baked into the handed-over state instead, they stood in it ticks before
   * they arrived (a lagging relay's tile held an avatar 52 ticks early, and its new owner applied
   * an input the avatar's previous holder had applied already: a false `repeated-input`).
   */
  takeEarly(tile: TileId): EarlyMigrant[] {
    const key = tileKey(tile);
    const taken = this.early.filter((m) => tileKey(m.tile) === key);
    if (taken.length > 0) this.early = this.early.filter((m) => tileKey(m.tile) !== key);
    return taken.map((m) => ({ fromTick: m.fromTick, entity: m.entity }));
  }

  /** The migrants bound for `tile` that wait for this simulation to reach their tick (they are in no tile's state yet). */
  earlyFor(tile: TileId): EarlyMigrant[] {
    const key = tileKey(tile);
    return this.early.filter((m) => tileKey(m.tile) === key).map((m) => ({ fromTick: m.fromTick, entity: m.entity }));
  }

  /** Early migrants whose tick has come (or, with `tile`, every one bound for it: the tile is leaving) join now. */
  private admitEarly(tile?: TileId): void {
    if (this.early.length === 0) return;
    const now = this.early.filter((m) => (tile ? tileKey(m.tile) === tileKey(tile) : m.fromTick <= this.world.tick));
    if (now.length === 0) return;
    this.early = this.early.filter((m) => !now.includes(m));
    for (const m of now) if (!this.insert(m.entity, Math.min(m.fromTick, this.world.tick), m.tile)) this.out.dropped(`migrant ${m.entity.id}: its tile is no longer held here`);
  }

  /**
   * Since when this node holds an entity (a migrant's tick, a handed-over state's): an input
   * stamped before that was its former holder's to apply, not this node's, even if a copy
   * reaches it (applied by both, it would be applied twice: a repeated input in the audit).
   */
  private noteArrival(id: EntityId, tick: number): void {
    this.arrivedAt.delete(id);
    this.arrivedAt.set(id, tick);
    // Only recent arrivals matter (inputs are applied within seconds of their stamp).
    if (this.arrivedAt.size > MAX_ARRIVALS_KEPT) this.arrivedAt.delete(this.arrivedAt.keys().next().value!);
  }

  /** Removes an entity from a held tile; false if not held. */
  remove(id: EntityId): boolean {
    const t = this.world.tileOfEntity(id);
    if (!this.world.removeEntity(id)) return false;
    // Subscribers are told it is gone (not that it left for another tile).
    const h = t ? this.held.get(tileKey(t)) : undefined;
    if (h?.lastSent.has(id)) h.despawned.add(id);
    else if (h) h.fullStateDue = true; // a fixed body (never in deltas): a full state tells it
    return true;
  }

  /** Delivers a message from another owner; false if the target is not held here. */
  deliver(m: EntityMessage): boolean {
    return this.world.deliverMessage(m);
  }

  /**
   * Steps until the world stands at `targetTick` (at most `maxTicks` per call, so a stalled node
   * catches up in bites); `enough`, asked after each step, may end the bite sooner (a time budget:
   * it changes how many ticks one call runs, never what a tick computes).
   */
  stepTo(targetTick: number, maxTicks = 30, enough?: () => boolean): number {
    let n = 0;
    while (this.world.tick < targetTick && n < maxTicks && !(n > 0 && enough?.())) {
      this.stepOnce();
      n++;
    }
    return n;
  }

  /** Notes that a player's input reached `id`: what it changes is repeated in the next deltas. */
  private steer(id: EntityId): void {
    const t = this.world.tileOfEntity(id);
    const h = t ? this.held.get(tileKey(t)) : undefined;
    if (h) (h.steered ??= new Set()).add(id);
  }

  private stepOnce(): void {
    this.admitEarly();
    const tick = this.world.tick;
    const due: EntityInput[] = [];
    if (this.inputs.length > 0) {
      const later: { tick: number; input: EntityInput; waited?: boolean }[] = [];
      for (const i of this.inputs) {
        if (i.tick > tick) later.push(i);
        else if (this.world.tileOfEntity(i.input.entity)) {
          if (i.tick < (this.arrivedAt.get(i.input.entity) ?? -1)) this.counters.inputsDropped++;
          else {
            if (i.waited) this.counters.inputsAwaited++;
            due.push(i.input);
          }
        } else if (tick - i.tick < INPUT_WAIT_TICKS) later.push({ ...i, waited: true });
        else this.counters.inputsDropped++;
      }
      this.inputs = later;
    }
    this.counters.inputsApplied += due.length;
    for (const i of due) this.steer(i.entity);
    this.feedRemoteGhosts(tick);
    const report = this.world.step(due);
    if (due.length > 0) this.onInputsApplied?.(due, tick + 1);
    this.counters.ticks++;
    for (const r of report.removed) {
      let told = false;
      for (const h of this.held.values()) {
        if (!h.lastSent.has(r.id)) continue;
        h.despawned.add(r.id);
        told = true;
      }
      // A fixed body (never in deltas) goes with a full state of its tile, at once.
      const h = this.held.get(tileKey(r.tile));
      if (!told && h) h.fullStateDue = true;
    }
    if (report.removed.length > 0) this.out.removed?.(report.removed.map((r) => r.id), this.world.tick);
    for (const m of report.outboundMigrants) this.routeMigrant(m.from, m.to, m.entity);
    // An entity that moved into another tile held here left its tile as surely as one handed to
    // the relay: a rewind of the tile it left must neither keep it nor send it on again.
    for (const m of report.movedWithin) this.noteSentAway(m.from, m.id, this.world.tick);
    for (const m of report.outboundMail) this.routeMail(m.from, m.message);
    const now = this.world.tick;
    this.afterStep?.(this.world, now);
    if (this.self !== 0) this.commit(now);
    for (const h of this.held.values()) {
      // Each tile keyframes on its own phase, so a node holding many tiles spreads the work.
      const phase = now + tilePhase(h.tile);
      const toRelay = phase % this.replication.keyframeEveryTicks === 0;
      // A new entity from outside (fixed ones never travel in deltas): everyone sees it at once.
      if (h.fullStateDue || phase % (this.replication.fullStateEveryTicks ?? this.replication.keyframeEveryTicks) === 0) this.sendKeyframe(h, toRelay);
      else {
        if (toRelay) this.sendRelayKeyframe(h);
        if (now % this.replication.sendEveryTicks === 0) this.sendDelta(h, now);
        this.answerRequests(h);
      }
    }
  }

  /**
   * Commits: every tick, the hash of each held tile's state at that tick (`{tile, epoch, tick,
   * stateHash}`), sent to the relay in batches — what the relay checks keyframes (and, later,
   * its audits) against.
   */
  private commit(now: number): void {
    for (const h of this.held.values()) {
      const sim = this.world.tileAt(h.tile);
      if (!sim) continue;
      if (h.commits.length === 0) h.commitFrom = now;
      const record = sim.takeRecord() ?? EMPTY_RECORD;
      h.commits.push(commitOf(sim));
      h.records.push(record);
      h.recent.set(now, record);
      h.recent.delete(now - RECENT_TICKS);
      h.sentAway.delete(now - RECENT_TICKS);
      this.keepAuditState(h, sim);
      // Ticks within the rewind depth may still be replayed with a late input: they wait.
      if (now - this.rewindTicks - h.commitFrom + 1 >= COMMIT_BATCH_TICKS) this.flushCommits(h, now - this.rewindTicks);
    }
  }

  /** At every audit window start, the exact state is kept for a few seconds (the relay may ask for it). */
  private keepAuditState(h: HeldTile, sim: TileSimulation, always = false): void {
    if (!always && sim.tick % AUDIT_WINDOW_TICKS !== 0) return;
    h.auditStates.push({ tick: sim.tick, snapshot: sim.snapshot() });
    while (h.auditStates.length > 0 && h.auditStates[0]!.tick < sim.tick - AUDIT_RETAIN_TICKS) h.auditStates.shift();
  }

  /**
   * Answers the relay's audit request: the exact state of a held tile at `tick` (a window
   * start of the last few seconds), sent as a keyframe. False when it is not held or too old.
   */
  sendAuditState(tile: TileId, epoch: number, tick: number): boolean {
    const h = this.held.get(tileKey(tile));
    if (!h || h.epoch !== epoch) return false;
    const s = h.auditStates.find((x) => x.tick === tick);
    if (!s) return false;
    // Commits up to that tick are sent first: the relay checks the state against them.
    this.flushCommits(h, Math.max(tick, this.world.tick - this.rewindTicks));
    this.out.send(0, { type: MsgType.Keyframe, tile, epoch, tick, snapshot: s.snapshot }, true);
    this.counters.auditStatesSent++;
    return true;
  }

  /** Sends the commitments of the ticks up to `upTo` (all by default: a release, or no more rewinds). */
  private flushCommits(h: HeldTile, upTo = Number.POSITIVE_INFINITY): void {
    const n = Math.min(h.commits.length, upTo - h.commitFrom + 1);
    if (n <= 0) return;
    this.out.send(0, { type: MsgType.Commits, tile: h.tile, epoch: h.epoch, firstTick: h.commitFrom, hashes: h.commits.slice(0, n), records: h.records.slice(0, n) }, true);
    this.counters.commitsSent += n;
    h.commits = h.commits.slice(n);
    h.records = h.records.slice(n);
    h.commitFrom += n;
    h.firstTick = h.commitFrom;
  }

  /** Neighbours owned elsewhere show their border bodies in held tiles as ghosts (TileWorld handles held neighbours). */
  private feedRemoteGhosts(tick: number): void {
    const from = this.out.ghostsFrom;
    if (!from) return;
    for (const h of [...this.held.values()].sort((a, b) => compareTiles(a.tile, b.tile))) {
      const sim = this.world.tileAt(h.tile);
      if (!sim) continue;
      for (const n of neighbours(h.tile)) {
        if (this.world.holds(n)) continue;
        const ghosts = from.call(this.out, n, h.tile, tick);
        // As float32, which is all physics keeps of them anyway: their log entries stay small.
        if (ghosts) sim.receiveGhosts(n, ghosts.map(float32Ghost));
      }
    }
  }

  /** Hands a migrant on; `tick` is the tick its state is of (the end of the step that produced it). */
  private routeMigrant(from: TileId, to: TileId, entity: EntityDesc, tick = this.world.tick): void {
    this.counters.migrationsOut++;
    this.noteSentAway(from, entity.id, tick);
    const fromEpoch = this.held.get(tileKey(from))?.epoch ?? 0;
    // Peers hand migrants to the relay, which logs them (so a crash loses none) and passes them
    // on; the relay sends straight to the owner. Unknown tiles belong to the relay, which creates them.
    const target = this.self === 0 ? (this.out.ownerOf(to)?.owner ?? 0) : 0;
    this.out.send(target, { type: MsgType.Migrate, from, to, epoch: fromEpoch, tick, entity }, true);
    this.out.migrated?.(entity, to, tick);
  }

  /** Records that `id` left held tile `from` in the step that ended at `tick` (what a rewind of `from` treats as gone). */
  private noteSentAway(from: TileId, id: EntityId, tick: number): void {
    const held = this.held.get(tileKey(from));
    if (!held) return;
    const list = held.sentAway.get(tick) ?? [];
    list.push(id);
    held.sentAway.set(tick, list);
  }

  private routeMail(from: TileId, message: EntityMessage): void {
    const tile = this.out.tileOfEntity(message.to);
    const owner = tile ? this.out.ownerOf(tile) : undefined;
    if (!tile || !owner) {
      this.out.dropped(`message ${message.topic} to ${message.to} dropped: its tile is unknown here`);
      return;
    }
    // Players' mail goes through the relay, which checks who speaks for the sender and logs it
    // (the evidence the receiving tile's record is audited against); the relay sends straight.
    const to = this.self === 0 ? owner.owner : 0;
    this.out.send(to, { type: MsgType.EntityMail, tile, epoch: this.held.get(tileKey(from))?.epoch ?? 0, message }, true);
  }

  private sendDelta(h: HeldTile, tick: number): void {
    const sim = this.world.tileAt(h.tile);
    if (!sim || h.subscribers.length === 0) return;
    const poses: EntityPose[] = [];
    const seen = new Set<EntityId>();
    // Everything is resent once a second so a subscriber that lost packets converges.
    const refresh = tick - h.lastFullTick >= this.config.tickRate;
    if (refresh) h.lastFullTick = tick;
    const dt = 1 / this.config.tickRate;
    // Peers' deltas may be lost (an unreliable channel); the relay's go over its reliable links.
    const repeatChanges = this.self !== 0 ? CHANGE_REPEATS : 0;
    // Props that changed (a player's walking direction, a switch pressed) go with the delta:
    // replicas that simulate the tile need them at once.
    // Only the keys whose values changed (a walking direction, not the avatar's name and speed).
    const pending = (h.propRepeats ??= new Map());
    // Entities a player steered since the last delta: their new motion and props are repeated.
    const steered = h.steered ?? new Set<EntityId>();
    delete h.steered;
    for (const u of sim.takePropChanges()) {
      const changed: Record<string, PropValue> = {};
      let any = false;
      for (const k of Object.keys(u.props).sort()) {
        if (u.before[k] === u.props[k]) continue;
        changed[k] = u.props[k]!;
        any = true;
      }
      if (any) pending.set(u.id, { props: { ...pending.get(u.id)?.props, ...changed }, left: steered.has(u.id) ? repeatChanges + 1 : 1 });
    }
    sim.forEachMotion((id, p, q, v, fixed, w) => {
      seen.add(id);
      if (fixed) return;
      const rot = `${Math.round(q.x * 1000)},${Math.round(q.y * 1000)},${Math.round(q.z * 1000)}`;
      const last = h.lastSent.get(id);
      let repeats = steered.has(id) ? repeatChanges : 0;
      if (last) {
        // What the subscriber shows now: the last state sent, moved along its velocity.
        const ahead = (tick - last.tick) * dt;
        const ex = last.x + last.vx * ahead - p.x;
        const ey = last.y + last.vy * ahead - p.y;
        const ez = last.z + last.vz * ahead - p.z;
        const dv = Math.abs(last.vx - v.x) + Math.abs(last.vy - v.y) + Math.abs(last.vz - v.z) + Math.abs(last.wx - w.x) + Math.abs(last.wy - w.y) + Math.abs(last.wz - w.z);
        const turned = dv >= RESEND_VELOCITY || last.rot !== rot;
        if (!refresh && !turned && !steered.has(id) && last.repeats <= 0 && ex * ex + ey * ey + ez * ez < RESEND_ERROR_M * RESEND_ERROR_M) return;
        // Still changing while its repeats run (an avatar speeding up over a few ticks): re-armed.
        if (!steered.has(id)) repeats = turned && last.repeats > 0 ? repeatChanges : Math.max(0, last.repeats - 1);
      }
      h.lastSent.set(id, { tick, x: p.x, y: p.y, z: p.z, vx: v.x, vy: v.y, vz: v.z, wx: w.x, wy: w.y, wz: w.z, rot, repeats });
      const still = q.x === 0 && q.y === 0 && q.z === 0 && q.w === 1;
      const spins = w.x !== 0 || w.y !== 0 || w.z !== 0;
      poses.push({ id, x: p.x, y: p.y, z: p.z, rotation: still ? undefined : { x: q.x, y: q.y, z: q.z, w: q.w }, vx: v.x, vy: v.y, vz: v.z, ...(spins ? { angvel: { x: w.x, y: w.y, z: w.z } } : {}) });
    });
    const removed: EntityId[] = [];
    const departed: EntityId[] = [];
    const props: PropsUpdate[] = [];
    for (const id of [...pending.keys()].sort((a, b) => a - b)) {
      const u = pending.get(id)!;
      if (seen.has(id)) props.push({ id, props: u.props });
      if (--u.left <= 0 || !seen.has(id)) pending.delete(id);
    }
    for (const id of h.lastSent.keys()) if (!seen.has(id)) (h.despawned.has(id) ? removed : departed).push(id);
    for (const id of removed) h.lastSent.delete(id);
    for (const id of departed) h.lastSent.delete(id);
    h.despawned.clear();
    // Nothing to say: silence, but not for more than a second (an empty delta then, so a
    // subscriber that lost the last ones sees the gap in the sequence and asks for a full state).
    if (poses.length === 0 && removed.length === 0 && departed.length === 0 && props.length === 0 && tick - h.lastDeltaTick < this.config.tickRate) return;
    h.lastDeltaTick = tick;
    for (let i = 0; i < Math.max(poses.length, 1); i += 2000) {
      const msg: Message = { type: MsgType.StateDelta, tile: h.tile, epoch: h.epoch, tick, seq: h.seq++, poses: poses.slice(i, i + 2000), removed: i === 0 ? removed : [], departed: i === 0 ? departed : [], ...(i === 0 && props.length > 0 ? { props } : {}) };
      for (const peer of h.subscribers) if (peer !== this.self) this.out.send(peer, msg, false);
      this.counters.deltasSent++;
    }
  }

  /**
   * Subscribers get the tile's entities with their states (≈ 200 bytes each); the relay gets the
   * exact snapshot (≈ 2 KB per body, Rapier's solver state included), which it may resume from.
   */
  private sendKeyframe(h: HeldTile, includeRelay: boolean, only?: PeerId[]): void {
    const sim = this.world.tileAt(h.tile);
    if (!sim) return;
    const to = new Set(only ?? h.subscribers);
    to.delete(this.self);
    to.delete(0);
    if (to.size > 0) {
      const entities = sim.describeAll();
      const d = { tick: sim.tick, digest: entitiesDigest(entities) };
      this.stateDigests.set(tileKey(h.tile), d);
      let per = this.digestsTo.get(tileKey(h.tile));
      if (!per) this.digestsTo.set(tileKey(h.tile), (per = new Map()));
      for (const p of [...per.keys()]) if (!h.subscribers.includes(p)) per.delete(p);
      const state: Message = { type: MsgType.TileState, tile: h.tile, epoch: h.epoch, tick: sim.tick, entities, continuity: sim.continuity() };
      for (const peer of [...to].sort((a, b) => a - b)) {
        this.out.send(peer, state, true);
        per.set(peer, d);
        h.fullSentAt.set(peer, sim.tick);
        h.fullRequested?.delete(peer);
      }
    }
    if (includeRelay) this.sendRelayKeyframe(h);
    this.counters.keyframesSent++;
    if (only) return;
    // The dead-reckoning baseline is what every subscriber has: it restarts only when all got this state.
    for (const p of [...h.fullSentAt.keys()]) if (!h.subscribers.includes(p)) h.fullSentAt.delete(p);
    h.fullStateDue = false;
    h.lastSent.clear();
    const tick = sim.tick;
    sim.forEachMotion((id, p, q, v, _fixed, w) => {
      h.lastSent.set(id, { tick, x: p.x, y: p.y, z: p.z, vx: v.x, vy: v.y, vz: v.z, wx: w.x, wy: w.y, wz: w.z, rot: `${Math.round(q.x * 1000)},${Math.round(q.y * 1000)},${Math.round(q.z * 1000)}`, repeats: 0 });
    });
  }

  /**
   * The relay gets a state that no rewind can change any more (the newest window start beyond
   * the rewind depth), after the commitment of its tick (which it is checked against).
   */
  private sendRelayKeyframe(h: HeldTile): void {
    const sim = this.world.tileAt(h.tile);
    if (!sim || this.self === 0) return;
    const final = [...h.auditStates].reverse().find((a) => a.tick <= sim.tick - this.rewindTicks) ?? (h.commits.length > 0 && h.commitFrom === sim.tick ? { tick: sim.tick, snapshot: sim.snapshot() } : undefined);
    if (final) {
      this.flushCommits(h, final.tick);
      this.out.send(0, { type: MsgType.Keyframe, tile: h.tile, epoch: h.epoch, tick: final.tick, snapshot: final.snapshot }, true);
      this.counters.relayKeyframesSent++;
    }
  }

  /** Entities of held tiles with their tile, for interest decisions and rendering. */
  tileOfHeldEntity(id: EntityId): TileId | undefined {
    return this.world.tileOfEntity(id);
  }

  /** The tile holding a position, metres. */
  tileAtPosition(x: number, y: number, z: number): TileId {
    return tileOf({ x, y, z }, this.config.tileEdge);
  }

  /** Frees every held tile. */
  dispose(): void {
    this.early = [];
    this.world.dispose();
    this.held.clear();
  }
}
