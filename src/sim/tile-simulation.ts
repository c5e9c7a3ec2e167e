import {
  resolveProps,
  checkPropValue,
  BehaviourRegistry,
  type EntityInput,
  type EntityMessage,
  type InputData,
  type RegisteredKind,
  type SpawnSpec,
  type TileContext,
} from '../core/behaviour.js';
import {
  boundingRadius,
  checkBodyDesc,
  checkDynamicState,
  checkEntityId,
  entityDesc,
  type BodyDesc,
  type DynamicState,
  type EntityDesc,
  type EntityId,
  type PropValue,
} from '../core/entity.js';
import { assert, ErrorCode, TesseraError } from '../core/errors.js';
import { ByteWriter } from '../core/bytes.js';
import { StateHasher } from '../core/hash.js';
import { spawnedEntityId } from '../core/ids.js';
import { mixSeed, SeededRng } from '../core/rng.js';
import { compareTiles, parseTileKey, sameTile, tileContains, tileKey, tileOf, type TileId } from '../core/tile.js';
import { IDENTITY, isFiniteVec, ZERO, type Quat, type Vec3 } from '../core/vec.js';
import { resolveWorldConfig, type WorldConfig } from '../core/world-config.js';
import { applyImpulse, applyTorqueImpulse, createBody, type Collider, type RigidBody } from './body-builder.js';
import { checkBodyParameters, checkWorldParameters } from './physics-parameters.js';
import type { GhostExport, GhostState } from './ghost.js';
import { islandTargets, ISLAND_LOOKAHEAD_S, ISLAND_MIN_CLOSING, type IslandNode } from './islands.js';
import { addPhysicsWarmUp, RAPIER } from './physics.js';
import { decodeTileSnapshotBytes, encodeTileSnapshot, writeProps, type TileContinuity, type TileSnapshotData } from './snapshot-codec.js';
export type { TileContinuity } from './snapshot-codec.js';
import type { InboundBatch, TickRecord } from './tick-record.js';

type World = InstanceType<typeof RAPIER.World>;


/** How a tile simulation runs; every runtime simulating a world (owners, replicas, the auditor) must use the same. */
export interface TileSimulationOptions {
  /**
   * Physics islands across borders (default true): dynamic bodies touching, or about to touch,
   * bodies of another tile are simulated by one tile (`islandTargets`). Off only to measure
   * what the tracking costs: without it, bodies meet across a border as immovable ghosts.
   */
  readonly islands?: boolean;
}

/** An entity whose reference point left the tile, with the tile it now belongs to. */
export interface Emigrant {
  /** The tile that now contains the entity's position. */
  readonly to: TileId;
  /** The entity, with its state at the end of the step (it is no longer in this tile). */
  readonly entity: EntityDesc;
}

/** A write to a prop declared `critical` (the audit always checks windows that contain one). */
export interface CriticalWrite {
  /** The entity whose prop was written. */
  readonly entity: EntityId;
  /** The prop's name. */
  readonly key: string;
  /** The value written. */
  readonly value: PropValue;
}

/** Why an entity left the tile other than by migration. */
export type RemovalReason = 'despawned' | 'fell-out';

/** What one tick produced, for whoever routes between tiles (a local world, the mesh, the auditor). */
export interface StepResult {
  /** The tick just simulated; the tile now stands at `tick + 1`. */
  readonly tick: number;
  /** Entities whose position left the tile this step (already removed here), to hand to the tile they entered. */
  readonly emigrants: readonly Emigrant[];
  /** Messages to entities not in this tile, to route by the entity directory. */
  readonly outbox: readonly EntityMessage[];
  /** Ghosts for each neighbour, sorted by tile (an empty list clears that neighbour's ghosts of this tile). */
  readonly ghosts: readonly GhostExport[];
  /** Ids of the entities behaviours spawned this step, in spawn order. */
  readonly spawned: readonly EntityId[];
  /** Entities that left the tile other than by migration this step. */
  readonly removed: readonly {
    /** The entity removed. */
    readonly id: EntityId;
    /** Why: despawned by a behaviour, or fell below `WorldConfig.floorY`. */
    readonly reason: RemovalReason;
  }[];
  /** Writes to `critical` props this step, in the order they happened. */
  readonly criticalWrites: readonly CriticalWrite[];
  /** Inputs or messages that could not be applied, with the reason. */
  readonly rejected: readonly string[];
}

interface LiveEntity {
  readonly id: EntityId;
  readonly kind: RegisteredKind;
  readonly body: BodyDesc;
  readonly props: Record<string, PropValue>;
  rb: RigidBody;
  collider: Collider;
  readonly radius: number;
  /** kg; constant for the body's life (its one collider never changes). */
  readonly mass: number;
  /** For fixed bodies: the ghost this entity shows in neighbours, and where (never changes). */
  readonly fixedGhost: { readonly targets: readonly TileId[]; readonly ghost: GhostState } | undefined;
  /** Set when Rapier reported the body asleep at the end of the last step: its state cannot have changed since. */
  asleep: SleepCache | undefined;
  /** Hash words of the props (while `hasPropsDigest`: until a prop is written). */
  propsA: number;
  propsB: number;
  hasPropsDigest: boolean;
  /** `body.type === 'fixed'` (read on hot paths without going to the body). */
  readonly fixed: boolean;
  /** `body.type === 'dynamic'`. */
  readonly dynamic: boolean;
  /** This entity's share of the tile hash (id, kind, state, props), while `hasDigest`. */
  digestA: number;
  digestB: number;
  hasDigest: boolean;
  /** Hash word of the kind's name (part of the entity's digest). */
  readonly kindWord: number;
  /** The id's two 32-bit words as a float64 (what `StateHasher.f64` feeds), low word first. */
  readonly idLo: number;
  readonly idHi: number;
  /** Position read at the end of tick `lastTranslationTick` (-1: none; saves reading it again to hash); read into, never handed out. */
  readonly lastTranslation: { x: number; y: number; z: number };
  lastTranslationTick: number;
  /** Set once the entity left the tile (its record may still sit in a list being walked). */
  gone: boolean;
  /** Mirrors membership of `TileSimulation.unsettled` (saves a set lookup per body per tick). */
  inUnsettled: boolean;
  /** Mirrors membership of `TileSimulation.digestDirty`. */
  inDirty: boolean;
  /** The step (`TileSimulation.stepStamp`) that last queued this entity for the after-step visit. */
  visitStamp: number;
  /** The step in which Rapier last reported this entity's body awake. */
  awakeStamp: number;
}

/** What a sleeping body's unchanged state lets us reuse instead of reading physics again. */
interface SleepCache {
  /** The step (`TileSimulation.stepStamp`) after which Rapier first reported the body asleep. */
  readonly stamp: number;
  readonly stateDigest: [number, number];
  readonly ghostTargets: readonly TileId[];
  readonly ghost: GhostState | undefined;
}

interface Ghost {
  readonly id: EntityId;
  readonly kind: string;
  readonly body: BodyDesc;
  readonly source: string;
  /** Bounding radius of its shape, metres. */
  readonly radius: number;
  rb: RigidBody;
  collider: Collider;
}

const byId = (a: { id: EntityId }, b: { id: EntityId }): number => a.id - b.id;

const f64Bits = new Float64Array(1);
const f64BitWords = new Uint32Array(f64Bits.buffer);

/** Word `i` (0: low, 1: high) of the float64 bit pattern of `x`, as `StateHasher.f64` reads it. */
function f64Word(x: number, i: 0 | 1): number {
  f64Bits[0] = x;
  return f64BitWords[i]!;
}

/** Euclidean length of a velocity, m/s. */
function speedOf(v: Vec3): number {
  return Math.sqrt(v.x * v.x + v.y * v.y + v.z * v.z);
}

/** No tiles (shared: never written to). */
const NO_TILES: readonly TileId[] = Object.freeze([]);

function newRecording(): { inbound: InboundBatch[]; messages: EntityMessage[]; inputs: EntityInput[]; after: InboundBatch[]; stepped: boolean } {
  return { inbound: [], messages: [], inputs: [], after: [], stepped: false };
}

function compareMessages(a: EntityMessage, b: EntityMessage): number {
  return a.dueTick - b.dueTick || a.seq - b.seq || a.from - b.from || a.to - b.to || (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0);
}

/** Message data as a snapshot writes it (`writeProps`: keys sorted, tagged values): what the hash covers. */
function propsBytes(data: InputData): Uint8Array {
  const w = ByteWriter.pooled(64);
  writeProps(w, data);
  return w.finishPooled();
}

function readState(rb: RigidBody): DynamicState {
  const p = rb.translation();
  const q = rb.rotation();
  const v = rb.linvel();
  const w = rb.angvel();
  return {
    position: { x: p.x, y: p.y, z: p.z },
    rotation: { x: q.x, y: q.y, z: q.z, w: q.w },
    linvel: { x: v.x, y: v.y, z: v.z },
    angvel: { x: w.x, y: w.y, z: w.z },
  };
}

/**
 * Steps a freshly built tile takes before its resting bodies may be put to sleep: Rapier finds
 * their contacts in the first step and settles them in the next two (a crate on the ground moves
 * 8 mm up and back as its contact is first solved).
 */
const SETTLE_STEPS = 3;

/**
 * The authoritative simulation of one tile: one Rapier world, the tile's entities and their
 * behaviours, read-only ghosts of neighbours' border bodies, a seeded RNG and a mailbox.
 * Deterministic: the same snapshot plus the same inputs give the same bytes in every runtime.
 * Call `dispose()` to free the WASM memory.
 */
export class TileSimulation {
  /** The tile this simulation is authoritative for. */
  readonly tile: TileId;
  /** Whether islands across borders are tracked (`TileSimulationOptions.islands`). */
  readonly islands: boolean;
  /** The world's configuration (tile edge, tick rate, seed, gravity…). */
  readonly config: WorldConfig;
  private readonly registry: BehaviourRegistry;
  private world: World;
  private readonly events: InstanceType<typeof RAPIER.EventQueue>;
  private readonly rng: SeededRng;
  private currentTick: number;
  private spawnCounter = 0;
  private messageSeq = 0;

  /** Entities sorted by id: the order every handler and every creation/removal follows. */
  private order: LiveEntity[] = [];
  private readonly entities = new Map<EntityId, LiveEntity>();
  private readonly ghosts = new Map<EntityId, Ghost>();
  private readonly byCollider = new Map<number, EntityId>();
  private mailbox: EntityMessage[] = [];

  // Inbound items wait here until the next step applies them in a defined order.
  private pendingImmigrants: EntityDesc[] = [];
  private pendingRemovals: EntityId[] = [];
  private pendingMessages: EntityMessage[] = [];
  private readonly pendingGhosts = new Map<string, { from: TileId; ghosts: readonly GhostState[] }>();
  private ghostTargets = new Map<string, TileId>();

  // Per-step scratch, reset by `step`.
  private despawnQueue: EntityId[] = [];
  private outbox: EntityMessage[] = [];
  private spawnedNow: EntityId[] = [];
  private criticalNow: CriticalWrite[] = [];
  private rejectedNow: string[] = [];
  private readonly ctx: TileContext;
  private readonly scratch = new StateHasher();
  /** Scratch targets for body reads that are consumed at once (no allocation per read). */
  private readonly rotScratch = { x: 0, y: 0, z: 0, w: 1 };
  private readonly velScratch = { x: 0, y: 0, z: 0 };
  /** An entity's 13 state floats, rounded to float32, and their bit patterns (what its state digest hashes). */
  private readonly stateF32 = new Float32Array(13);
  private readonly stateU32 = new Uint32Array(this.stateF32.buffer);
  /** An entity digest's input words, and its output. */
  private readonly entityWords = new Uint32Array(7);
  private readonly digestWords = new Uint32Array(2);
  /** Counts steps; entities carry the stamp of the step that visited them (instead of a set per step). */
  private stepStamp = 0;
  /** Steps taken since this simulation was built (created or restored), counted up to `SETTLE_STEPS`. */
  private stepsTaken = 0;
  /** `sleepResting`'s speed bound, asked for before the tile had settled: applied after step `SETTLE_STEPS`. */
  private sleepAfterSettling: number | undefined;
  /** Non-fixed entities in the tile (all of them are in `unsettled` unless some are asleep). */
  private movable = 0;
  /** Arrays the step refills every time (its visit lists), kept to spare an allocation per step. */
  private readonly visitScratch: LiveEntity[] = [];
  private readonly inOrderScratch: LiveEntity[] = [];
  private readonly nearScratch: LiveEntity[] = [];
  /** Entities whose kind has an `onStep` handler, by id: the only ones the step dispatches to. */
  private steppers: LiveEntity[] = [];
  /** The entity whose handler is running (see `runningEntity`): its context calls skip the id lookup. */
  private runningLive: LiveEntity | undefined;
  // Bookkeeping that makes a step and a hash cost O(awake bodies), not O(all bodies)
  // (and an entity's body carries its record in `userData`, for Rapier's list of awake bodies):
  /** Non-fixed entities not known to be asleep: visited after every step. */
  private readonly unsettled = new Set<LiveEntity>();
  /** Dynamic entities whose reference point lies outside the tile (held with their island), asleep or not. */
  private readonly guests = new Set<LiveEntity>();
  /**
   * Sleeping dynamic entities within reach of a border (whatever neighbours receive ghosts: the
   * island pass must not depend on where ghosts are sent, which is not part of the state).
   */
  private readonly borderSleepers = new Set<LiveEntity>();
  /** Sleeping entities near a border: their ghosts are re-sent from cache. */
  private readonly sleepingGhosts = new Set<LiveEntity>();
  private fixedGhostsCache: Map<string, { to: TileId; ghosts: GhostState[] }> | undefined;
  /** Neighbours that receive ghosts (undefined: all 26). */
  private ghostNeighbours: Set<string> | undefined;
  /** Entities whose share of the hash must be worked out again. */
  private readonly digestDirty = new Set<LiveEntity>();
  /** The tile hash's entity part: the sum (mod 2^32, per lane) of every entity's digest. */
  private sumA = 0;
  private sumB = 0;
  private readonly kindHashes = new Map<string, number>();
  /** Entities whose props were written since `takePropChanges` (owners send them to replicas). */
  private readonly propsTouched = new Set<EntityId>();
  /** The props of each touched entity as they were before its first write since `takePropChanges`. */
  private readonly propsBefore = new Map<EntityId, Record<string, PropValue>>();
  /** Entities whose kind declares critical props (their values make the critical digest). */
  private readonly criticalHolders = new Set<LiveEntity>();
  /** What entered the tile since the last step, while recording (the audit's input log). */
  private recording: { inbound: InboundBatch[]; messages: EntityMessage[]; inputs: EntityInput[]; after: InboundBatch[]; stepped: boolean } | undefined;

  private constructor(tile: TileId, config: WorldConfig, registry: BehaviourRegistry, world: World, tick: number, options: TileSimulationOptions = {}) {
    this.islands = options.islands ?? true;
    this.tile = tile;
    this.config = config;
    this.registry = registry;
    this.world = world;
    this.world.timestep = 1 / config.tickRate;
    this.events = new RAPIER.EventQueue(true);
    this.rng = new SeededRng(mixSeed(config.seed, tile.x, tile.y, tile.z));
    this.currentTick = tick;
    this.ctx = this.makeContext();
  }

  /**
   * Creates a tile at `tick` holding `entities` (created in id order, whatever order they are
   * given in). Each fixed or kinematic entity's position must lie in the tile; a dynamic one may
   * lie outside it (held with its island). `initPhysics()` must have resolved.
   */
  static create(tile: TileId, config: WorldConfig, registry: BehaviourRegistry, entities: readonly EntityDesc[] = [], tick = 0, continuity?: TileContinuity, options?: TileSimulationOptions): TileSimulation {
    const g = config.gravity;
    const sim = new TileSimulation(tile, config, registry, new RAPIER.World({ x: g.x, y: g.y, z: g.z }), tick, options);
    if (continuity) {
      sim.rng.setState(continuity.rng);
      sim.spawnCounter = continuity.spawnCounter;
      sim.messageSeq = continuity.messageSeq;
    }
    for (const e of [...entities].sort(byId)) sim.addEntity(e, true);
    return sim;
  }

  /** Rebuilds a tile from `snapshot()` bytes; it continues exactly as the original would. */
  static restore(bytes: Uint8Array, config: WorldConfig, registry: BehaviourRegistry, options?: TileSimulationOptions): TileSimulation {
    const data = decodeTileSnapshotBytes(bytes, false);
    const world = RAPIER.World.restoreSnapshot(data.physics);
    if (!world) throw new TesseraError(ErrorCode.BadSnapshot, 'tile snapshot: physics state could not be restored');
    try {
      checkWorldParameters(world, config);
    } catch (e) {
      world.free();
      throw e;
    }
    const sim = new TileSimulation(data.tile, config, registry, world, data.tick, options);
    try {
      sim.rng.setState(data.rng);
      sim.spawnCounter = data.spawnCounter;
      sim.messageSeq = data.messageSeq;
      for (const e of data.entities) {
        const kind = registry.get(e.kind);
        const rb = world.getRigidBody(e.rbHandle);
        const collider = world.getCollider(e.colliderHandle);
        if (!rb || !collider) throw new TesseraError(ErrorCode.BadSnapshot, `tile snapshot: entity ${e.id} has no body in the physics state`);
        checkBodyParameters(e.id, e.body, rb, collider);
        const live = sim.makeLive(e.id, kind, e.body, resolveProps(kind, e.props), rb, collider);
        sim.order.push(live);
        sim.track(live);
      }
      sim.order.sort(byId);
      for (const g of data.ghosts) {
        const rb = world.getRigidBody(g.rbHandle);
        const collider = world.getCollider(g.colliderHandle);
        if (!rb || !collider) throw new TesseraError(ErrorCode.BadSnapshot, `tile snapshot: ghost ${g.id} has no body in the physics state`);
        sim.ghosts.set(g.id, { id: g.id, kind: g.kind, body: g.body, source: g.source, radius: boundingRadius(g.body.shape), rb, collider });
        sim.byCollider.set(collider.handle, g.id);
      }
      sim.mailbox = [...data.mailbox];
      sim.pendingImmigrants = [...data.pendingImmigrants];
      sim.pendingMessages = [...data.pendingMessages];
      for (const p of data.pendingGhosts) sim.pendingGhosts.set(tileKey(p.from), p);
      for (const t of data.ghostTargets) sim.ghostTargets.set(tileKey(t), t);
      return sim;
    } catch (e) {
      sim.dispose();
      throw e;
    }
  }

  /** The next tick this tile will simulate (ticks completed so far, counted from the world's start). */
  get tick(): number {
    return this.currentTick;
  }

  /** Number of entities owned by this tile (ghosts excluded). */
  get entityCount(): number {
    return this.order.length;
  }

  /** Number of ghosts currently present. */
  get ghostCount(): number {
    return this.ghosts.size;
  }

  /** Ids of this tile's entities, ascending. */
  entityIds(): EntityId[] {
    return this.order.map((e) => e.id);
  }

  /** True when `id` is an entity of this tile (not a ghost). */
  has(id: EntityId): boolean {
    return this.entities.has(id);
  }

  /** Full description of one entity of this tile, with its current state. */
  describe(id: EntityId): EntityDesc {
    const e = this.live(id);
    return { id: e.id, kind: e.kind.def.name, body: e.body, state: readState(e.rb), props: { ...e.props } };
  }

  /** Every entity of this tile with its current state, ascending by id. */
  describeAll(): EntityDesc[] {
    return this.order.map((e) => this.describe(e.id));
  }

  /**
   * Calls `visit` for every entity with its position and rotation (ascending id), reading
   * physics directly — the cheap path for renderers and encoders.
   */
  forEachTransform(visit: (id: EntityId, kind: string, p: Vec3, q: Quat) => void): void {
    for (const e of this.order) visit(e.id, e.kind.def.name, e.rb.translation(), e.rb.rotation());
  }

  /** Like `forEachTransform`, with linear velocity, whether the body is fixed, and angular velocity (zero for fixed and rotation-locked bodies), for replication. */
  forEachMotion(visit: (id: EntityId, p: Vec3, q: Quat, v: Vec3, fixed: boolean, w: Vec3) => void): void {
    for (const e of this.order) {
      const fixed = e.body.type === 'fixed';
      visit(e.id, e.rb.translation(), e.rb.rotation(), fixed ? ZERO : e.rb.linvel(), fixed, fixed || e.body.lockRotations ? ZERO : e.rb.angvel());
    }
  }

  /**
   * Calls `visit` for every non-fixed entity (ascending id) with its motion as nine numbers:
   * position, linear velocity, angular velocity (zero for rotation-locked bodies). A body asleep
   * since before the last step has not moved since then: when `previous` (the motions handed out
   * after that step) holds it, that same array is handed back and physics is not read — a
   * replica world of sleeping crates costs nothing per tick. Arrays handed out are not reused.
   */
  forEachMoving(visit: (id: EntityId, motion: Float64Array) => void, previous?: ReadonlyMap<EntityId, Float64Array>): void {
    const stamp = this.stepStamp;
    for (const e of this.order) {
      if (e.fixed) continue;
      if (e.asleep !== undefined && e.asleep.stamp < stamp) {
        const known = previous?.get(e.id);
        if (known !== undefined) {
          visit(e.id, known);
          continue;
        }
      }
      const p = e.rb.translation();
      const v = e.rb.linvel();
      const w = e.body.lockRotations ? ZERO : e.rb.angvel();
      visit(e.id, Float64Array.of(p.x, p.y, p.z, v.x, v.y, v.z, w.x, w.y, w.z));
    }
  }

  /** Queues entities that migrated in; they join at the start of the next step, in id order. */
  receiveImmigrants(entities: readonly EntityDesc[]): void {
    for (const e of entities) this.pendingImmigrants.push(e);
  }

  /** Queues messages addressed to entities of this tile; delivered when due (not before the next step). */
  receiveMessages(messages: readonly EntityMessage[]): void {
    for (const m of messages) this.pendingMessages.push(m);
  }

  /** Replaces the ghosts that neighbour `from` shows in this tile, from the next step on. */
  receiveGhosts(from: TileId, ghosts: readonly GhostState[]): void {
    assert(!sameTile(from, this.tile), ErrorCode.BadInput, 'a tile cannot send ghosts to itself');
    this.pendingGhosts.set(tileKey(from), { from, ghosts });
  }

  /**
   * Applies queued ghosts and immigrants now, in their defined order (ghosts, then immigrants
   * by id), instead of at the start of the next step — the result is the same. A host calls it
   * once everything for the next tick has arrived, so that migrants are never "in transit".
   * Returns refusals, with reasons.
   */
  applyInbound(): string[] {
    const rec = this.recording;
    if (rec && (this.pendingGhosts.size > 0 || this.pendingRemovals.length > 0 || this.pendingImmigrants.length > 0)) {
      // A neighbour re-sending exactly the resting ghosts it sent last time changes nothing:
      // such updates are left out of the record (most ghosts are walls and floors, every tick).
      const ghosts = [...this.pendingGhosts.entries()]
        .sort((a, b) => compareTiles(a[1].from, b[1].from))
        .filter(([key, u]) => !this.isNoOpGhostUpdate(key, u.ghosts))
        .map(([, u]) => ({ from: u.from, ghosts: [...u.ghosts] }));
      if (ghosts.length > 0 || this.pendingRemovals.length > 0 || this.pendingImmigrants.length > 0) {
        (rec.stepped ? rec.after : rec.inbound).push({ ghosts, removals: [...this.pendingRemovals], immigrants: [...this.pendingImmigrants] });
      }
    }
    this.applyGhosts();
    const refused = this.applyRemovals();
    return refused.concat(this.applyImmigrants());
  }

  /** True when applying `ghosts` from neighbour `key` would change nothing: the same resting ghosts it shows now. */
  private isNoOpGhostUpdate(key: string, ghosts: readonly GhostState[]): boolean {
    let shown = 0;
    for (const g of this.ghosts.values()) if (g.source === key) shown++;
    if (shown !== ghosts.length) return false;
    for (const g of ghosts) {
      const have = this.ghosts.get(g.id);
      if (!have || have.source !== key || have.kind !== g.kind || this.entities.has(g.id)) return false;
      if (g.body.type === 'fixed') continue;
      const { linvel: v, angvel: w } = g.state;
      if (v.x !== 0 || v.y !== 0 || v.z !== 0 || w.x !== 0 || w.y !== 0 || w.z !== 0) return false;
      // A resting dynamic ghost is a no-op only when it already stands exactly there.
      const p = have.rb.translation();
      const q = have.rb.rotation();
      const s = g.state;
      if (p.x !== Math.fround(s.position.x) || p.y !== Math.fround(s.position.y) || p.z !== Math.fround(s.position.z)) return false;
      if (q.x !== Math.fround(s.rotation.x) || q.y !== Math.fround(s.rotation.y) || q.z !== Math.fround(s.rotation.z) || q.w !== Math.fround(s.rotation.w)) return false;
    }
    return true;
  }

  /**
   * Starts keeping, for every step, everything that entered the tile from outside (ghosts,
   * removals, immigrants, messages, inputs): the input log an auditor replays (`takeRecord`).
   */
  startRecording(): void {
    this.recording ??= newRecording();
  }

  /**
   * What entered the tile for the step just taken and since (undefined unless recording and a
   * step was taken), once: take it when the state is committed, so that what arrived after the
   * step but before the commitment is part of it (`TickRecord.after`).
   */
  takeRecord(): TickRecord | undefined {
    const r = this.recording;
    if (!r?.stepped) return undefined;
    this.recording = newRecording();
    return { inbound: r.inbound, messages: r.messages, inputs: r.inputs, after: r.after };
  }

  /**
   * What came in since the last step and has not been stepped yet: the inbound batches applied
   * (recorded, while recording) and the messages waiting for the next step. A rewind rebuilds
   * the tile from its history and must carry these over, or an entity placed just now is lost.
   */
  unsteppedInbound(): {
    /** Inbound batches applied since the last step (empty unless recording). */
    batches: InboundBatch[];
    /** Messages received and not yet delivered by a step. */
    messages: EntityMessage[];
  } {
    const r = this.recording;
    return { batches: r && !r.stepped ? [...r.inbound] : [], messages: [...this.pendingMessages] };
  }

  /**
   * Forgets inbound items not yet applied. An auditor restoring a snapshot calls it, because
   * the owner's records carry those items again when they were applied.
   */
  discardPending(): void {
    this.pendingImmigrants = [];
    this.pendingRemovals = [];
    this.pendingMessages = [];
    this.pendingGhosts.clear();
  }

  /**
   * Entities (still here) whose props were written since the last call, in id order, with their
   * props, and the props they had before (a replica compares an owner's past state with those).
   */
  takePropChanges(): {
    /** The entity. */
    id: EntityId;
    /** All its props now (a copy). */
    props: Record<string, PropValue>;
    /** All its props as they were before the first write since the last call. */
    before: Record<string, PropValue>;
  }[] {
    if (this.propsTouched.size === 0) return [];
    const ids = [...this.propsTouched].sort((a, b) => a - b);
    this.propsTouched.clear();
    const out: { id: EntityId; props: Record<string, PropValue>; before: Record<string, PropValue> }[] = [];
    for (const id of ids) {
      const e = this.entities.get(id);
      if (e) out.push({ id, props: { ...e.props }, before: this.propsBefore.get(id) ?? { ...e.props } });
    }
    this.propsBefore.clear();
    return out;
  }

  /** Marks an entity's props as written, keeping what they were before the first write. */
  private touchProps(e: LiveEntity): void {
    if (!this.propsTouched.has(e.id)) {
      this.propsTouched.add(e.id);
      this.propsBefore.set(e.id, { ...e.props });
    }
  }

  /** True when entity `id` is a body Rapier has put to sleep (false for unknown ids). */
  isSleeping(id: EntityId): boolean {
    return this.entities.get(id)?.rb.isSleeping() ?? false;
  }

  /**
   * Puts to sleep every dynamic body moving slower than `maxSpeed` (m/s). For replicas built
   * from an owner's entity states: bodies created at rest would otherwise start awake and cost
   * a second of solving before Rapier lets them sleep. Not for authoritative tiles.
   *
   * A tile that has not taken `SETTLE_STEPS` steps yet has no contacts: a body put to sleep now
   * would be woken without its contact with what it stands on and fall through it. There the
   * bodies are put to sleep after that step instead (those still slower than `maxSpeed` then).
   */
  sleepResting(maxSpeed = 0.05): void {
    if (this.stepsTaken < SETTLE_STEPS) {
      this.sleepAfterSettling = maxSpeed;
      return;
    }
    for (const e of this.order) {
      if (e.body.type !== 'dynamic') continue;
      const v = e.rb.linvel();
      const w = e.rb.angvel();
      if (Math.abs(v.x) + Math.abs(v.y) + Math.abs(v.z) + Math.abs(w.x) + Math.abs(w.y) + Math.abs(w.z) < maxSpeed) e.rb.sleep();
    }
  }

  /**
   * 32-bit digest of every critical prop in the tile (0 when there are none). Owners commit it
   * with every tick's hash, so the relay sees which windows change critical state.
   */
  criticalDigest(): number {
    let sum = 0;
    for (const e of this.criticalHolders) {
      const h = this.scratch.reset().f64(e.id);
      for (const key of e.kind.propKeys) {
        if (!e.kind.def.props?.[key]?.critical) continue;
        const v = e.props[key]!;
        if (typeof v === 'number') h.f64(v);
        else if (typeof v === 'boolean') h.u32(v ? 1 : 0);
        else h.str(v);
      }
      sum = (sum + h.words()[0]) | 0;
    }
    return sum >>> 0;
  }

  /**
   * Changes an entity outside the rules of the simulation: a body moved or pushed, props
   * overwritten. For debugging tools and cheat drills only — an audited owner that does this
   * is caught, because the relay's re-execution will not reproduce it. Speculative replicas
   * use it to apply their owners' corrections.
   */
  tamper(id: EntityId, change: { position?: Vec3; rotation?: Quat; linvel?: Vec3; angvel?: Vec3; props?: Readonly<Record<string, PropValue>>; gravityScale?: number; friction?: number }): void {
    const e = this.live(id);
    if (change.gravityScale !== undefined) e.rb.setGravityScale(change.gravityScale, true);
    if (change.friction !== undefined) e.collider.setFriction(change.friction);
    if (change.position) e.rb.setTranslation(change.position, true);
    if (change.rotation) e.rb.setRotation(change.rotation, true);
    if (change.linvel) e.rb.setLinvel(change.linvel, true);
    if (change.angvel) e.rb.setAngvel(change.angvel, true);
    if (change.props) {
      this.touchProps(e);
      for (const [key, value] of Object.entries(change.props)) {
        const spec = e.kind.def.props?.[key];
        assert(spec !== undefined, ErrorCode.BadInput, () => `kind ${e.kind.def.name} has no prop ${JSON.stringify(key)}`);
        checkPropValue(e.kind.def.name, key, spec, value);
        e.props[key] = value;
      }
      e.hasPropsDigest = false;
    }
    e.asleep = undefined;
    e.lastTranslationTick = -1;
    this.sleepingGhosts.delete(e);
    this.borderSleepers.delete(e);
    if (!e.fixed) this.markUnsettled(e);
    this.markDirty(e);
  }

  /** Changes the tile's gravity outside the rules (cheat drills: a snapshot carrying it is refused on restore). */
  tamperGravity(g: Vec3): void {
    this.world.gravity = { x: g.x, y: g.y, z: g.z };
  }

  /**
   * Queues the removal of entities by an outside authority (a player who left, a creator's
   * delete); they go at the next tick boundary, in id order. Unknown ids are reported then.
   */
  receiveRemovals(ids: readonly EntityId[]): void {
    for (const id of ids) this.pendingRemovals.push(id);
  }

  private applyRemovals(): string[] {
    const refused: string[] = [];
    if (this.pendingRemovals.length === 0) return refused;
    const ids = [...new Set(this.pendingRemovals)].sort((a, b) => a - b);
    this.pendingRemovals = [];
    for (const id of ids) {
      if (this.entities.has(id)) this.removeEntity(id);
      else refused.push(`removal of ${id} ignored: not in tile ${tileKey(this.tile)}`);
    }
    return refused;
  }

  /** Simulates one tick with the given inputs (any order; applied sorted by entity, then seq). */
  step(inputs: readonly EntityInput[] = []): StepResult {
    const tick = this.currentTick;
    this.despawnQueue = [];
    this.outbox = [];
    this.spawnedNow = [];
    this.criticalNow = [];
    this.rejectedNow = [];
    const removed: { id: EntityId; reason: RemovalReason }[] = [];
    // A record nobody took is dropped: a recording tile keeps one step's worth at most.
    if (this.recording?.stepped) this.recording = newRecording();

    this.rejectedNow.push(...this.applyInbound());
    this.deliverMessages(tick);
    this.applyInputs(inputs);

    // Only kinds with an `onStep` handler are dispatched to, in id order; entities spawned
    // during this loop take their first step at the next tick.
    if (this.steppers.length > 0) {
      for (const e of this.steppers.slice()) {
        if (e.gone) continue;
        this.runningEntity = e.id;
        this.runningLive = e;
        e.kind.def.onStep!(this.ctx, e.id);
      }
    }

    this.world.step(this.events);
    this.dispatchContacts();

    for (const id of [...new Set(this.despawnQueue)].sort((a, b) => a - b)) {
      if (this.entities.has(id)) {
        this.removeEntity(id);
        removed.push({ id, reason: 'despawned' });
      }
    }

    const emigrants: Emigrant[] = [];
    const edge = this.config.tileEdge;
    // Rapier knows which bodies are awake; a sleeping body has not moved, so its tile, ghosts
    // and hash are what they were when it fell asleep: only awake or unsettled bodies are visited.
    const stamp = ++this.stepStamp;
    const visit = this.visitScratch;
    visit.length = 0;
    if (this.unsettled.size === this.movable) {
      // No entity is known to be asleep: there is none for Rapier to have woken, the unsettled
      // are every body to visit, and each dynamic one is asked whether it is still awake (a
      // call, where Rapier's list of awake bodies calls back into JavaScript once per body).
      for (const e of this.unsettled) {
        e.visitStamp = stamp;
        visit.push(e);
        if (e.dynamic && !e.rb.isSleeping()) e.awakeStamp = stamp;
      }
    } else {
      for (const e of this.unsettled) {
        e.visitStamp = stamp;
        visit.push(e);
      }
      const bodies = this.world.bodies;
      this.world.islands.forEachActiveRigidBodyHandle((h) => {
        // An entity's body carries its record (`track`); ghosts' bodies carry none.
        const e = bodies.get(h)?.userData as LiveEntity | undefined;
        if (e === undefined) return;
        e.awakeStamp = stamp;
        if (e.visitStamp !== stamp && !e.fixed) {
          e.visitStamp = stamp;
          visit.push(e);
        }
      });
    }
    const ghostOut = this.fixedGhostsOut();
    /** Kinematic bodies whose reference point left the tile this step (with islands). */
    const platforms: LiveEntity[] = [];
    // Ghosts are sent once the island pass has said which bodies leave with their island
    // (visited bodies that stay and are ghosted, in id order).
    const ghosted: { e: LiveEntity; targets: readonly TileId[]; ghost: GhostState }[] = [];
    /** Visited bodies that stay, dynamic and near a border, in id order (what the island pass looks at besides the sleepers). */
    const nearVisited = this.nearScratch;
    nearVisited.length = 0;
    // In id order: a walk of `order` when most entities are visited, else a sort of the few.
    let visitInOrder: LiveEntity[];
    if (visit.length * 4 >= this.order.length) {
      visitInOrder = this.inOrderScratch;
      visitInOrder.length = 0;
      for (const e of this.order) if (e.visitStamp === stamp) visitInOrder.push(e);
    } else visitInOrder = visit.sort(byId);
    for (const e of visitInOrder) {
      if (e.gone) continue;
      if (e.asleep !== undefined) {
        // (Only a body that was asleep can be in these sets.)
        e.asleep = undefined;
        this.sleepingGhosts.delete(e);
        this.borderSleepers.delete(e);
      }
      this.markUnsettled(e);
      this.markDirty(e);
      const p = e.rb.translation(e.lastTranslation);
      e.lastTranslationTick = tick;
      if (p.y < this.config.floorY) {
        this.removeEntity(e.id);
        removed.push({ id: e.id, reason: 'fell-out' });
        continue;
      }
      if (tileContains(this.tile, p, edge)) {
        if (this.guests.size > 0) this.guests.delete(e); // (empty in most tiles: no lookup then)
      } else if (this.islands && e.dynamic) this.guests.add(e); // its island decides where it goes
      else if (this.islands && e.body.type === 'kinematic') {
        // A platform: its riders leave with it (found below, while its contacts are still here).
        platforms.push(e);
        continue;
      } else {
        const entity = this.describe(e.id);
        this.removeEntity(e.id);
        emigrants.push({ to: tileOf(entity.state.position, edge), entity });
        continue;
      }
      const targets = this.ghostTilesOf(p, e.radius);
      const ghost: GhostState | undefined = targets.length > 0 ? { id: e.id, kind: e.kind.def.name, body: e.body, state: readState(e.rb) } : undefined;
      const border = this.islands && e.dynamic && this.nearBorder(p, e.radius);
      if (e.awakeStamp !== stamp && e.dynamic) {
        e.asleep = { stamp, stateDigest: this.stateDigest(e), ghostTargets: targets, ghost };
        this.unsettled.delete(e);
        e.inUnsettled = false;
        if (ghost) this.sleepingGhosts.add(e);
        if (border) this.borderSleepers.add(e);
      }
      if (ghost !== undefined) ghosted.push({ e, targets, ghost });
      if (border) nearVisited.push(e);
    }
    let leave = this.islands ? this.islandPass(nearVisited, [...this.guests].sort(byId), stamp) : undefined;
    if (platforms.length > 0) {
      // A platform goes to the tile its reference point entered, and its riders with it, at
      // this tick boundary (whatever their own positions or islands say): they are one island.
      leave ??= new Map();
      for (const pl of platforms) {
        const to = tileOf(pl.rb.translation(), edge);
        for (const r of this.ridersOf(pl)) leave.set(r.id, to);
        leave.set(pl.id, to);
      }
    }
    for (const e of this.sleepingGhosts) {
      if (e.visitStamp === stamp || leave?.has(e.id)) continue;
      const c = e.asleep!;
      for (const t of c.ghostTargets) addGhostOut(ghostOut, t, c.ghost!);
    }
    for (const { e, targets, ghost } of ghosted) {
      if (!leave?.has(e.id)) for (const t of targets) addGhostOut(ghostOut, t, ghost);
    }
    if (leave) {
      for (const id of [...leave.keys()].sort((a, b) => a - b)) {
        const entity = this.describe(id);
        this.removeEntity(id);
        emigrants.push({ to: leave.get(id)!, entity });
      }
    }
    // Messages still waiting for an entity that left go where the entity went.
    if (emigrants.length > 0) {
      const gone = new Set(emigrants.map((m) => m.entity.id));
      const stay: EntityMessage[] = [];
      for (const m of this.mailbox) (gone.has(m.to) ? this.outbox : stay).push(m);
      this.mailbox = stay;
    }

    const ghosts: GhostExport[] = [];
    for (const [key, t] of this.ghostTargets) if (!ghostOut.has(key)) ghostOut.set(key, { to: t, ghosts: [] });
    this.ghostTargets = new Map();
    for (const [key, g] of ghostOut) {
      if (g.ghosts.length > 0) this.ghostTargets.set(key, g.to);
      ghosts.push(g);
    }
    ghosts.sort((a, b) => compareTiles(a.to, b.to));

    if (this.mailbox.length > 1) this.mailbox.sort(compareMessages);
    this.currentTick = tick + 1;
    if (this.recording) this.recording.stepped = true;
    if (++this.stepsTaken === SETTLE_STEPS && this.sleepAfterSettling !== undefined) {
      const maxSpeed = this.sleepAfterSettling;
      this.sleepAfterSettling = undefined;
      this.sleepResting(maxSpeed); // (the next step's visit records them asleep)
    }
    return {
      tick,
      emigrants,
      outbox: this.outbox.sort(compareMessages),
      ghosts,
      spawned: this.spawnedNow,
      removed,
      criticalWrites: this.criticalNow,
      rejected: this.rejectedNow,
    };
  }

  /**
   * 64-bit hash (16 hex digits) of the tile's state: tick, RNG, counters, every entity's id,
   * kind, exact physics state and props, and pending messages. Ghosts are inputs, not state.
   */
  hash(): string {
    const [a, b] = this.hashWords();
    return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
  }

  /** `hash()` as two uint32 words (what commits carry on the wire). */
  hashWords(): [number, number] {
    const h = new StateHasher();
    h.u32(this.tile.x).u32(this.tile.y).u32(this.tile.z).f64(this.currentTick).f64(this.spawnCounter).f64(this.messageSeq);
    for (const w of this.rng.getState()) h.u32(w);
    // Entities enter as a sum of per-entity digests (each covers id, kind, exact state and
    // props), kept up to date for the entities that changed: cost O(changed), not O(all).
    // (A sum does not depend on the order the set is walked in.)
    for (const e of this.digestDirty) {
      this.updateDigest(e);
      if (e.fixed || e.asleep) {
        this.digestDirty.delete(e); // cannot change until touched again
        e.inDirty = false;
      }
    }
    h.u32(this.order.length).u32(this.sumA).u32(this.sumB);
    h.u32(this.mailbox.length);
    // The data as the snapshot holds it (keys sorted, tagged values): the hash survives a snapshot
    // round trip whatever order a behaviour built the object in.
    for (const m of this.mailbox) h.f64(m.from).f64(m.to).str(m.topic).f64(m.dueTick).f64(m.seq).bytes(propsBytes(m.data));
    return h.words();
  }

  /**
   * Moves the spawn counter on to the next multiple of 65,536, so ids that a former owner may have
   * given entities it spawned after this state are not given again here. A takeover resumes a
   * tile from an older state than its owner had reached: a ball the owner spawned meanwhile (and
   * that rolled into another tile) and the next one spawned in the resumed tile had the same id.
   */
  skipSpawnIds(): void {
    this.spawnCounter = (Math.floor(this.spawnCounter / 65_536) + 1) * 65_536;
  }

  /** The RNG state and counters a replica needs to continue exactly (see `TileContinuity`). */
  continuity(): TileContinuity {
    return { rng: this.rng.getState(), spawnCounter: this.spawnCounter, messageSeq: this.messageSeq };
  }

  /**
   * The tile's complete state as bytes (own header, entities, props, mailbox, pending inbound
   * items, and Rapier's world snapshot), for handoff, checkpoints and audit.
   */
  snapshot(): Uint8Array {
    const data: TileSnapshotData = {
      tile: this.tile,
      tick: this.currentTick,
      rng: this.rng.getState(),
      spawnCounter: this.spawnCounter,
      messageSeq: this.messageSeq,
      entities: this.order.map((e) => ({ id: e.id, kind: e.kind.def.name, body: e.body, props: e.props, rbHandle: e.rb.handle, colliderHandle: e.collider.handle })),
      ghosts: [...this.ghosts.values()].sort(byId).map((g) => ({ id: g.id, kind: g.kind, body: g.body, source: g.source, rbHandle: g.rb.handle, colliderHandle: g.collider.handle })),
      mailbox: this.mailbox,
      pendingImmigrants: this.pendingImmigrants,
      pendingMessages: this.pendingMessages,
      pendingGhosts: [...this.pendingGhosts.values()].sort((a, b) => compareTiles(a.from, b.from)),
      ghostTargets: [...this.ghostTargets.values()].sort(compareTiles),
      physics: this.world.takeSnapshot(),
    };
    return encodeTileSnapshot(data);
  }

  /** Frees the Rapier world. The tile must not be used afterwards. */
  dispose(): void {
    this.events.free();
    this.world.free();
  }

  // ---- internals ----

  private live(id: EntityId): LiveEntity {
    const e = this.entities.get(id);
    if (!e) throw new TesseraError(ErrorCode.UnknownEntity, `entity ${id} is not in tile ${tileKey(this.tile)}`);
    return e;
  }

  /** `live(id)`, without the lookup when `id` is the entity whose handler is running (the usual case). */
  private cur(id: EntityId): LiveEntity {
    const r = this.runningLive;
    return r !== undefined && r.id === id && !r.gone ? r : this.live(id);
  }

  /** `body(id)`, without the lookup when `id` is the entity whose handler is running. */
  private curBody(id: EntityId): RigidBody {
    const r = this.runningLive;
    return r !== undefined && r.id === id && !r.gone ? r.rb : this.body(id);
  }

  private body(id: EntityId): RigidBody {
    const e = this.entities.get(id);
    if (e) return e.rb;
    const g = this.ghosts.get(id);
    if (g) return g.rb;
    throw new TesseraError(ErrorCode.UnknownEntity, `entity ${id} is neither in tile ${tileKey(this.tile)} nor a ghost there`);
  }

  /**
   * Limits ghost exports to these neighbour tiles (the ones that exist where this tile is
   * simulated); `undefined` exports to every neighbour. Ghosts sent into empty space cost a
   * body check every tick for everything near a face — e.g. everything on the ground, which
   * lies near the tile below.
   */
  setGhostNeighbours(tiles: readonly TileId[] | undefined): void {
    const next = tiles ? new Set(tiles.map(tileKey)) : undefined;
    const same = next === undefined ? this.ghostNeighbours === undefined : this.ghostNeighbours !== undefined && next.size === this.ghostNeighbours.size && [...next].every((k) => this.ghostNeighbours!.has(k));
    if (same) return;
    this.ghostNeighbours = next;
    // Cached ghost targets are stale: recompute them for every body.
    this.fixedGhostsCache = undefined;
    for (const e of this.order) {
      if (e.body.type === 'fixed') (e as { fixedGhost: LiveEntity['fixedGhost'] }).fixedGhost = this.fixedGhostOf(e);
      else if (e.asleep) {
        e.asleep = undefined;
        this.sleepingGhosts.delete(e);
        this.borderSleepers.delete(e);
        this.markUnsettled(e);
      }
    }
  }

  /**
   * Finds the islands that must leave this tile at this tick boundary (`islandTargets`): links
   * are Rapier contacts between this tile's dynamic bodies, and, across borders, contacts with
   * dynamic ghosts or bounding spheres closing on them within `ISLAND_LOOKAHEAD_S`. Only bodies
   * near a border or outside the tile are looked at: sphere tests against dynamic ghosts and
   * guests in a sweep along x; a linked ghost standing on a platform (`supportOf`: a rider of
   * another tile) names the platform's tile. Then Rapier's contact graph is walked from bodies
   * linked to a lower tile or to such riders (their whole island moves) and from guests until a
   * body of this tile is reached (it stays). Nothing when no dynamic ghost is near and no body is
   * outside.
   */
  private islandPass(nearVisited: readonly LiveEntity[], outside: readonly LiveEntity[], stamp: number): Map<EntityId, TileId> | undefined {
    const ghosts: Ghost[] = [];
    // Bodies of this tile standing on another tile's platform (boarding it across a border): they join its island there.
    const boarding: LiveEntity[] = [];
    for (const g of this.ghosts.values()) {
      if (g.body.type === 'dynamic') ghosts.push(g);
      else if (g.body.type === 'kinematic') boarding.push(...this.ridersOf(g));
    }
    if (ghosts.length === 0 && outside.length === 0 && boarding.length === 0) return undefined;
    ghosts.sort(byId);
    const nearList: LiveEntity[] = nearVisited.slice();
    for (const e of this.borderSleepers) if (e.visitStamp !== stamp) nearList.push(e);
    // Positions and velocities read once (each read is a call into Rapier), sorted along x for the sweep.
    const near = nearList.map((e) => ({ e, p: e.rb.translation(), v: e.rb.linvel(), r: e.radius, collider: e.collider })).sort((a, b) => a.p.x - b.p.x || a.e.id - b.e.id);
    const maxR = near.reduce((m, n) => Math.max(m, n.r), 0);
    const maxSpeed = near.reduce((m, n) => Math.max(m, speedOf(n.v)), 0);
    const margin = this.config.ghostMargin;
    /**
     * How far from a body of bounding radius `r` moving at `v` another near body can be and
     * still be `linked` to it: its bounding spheres overlap, or close within the look-ahead (at
     * most at the sum of the two speeds), and never beyond the ghost margin. (A pile across a
     * border put hundreds of bodies within the margin of every guest, a few of them linked.)
     */
    const reachOf = (r: number, v: Vec3): number => r + maxR + Math.min(margin, (speedOf(v) + maxSpeed) * ISLAND_LOOKAHEAD_S) + 1e-6;
    /** Calls `visit` for the near bodies within `reach` of `at` along every axis, in x order (the order `linked` pairs are taken in). */
    const around = (at: Vec3, reach: number, visit: (n: (typeof near)[number]) => void): void => {
      const x = at.x;
      let lo = 0;
      let hi = near.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (near[mid]!.p.x < x - reach) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < near.length; i++) {
        const n = near[i]!;
        if (n.p.x > x + reach) break;
        if (Math.abs(n.p.y - at.y) <= reach && Math.abs(n.p.z - at.z) <= reach) visit(n);
      }
    };
    // A rider needs a kinematic body to stand on: with none here nor among the ghosts, no body
    // rides one, and the contact graph is not asked (a query per member: a pile of 1,000 bodies).
    let platformsNear: boolean | undefined;
    const platforms = (): boolean => (platformsNear ??= boarding.length > 0 || this.order.some((e) => e.body.type === 'kinematic') || [...this.ghosts.values()].some((g) => g.body.type === 'kinematic'));
    const links = new Map<LiveEntity, TileId[]>();
    /** For bodies linked to ghosts that ride a platform: the platforms' tiles, one per such ghost (`IslandNode.riders`). */
    const riders = new Map<LiveEntity, TileId[]>();
    for (const g of ghosts) {
      let source: TileId | undefined;
      /** The tile of the platform the ghost stands on (null: none), asked once it is linked. */
      let ridden: TileId | null | undefined;
      const gb = { p: g.rb.translation(), v: g.rb.linvel(), r: g.radius, collider: g.collider };
      around(gb.p, reachOf(gb.r, gb.v), (n) => {
        if (!this.linked(n, gb, false)) return;
        source ??= parseTileKey(g.source);
        const list = links.get(n.e);
        if (list) list.push(source);
        else links.set(n.e, [source]);
        ridden ??= (platforms() ? this.platformTileOf(g) : undefined) ?? null;
        if (ridden === null) return;
        const r = riders.get(n.e);
        if (r) r.push(ridden);
        else riders.set(n.e, [ridden]);
      });
    }
    const index = new Map<LiveEntity, number>();
    const members: LiveEntity[] = [];
    const add = (e: LiveEntity): number => {
      let i = index.get(e);
      if (i === undefined) {
        index.set(e, (i = members.length));
        members.push(e);
      }
      return i;
    };
    for (const e of [...links.keys()].sort(byId)) add(e);
    for (const e of boarding.sort(byId)) add(e);
    const edges: [number, number][] = [];
    // A guest stays with the bodies of the tile it touches or is near (looser than what links
    // bodies across a border: the gap between the two keeps a body from being handed back and
    // forth while its neighbours jostle).
    for (const o of outside) {
      const i = add(o);
      const ob = { e: o, p: o.rb.translation(), v: o.rb.linvel(), r: o.radius, collider: o.collider };
      around(ob.p, reachOf(ob.r, ob.v), (n) => {
        if (n.e !== o && this.linked(ob, n, true)) edges.push([i, add(n.e)]);
      });
    }
    if (members.length === 0) return undefined;
    const edge = this.config.tileEdge;
    const explored = new Set<LiveEntity>();
    /** Walks the contact graph from `seed`; with `untilHome`, stops at the first body whose reference point is in this tile. */
    const walk = (seed: LiveEntity, untilHome: boolean): void => {
      const queue = [seed];
      for (let q = 0; q < queue.length; q++) {
        const e = queue[q]!;
        if (explored.has(e)) continue;
        explored.add(e);
        if (untilHome && tileContains(this.tile, e.rb.translation(), edge)) return;
        const i = add(e);
        const touching: LiveEntity[] = [];
        this.world.narrowPhase.contactPairsWith(e.collider.handle, (h) => {
          const id = this.byCollider.get(h);
          const o = id === undefined ? undefined : this.entities.get(id);
          if (o && o.body.type === 'dynamic') touching.push(o);
        });
        for (const o of touching.sort(byId)) {
          let inContact = false;
          this.world.contactPair(e.collider, o.collider, (m) => void (inContact ||= m.numContacts() > 0));
          if (!inContact) continue;
          edges.push([i, add(o)]);
          if (!explored.has(o)) queue.push(o);
        }
      }
    };
    // The islands that may leave: linked to a lower tile, or to riders of another tile's platform.
    for (const e of [...links.keys()].sort(byId)) if (links.get(e)!.some((t) => compareTiles(t, this.tile) < 0) || riders.get(e)?.some((t) => !sameTile(t, this.tile))) walk(e, false);
    for (const o of outside) walk(o, true);
    const t = this.tile;
    const nodes: IslandNode[] = members.map((e) => {
      const p = e.rb.translation();
      const close = p.x >= t.x * edge - margin && p.x < (t.x + 1) * edge + margin && p.y >= t.y * edge - margin && p.y < (t.y + 1) * edge + margin && p.z >= t.z * edge - margin && p.z < (t.z + 1) * edge + margin;
      const platform = platforms() ? this.platformTileOf(e) : undefined;
      const rides = riders.get(e);
      return { id: e.id, home: tileOf(p, edge), links: links.get(e) ?? [], close, ...(platform ? { platform } : {}), ...(rides ? { riders: rides } : {}) };
    });
    const out = islandTargets(this.tile, nodes, edges);
    return out.size > 0 ? out : undefined;
  }

  /**
   * True when body `a` touches body `b`, or their bounding spheres close on each other faster
   * than `ISLAND_MIN_CLOSING` within `ISLAND_LOOKAHEAD_S`. `holding` (a guest and a body of the
   * holder) links them also while their bounding spheres overlap, or they close at any speed.
   */
  private linked(a: { p: Vec3; v: Vec3; r: number; collider: Collider }, b: { p: Vec3; v: Vec3; r: number; collider: Collider }, holding: boolean): boolean {
    const dx = a.p.x - b.p.x;
    const dy = a.p.y - b.p.y;
    const dz = a.p.z - b.p.z;
    const reach = a.r + b.r;
    const d2 = dx * dx + dy * dy + dz * dz;
    // Farther than a ghost margin apart: not linked at any closing speed a tile can see.
    const far = reach + this.config.ghostMargin;
    if (d2 > far * far) return false;
    const d = Math.sqrt(d2);
    // Closing speed along the line between centres (m/s); > 0 when they approach.
    const closing = d > 0 ? -((a.v.x - b.v.x) * dx + (a.v.y - b.v.y) * dy + (a.v.z - b.v.z) * dz) / d : 0;
    const gap = d - reach; // ≤ the true gap: bounding spheres
    if (closing > (holding ? 0 : ISLAND_MIN_CLOSING) && gap < closing * ISLAND_LOOKAHEAD_S) return true;
    if (gap >= 0) return false;
    if (holding) return true;
    let touching = false;
    this.world.contactPair(a.collider, b.collider, (m) => void (touching ||= m.numContacts() > 0));
    return touching;
  }

  /** The dynamic entities of this tile standing on `platform` (`supportOf`), by id. */
  private ridersOf(platform: { id: EntityId; collider: Collider }): LiveEntity[] {
    const out: LiveEntity[] = [];
    this.world.narrowPhase.contactPairsWith(platform.collider.handle, (h) => {
      const id = this.byCollider.get(h);
      const o = id === undefined ? undefined : this.entities.get(id);
      if (o && !o.gone && o.body.type === 'dynamic' && this.supportOf(o) === platform.id) out.push(o);
    });
    return out.sort(byId);
  }

  /**
   * The tile of the platform `e` (an entity, or a ghost: what a neighbour's body stands on, as
   * seen here) rides (`supportOf`): this one for an entity, the source of a ghost; undefined when
   * it rides none.
   */
  private platformTileOf(e: { collider: Collider }): TileId | undefined {
    const id = this.supportOf(e);
    if (id === undefined) return undefined;
    if (this.entities.has(id)) return this.tile;
    return parseTileKey(this.ghosts.get(id)!.source);
  }

  /**
   * The kinematic body (entity or ghost) `e` stands on: touching it at the end of the last step
   * (Rapier's contact graph), with the contact normal within 45° of vertical and the body below
   * `e`; the lowest id when several. What a rider rides (`TileContext.support`, the island pass).
   */
  private supportOf(e: { collider: Collider }): EntityId | undefined {
    let best: EntityId | undefined;
    this.world.narrowPhase.contactPairsWith(e.collider.handle, (h) => {
      const id = this.byCollider.get(h);
      if (id === undefined || (best !== undefined && best <= id)) return;
      const o = this.entities.get(id) ?? this.ghosts.get(id);
      if (o === undefined || o.body.type !== 'kinematic') return;
      let below = false;
      this.world.contactPair(e.collider, o.collider, (m, flipped) => {
        // The manifold's normal points from its first collider to its second: from `e` unless flipped.
        if (m.numContacts() > 0) below ||= (flipped ? m.normal().y : -m.normal().y) > Math.SQRT1_2;
      });
      if (below) best = id;
    });
    return best;
  }

  /** True when a body at `p` (bounding radius `radius`) reaches within the ghost margin of a face of the tile, or lies outside it. */
  private nearBorder(p: Vec3, radius: number): boolean {
    const edge = this.config.tileEdge;
    const reach = radius + this.config.ghostMargin;
    const lx = p.x - this.tile.x * edge;
    const ly = p.y - this.tile.y * edge;
    const lz = p.z - this.tile.z * edge;
    return !(lx >= reach && lx <= edge - reach && ly >= reach && ly <= edge - reach && lz >= reach && lz <= edge - reach);
  }

  private ghostTilesOf(p: Vec3, radius: number): readonly TileId[] {
    const edge = this.config.tileEdge;
    const m = this.config.ghostMargin;
    const reach = radius + m;
    const lx = p.x - this.tile.x * edge;
    const ly = p.y - this.tile.y * edge;
    const lz = p.z - this.tile.z * edge;
    if (lx >= reach && lx <= edge - reach && ly >= reach && ly <= edge - reach && lz >= reach && lz <= edge - reach) return NO_TILES;
    const only = this.ghostNeighbours;
    if (only && only.size === 0) return NO_TILES;
    const t = this.tile;
    if (lx < 0 || lx >= edge || ly < 0 || ly >= edge || lz < 0 || lz >= edge) {
      // A body held outside the tile (its island lives here): every tile its reach overlaps,
      // next door or farther (the neighbour filter applies to the 26 neighbours only).
      const out: TileId[] = [];
      for (let x = Math.floor((p.x - reach) / edge); x <= Math.floor((p.x + reach) / edge); x++) {
        for (let y = Math.floor((p.y - reach) / edge); y <= Math.floor((p.y + reach) / edge); y++) {
          for (let z = Math.floor((p.z - reach) / edge); z <= Math.floor((p.z + reach) / edge); z++) {
            if (x === t.x && y === t.y && z === t.z) continue;
            const n = { x, y, z };
            const adjacent = Math.abs(x - t.x) <= 1 && Math.abs(y - t.y) <= 1 && Math.abs(z - t.z) <= 1;
            if (!only || !adjacent || only.has(tileKey(n))) out.push(n);
          }
        }
      }
      return out;
    }
    // Only the 26 neighbours: a body reaching farther is ghosted no farther than next door.
    if (only && only.size === 0) return [];
    // Per axis: -1 when the body reaches over the lower face, +1 over the upper one.
    const lo = (l: number): number => (l < reach ? -1 : 0);
    const hi = (l: number): number => (l > edge - reach ? 1 : 0);
    const out: TileId[] = [];
    for (let dx = lo(lx); dx <= hi(lx); dx++) {
      for (let dy = lo(ly); dy <= hi(ly); dy++) {
        for (let dz = lo(lz); dz <= hi(lz); dz++) {
          if (dx === 0 && dy === 0 && dz === 0) continue;
          const n = { x: t.x + dx, y: t.y + dy, z: t.z + dz };
          if (!only || only.has(tileKey(n))) out.push(n);
        }
      }
    }
    return out;
  }

  /**
   * Works out an entity's share of the tile hash again (id, kind, exact state unless fixed, and
   * props) and puts it in the tile's sums in place of the old one.
   */
  private updateDigest(e: LiveEntity): void {
    // The words hashed, in order: id (as f64), kind, state digest (unless fixed), props digest.
    const w = this.entityWords;
    w[0] = e.idLo;
    w[1] = e.idHi;
    w[2] = e.kindWord;
    let n = 3;
    if (!e.fixed) {
      const sleeping = e.asleep?.stateDigest;
      if (sleeping) {
        w[3] = sleeping[0];
        w[4] = sleeping[1];
      } else this.hashState(e).wordsInto(w, 3);
      n = 5;
    }
    if (!e.hasPropsDigest) {
      const ph = this.scratch.reset();
      for (const key of e.kind.propKeys) {
        const v = e.props[key]!;
        if (typeof v === 'number') ph.f64(v);
        else if (typeof v === 'boolean') ph.u32(v ? 1 : 0);
        else ph.str(v);
      }
      e.propsA = ph.word0() | 0;
      e.propsB = ph.word1() | 0;
      e.hasPropsDigest = true;
    }
    w[n] = e.propsA;
    w[n + 1] = e.propsB;
    const out = this.digestWords;
    this.scratch.reset().u32s(w, n + 2).wordsInto(out, 0);
    const a = out[0]! | 0;
    const b = out[1]! | 0;
    if (e.hasDigest) {
      this.sumA = (this.sumA - e.digestA) | 0;
      this.sumB = (this.sumB - e.digestB) | 0;
    }
    e.digestA = a;
    e.digestB = b;
    e.hasDigest = true;
    this.sumA = (this.sumA + a) | 0;
    this.sumB = (this.sumB + b) | 0;
  }

  /** Hash words of an entity's exact physics state (13 float32 values). */
  private stateDigest(e: LiveEntity): [number, number] {
    return this.hashState(e).words();
  }

  /** The scratch hasher fed with an entity's exact physics state (13 float32 values), for `words()`. */
  private hashState(e: LiveEntity): StateHasher {
    const s = this.stateF32;
    // The end of the step already read the position; nothing moves bodies between then and now
    // (-1: not read since the entity was made or tampered with).
    const at = e.lastTranslationTick;
    put3(s, 0, at >= 0 && at === this.currentTick - 1 ? e.lastTranslation : e.rb.translation(this.velScratch));
    // Read into scratch targets: the same values, without an object per read.
    const q = e.rb.rotation(this.rotScratch);
    s[3] = q.x;
    s[4] = q.y;
    s[5] = q.z;
    s[6] = q.w;
    put3(s, 7, e.rb.linvel(this.velScratch));
    put3(s, 10, e.rb.angvel(this.velScratch));
    // Each float's 32-bit pattern, in that order: what `f32` feeds, value by value.
    return this.scratch.reset().u32s(this.stateU32, 13);
  }

  private kindHash(kind: RegisteredKind): number {
    let k = this.kindHashes.get(kind.def.name);
    if (k === undefined) this.kindHashes.set(kind.def.name, (k = this.scratch.reset().str(kind.def.name).words()[0]));
    return k;
  }

  private fixedGhostOf(e: LiveEntity): LiveEntity['fixedGhost'] {
    const state = readState(e.rb);
    const targets = this.ghostTilesOf(state.position, e.radius);
    return targets.length > 0 ? { targets, ghost: { id: e.id, kind: e.kind.def.name, body: e.body, state } } : undefined;
  }

  private addEntity(desc: EntityDesc, checkPlacement: boolean): LiveEntity {
    checkEntityId(desc.id);
    const where = `entity ${desc.id}`;
    assert(!this.entities.has(desc.id), ErrorCode.DuplicateEntity, () => `${where} already exists in tile ${tileKey(this.tile)}`);
    const kind = this.registry.get(desc.kind);
    checkBodyDesc(desc.body, where);
    checkDynamicState(desc.state, where);
    // A dynamic body may be held outside the tile, with its island (a tile's entity list carries such guests).
    if (checkPlacement && desc.body.type !== 'dynamic') {
      assert(tileContains(this.tile, desc.state.position, this.config.tileEdge), ErrorCode.WrongTile, () => `${where} at (${desc.state.position.x}, ${desc.state.position.y}, ${desc.state.position.z}) is not in tile ${tileKey(this.tile)}`);
    }
    const props = resolveProps(kind, desc.props);
    const ghost = this.ghosts.get(desc.id);
    if (ghost) this.removeGhost(ghost); // the real entity replaces its ghost
    const { rb, collider } = createBody(this.world, desc.body, desc.state, 'entity', kind.def.onContact !== undefined);
    const live = this.makeLive(desc.id, kind, desc.body, props, rb, collider);
    insertSorted(this.order, live);
    this.track(live);
    return live;
  }

  /** The bookkeeping record of an entity whose body exists (not yet in `order` or the indexes). */
  private makeLive(id: EntityId, kind: RegisteredKind, body: BodyDesc, props: Record<string, PropValue>, rb: RigidBody, collider: Collider): LiveEntity {
    // Fields in the order the hot loops read them (behaviours, the after-step visit, the hash),
    // so that each touches few cache lines per entity; hash words are kept as int32 (small
    // integers in the object, not boxed doubles): only their bits matter.
    const live: LiveEntity = {
      id,
      gone: false,
      kind,
      props,
      rb,
      mass: rb.mass(),
      visitStamp: 0,
      awakeStamp: 0,
      asleep: undefined,
      inUnsettled: false,
      inDirty: false,
      lastTranslation: { x: 0, y: 0, z: 0 },
      lastTranslationTick: -1,
      radius: boundingRadius(body.shape),
      fixed: body.type === 'fixed',
      dynamic: body.type === 'dynamic',
      idLo: f64Word(id, 0) | 0,
      idHi: f64Word(id, 1) | 0,
      kindWord: this.kindHash(kind) | 0,
      hasPropsDigest: false,
      propsA: 0,
      propsB: 0,
      hasDigest: false,
      digestA: 0,
      digestB: 0,
      body,
      collider,
      fixedGhost: undefined,
    };
    if (body.type === 'fixed') (live as { fixedGhost: LiveEntity['fixedGhost'] }).fixedGhost = this.fixedGhostOf(live);
    return live;
  }

  private removeEntity(id: EntityId): void {
    const e = this.live(id);
    this.untrack(e);
    this.world.removeRigidBody(e.rb);
    const i = binarySearch(this.order, id);
    if (i >= 0) this.order.splice(i, 1);
  }

  /** Registers an entity in every index (the caller has put it in `order`). */
  private track(e: LiveEntity): void {
    this.entities.set(e.id, e);
    this.byCollider.set(e.collider.handle, e.id);
    e.rb.userData = e;
    if (e.body.type === 'fixed') this.fixedGhostsCache = undefined;
    else {
      this.movable++;
      this.markUnsettled(e);
    }
    if (this.islands && e.body.type === 'dynamic' && !tileContains(this.tile, e.rb.translation(), this.config.tileEdge)) this.guests.add(e);
    this.markDirty(e);
    if (e.kind.propKeys.some((k) => e.kind.def.props?.[k]?.critical)) this.criticalHolders.add(e);
    if (e.kind.def.onStep) insertSorted(this.steppers, e);
  }

  /** Puts a non-fixed entity among those visited after every step. */
  private markUnsettled(e: LiveEntity): void {
    if (e.inUnsettled) return;
    e.inUnsettled = true;
    this.unsettled.add(e);
  }

  /** Marks an entity's share of the hash as needing to be worked out again. */
  private markDirty(e: LiveEntity): void {
    if (e.inDirty) return;
    e.inDirty = true;
    this.digestDirty.add(e);
  }

  private untrack(e: LiveEntity): void {
    this.entities.delete(e.id);
    this.byCollider.delete(e.collider.handle);
    e.rb.userData = undefined;
    this.unsettled.delete(e);
    this.sleepingGhosts.delete(e);
    this.borderSleepers.delete(e);
    this.guests.delete(e);
    this.digestDirty.delete(e);
    this.criticalHolders.delete(e);
    e.gone = true;
    if (!e.fixed) this.movable--;
    e.inUnsettled = false;
    e.inDirty = false;
    if (e.kind.def.onStep) {
      const i = binarySearch(this.steppers, e.id);
      if (i >= 0) this.steppers.splice(i, 1);
    }
    if (e.hasDigest) {
      this.sumA = (this.sumA - e.digestA) | 0;
      this.sumB = (this.sumB - e.digestB) | 0;
      e.hasDigest = false;
    }
    if (e.body.type === 'fixed') this.fixedGhostsCache = undefined;
  }

  /** The ghosts this tile's fixed bodies show in neighbour `to` (the same at every tick: fixed bodies never move). */
  fixedGhostsFor(to: TileId): GhostState[] {
    return this.fixedGhostsOut().get(tileKey(to))?.ghosts ?? [];
  }

  /** True when this tile shows ghosts from neighbour `from`, or has some queued from it. */
  showsGhostsFrom(from: TileId): boolean {
    const key = tileKey(from);
    if (this.pendingGhosts.has(key)) return true;
    for (const g of this.ghosts.values()) if (g.source === key) return true;
    return false;
  }

  /** Fixed bodies' ghosts per neighbour, worked out once (fixed bodies never move); a fresh copy per step. */
  private fixedGhostsOut(): Map<string, { to: TileId; ghosts: GhostState[] }> {
    if (!this.fixedGhostsCache) {
      const cache = new Map<string, { to: TileId; ghosts: GhostState[] }>();
      for (const e of this.order) if (e.fixedGhost) for (const t of e.fixedGhost.targets) addGhostOut(cache, t, e.fixedGhost.ghost);
      this.fixedGhostsCache = cache;
    }
    const out = new Map<string, { to: TileId; ghosts: GhostState[] }>();
    for (const [key, g] of this.fixedGhostsCache) out.set(key, { to: g.to, ghosts: g.ghosts.slice() });
    return out;
  }

  private removeGhost(g: Ghost): void {
    this.byCollider.delete(g.collider.handle);
    this.world.removeRigidBody(g.rb);
    this.ghosts.delete(g.id);
  }

  private applyGhosts(): void {
    if (this.pendingGhosts.size === 0) return;
    const updates = [...this.pendingGhosts.entries()].sort((a, b) => compareTiles(a[1].from, b[1].from));
    this.pendingGhosts.clear();
    const incoming = new Map<EntityId, { source: string; g: GhostState }>();
    const sources = new Set<string>();
    for (const [source, u] of updates) {
      sources.add(source);
      for (const g of u.ghosts) if (!this.entities.has(g.id)) incoming.set(g.id, { source, g });
    }
    // Removals, then creations, each in id order: Rapier's results depend on this order.
    const stale = [...this.ghosts.values()].filter((g) => sources.has(g.source) && !incoming.has(g.id)).sort(byId);
    for (const g of stale) this.removeGhost(g);
    const dt = 1 / this.config.tickRate;
    for (const id of [...incoming.keys()].sort((a, b) => a - b)) {
      const { source, g } = incoming.get(id)!;
      let ghost = this.ghosts.get(id);
      if (!ghost) {
        const { rb, collider } = createBody(this.world, g.body, g.state, 'ghost', false);
        ghost = { id, kind: g.kind, body: g.body, source, radius: boundingRadius(g.body.shape), rb, collider };
        this.ghosts.set(id, ghost);
        this.byCollider.set(collider.handle, id);
      }
      if (g.body.type !== 'fixed') {
        // Place the ghost where its owner left it, and move it along its velocity during this step.
        const s = g.state;
        ghost.rb.setTranslation(s.position, false);
        ghost.rb.setRotation(s.rotation, false);
        ghost.rb.setNextKinematicTranslation({ x: s.position.x + s.linvel.x * dt, y: s.position.y + s.linvel.y * dt, z: s.position.z + s.linvel.z * dt });
        ghost.rb.setNextKinematicRotation(s.rotation);
      }
    }
  }

  private applyImmigrants(): string[] {
    const refused: string[] = [];
    if (this.pendingImmigrants.length === 0) return refused;
    const arrivals = this.pendingImmigrants.sort(byId);
    this.pendingImmigrants = [];
    for (const e of arrivals) {
      if (this.entities.has(e.id)) {
        refused.push(`immigrant ${e.id} refused: already in tile ${tileKey(this.tile)}`);
        continue;
      }
      this.addEntity(e, false);
    }
    return refused;
  }

  private deliverMessages(tick: number): void {
    if (this.pendingMessages.length > 0) {
      this.recording?.messages.push(...this.pendingMessages);
      this.mailbox.push(...this.pendingMessages);
      this.pendingMessages = [];
    }
    if (this.mailbox.length > 1) this.mailbox.sort(compareMessages);
    if (this.mailbox.length === 0 || this.mailbox[0]!.dueTick > tick) return;
    let n = 0;
    while (n < this.mailbox.length && this.mailbox[n]!.dueTick <= tick) n++;
    const due = this.mailbox.slice(0, n);
    this.mailbox = this.mailbox.slice(n);
    for (const m of due) {
      const e = this.entities.get(m.to);
      if (!e) {
        this.rejectedNow.push(`message ${m.topic} from ${m.from} to ${m.to} dropped: no such entity in tile ${tileKey(this.tile)}`);
        continue;
      }
      this.runningEntity = m.to;
      this.runningLive = e;
      e.kind.def.onMessage?.(this.ctx, m.to, m);
    }
  }

  private applyInputs(inputs: readonly EntityInput[]): void {
    if (inputs.length === 0) return;
    const sorted = [...inputs].sort((a, b) => a.entity - b.entity || a.seq - b.seq);
    this.recording?.inputs.push(...sorted);
    for (const input of sorted) {
      const e = this.entities.get(input.entity);
      if (!e) {
        this.rejectedNow.push(`input for ${input.entity} dropped: no such entity in tile ${tileKey(this.tile)}`);
        continue;
      }
      this.runningEntity = input.entity;
      this.runningLive = e;
      try {
        e.kind.def.onInput?.(this.ctx, input.entity, input.data);
      } catch (cause) {
        // A bad input must not stop the tile; the refusal is reported with its reason.
        if (!(cause instanceof TesseraError)) throw cause;
        this.rejectedNow.push(`input for ${input.entity} refused: ${cause.message}`);
      }
    }
  }

  private dispatchContacts(): void {
    const pairs: [EntityId, EntityId][] = [];
    this.events.drainCollisionEvents((h1, h2, started) => {
      if (!started) return;
      const a = this.byCollider.get(h1);
      const b = this.byCollider.get(h2);
      if (a === undefined || b === undefined) return;
      pairs.push(a < b ? [a, b] : [b, a]);
    });
    if (pairs.length === 0) return;
    pairs.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    for (const [a, b] of pairs) {
      const ea = this.entities.get(a);
      if (ea?.kind.def.onContact) {
        this.runningEntity = a;
        this.runningLive = ea;
        ea.kind.def.onContact(this.ctx, a, b);
      }
      const eb = this.entities.get(b);
      if (eb?.kind.def.onContact) {
        this.runningEntity = b;
        this.runningLive = eb;
        eb.kind.def.onContact(this.ctx, b, a);
      }
    }
  }

  private spawn(spec: SpawnSpec): EntityId {
    const kind = this.registry.get(spec.kind);
    const body = spec.body ?? kind.def.body;
    assert(body !== undefined, ErrorCode.BadInput, () => `spawn of kind ${spec.kind} needs a body (the kind defines none)`);
    let id: EntityId;
    do id = spawnedEntityId(this.config.seed, this.tile, this.spawnCounter++);
    while (this.entities.has(id) || this.ghosts.has(id));
    this.addEntity(
      {
        id,
        kind: spec.kind,
        body,
        state: { position: spec.position, rotation: spec.rotation ?? IDENTITY, linvel: spec.linvel ?? ZERO, angvel: spec.angvel ?? ZERO },
        props: spec.props ?? {},
      },
      false,
    );
    this.spawnedNow.push(id);
    return id;
  }

  private setProp(id: EntityId, key: string, value: PropValue): void {
    const e = this.cur(id);
    const spec = e.kind.def.props?.[key];
    assert(spec !== undefined, ErrorCode.BadInput, () => `kind ${e.kind.def.name} has no prop ${JSON.stringify(key)}`);
    checkPropValue(e.kind.def.name, key, spec, value);
    this.touchProps(e);
    e.props[key] = value;
    e.hasPropsDigest = false;
    this.markDirty(e);
    if (spec.critical) this.criticalNow.push({ entity: id, key, value });
  }

  private makeContext(): TileContext {
    const sim = this;
    return {
      get tick() {
        return sim.currentTick;
      },
      dt: 1 / this.config.tickRate,
      tile: this.tile,
      rng: this.rng,
      exists: (id) => sim.entities.has(id) || sim.ghosts.has(id),
      isGhost: (id) => sim.ghosts.has(id),
      kindOf: (id) => sim.entities.get(id)?.kind.def.name ?? sim.ghosts.get(id)?.kind ?? sim.live(id).kind.def.name,
      position: (id) => sim.curBody(id).translation(),
      rotation: (id) => sim.curBody(id).rotation(),
      linvel: (id) => sim.curBody(id).linvel(),
      angvel: (id) => sim.curBody(id).angvel(),
      support: (id) => sim.supportOf(sim.cur(id)),
      mass: (id) => {
        const r = sim.runningLive;
        if (r !== undefined && r.id === id && !r.gone) return r.mass;
        return sim.entities.get(id)?.mass ?? sim.body(id).mass();
      },
      prop: (id, key) => {
        const e = sim.cur(id);
        const v = e.props[key];
        // Plain `if` on this hot path: no message closure is built unless it fails.
        if (v === undefined) throw new TesseraError(ErrorCode.BadInput, `kind ${e.kind.def.name} has no prop ${JSON.stringify(key)}`);
        return v;
      },
      setProp: (id, key, value) => sim.setProp(id, key, value),
      applyImpulse: (id, impulse) => applyImpulse(sim.cur(id).rb, impulse),
      applyTorqueImpulse: (id, impulse) => applyTorqueImpulse(sim.cur(id).rb, impulse),
      moveKinematic: (id, position, rotation) => {
        const e = sim.cur(id);
        assert(e.body.type === 'kinematic', ErrorCode.BadInput, () => `entity ${id} is ${e.body.type}, not kinematic: it cannot be moved by position`);
        e.rb.setNextKinematicTranslation(position);
        if (rotation) e.rb.setNextKinematicRotation(rotation);
      },
      teleport: (id, position) => {
        const e = sim.cur(id);
        assert(e.body.type === 'dynamic', ErrorCode.BadInput, () => `entity ${id} is ${e.body.type}, not dynamic: move a kinematic body with moveKinematic`);
        assert(isFiniteVec(position), ErrorCode.BadInput, () => `teleport of entity ${id}: position must be finite`);
        e.rb.setTranslation(position, true);
        e.rb.setLinvel(ZERO, true);
        e.rb.setAngvel(ZERO, true);
      },
      gravity: { ...this.config.gravity },
      spawnPoint: { ...this.config.spawnPoint },
      floorY: this.config.floorY,
      spawn: (spec) => sim.spawn(spec),
      despawn: (id) => {
        sim.live(id);
        sim.despawnQueue.push(id);
      },
      send: (to: EntityId, topic: string, data: InputData = {}, delayTicks = 1) => {
        checkEntityId(to);
        assert(Number.isInteger(delayTicks) && delayTicks >= 1, ErrorCode.BadInput, () => `message delay must be an integer ≥ 1 tick, got ${delayTicks}`);
        const from = sim.runningEntity;
        const m: EntityMessage = { from, to, topic, data: { ...data }, dueTick: sim.currentTick + delayTicks, seq: sim.messageSeq++ };
        if (sim.entities.has(to)) sim.mailbox.push(m);
        else sim.outbox.push(m);
      },
    };
  }

  /** The entity whose handler is running: a message's sender is recorded, never claimed. */
  private runningEntity: EntityId = 0;
}

function addGhostOut(out: Map<string, { to: TileId; ghosts: GhostState[] }>, to: TileId, ghost: GhostState): void {
  const key = tileKey(to);
  let g = out.get(key);
  if (!g) out.set(key, (g = { to, ghosts: [] }));
  g.ghosts.push(ghost);
}

/** Writes a vector's components to `out[at..at + 2]`. */
function put3(out: Float32Array, at: number, v: Vec3): void {
  out[at] = v.x;
  out[at + 1] = v.y;
  out[at + 2] = v.z;
}

function binarySearch(list: readonly LiveEntity[], id: EntityId): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = list[mid]!.id;
    if (v === id) return mid;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

function insertSorted(list: LiveEntity[], e: LiveEntity): void {
  const i = binarySearch(list, e.id);
  list.splice(i >= 0 ? i : -i - 1, 0, e);
}

/**
 * A tile's snapshot, restore and first steps, once, on a small tile of every shape (resting
 * and sleeping bodies, a falling one, contacts reported to a handler). A process's first
 * restore (a handoff, an audit, a replica's first rollback) ran this code for the first time,
 * and paid for compiling it — JavaScript and WebAssembly — in the middle of a frame: measured
 * 26–77 ms for a 100-box pile whose later restores take 2 ms. Here it is paid while loading.
 */
/** How many times the warm-up restores its small tile (see `warmUpTileRestore`). */
const WARM_UP_RESTORES = 12;

function warmUpTileRestore(): void {
  const registry = new BehaviourRegistry().define({ name: 'warm-up' }, { name: 'warm-up-contact', onContact: () => {} });
  const config = resolveWorldConfig({});
  const c = config.tileEdge / 2;
  const box = (h: number): BodyDesc => ({ type: 'dynamic', shape: { type: 'box', halfExtents: { x: h, y: h, z: h } } });
  const entities: EntityDesc[] = [
    entityDesc({ id: 1, kind: 'warm-up', body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 4, y: 0.5, z: 4 } } }, position: { x: c, y: 0.5, z: c } }),
    entityDesc({ id: 2, kind: 'warm-up', body: box(0.25), position: { x: c - 1, y: 1.25, z: c } }),
    entityDesc({ id: 3, kind: 'warm-up', body: box(0.25), position: { x: c - 1, y: 1.75, z: c } }),
    entityDesc({ id: 4, kind: 'warm-up-contact', body: { type: 'dynamic', shape: { type: 'ball', radius: 0.25 } }, position: { x: c + 1, y: 1.3, z: c }, linvel: { x: 0, y: -2, z: 0 } }),
    entityDesc({ id: 5, kind: 'warm-up-contact', body: { type: 'dynamic', shape: { type: 'capsule', halfHeight: 0.5, radius: 0.3 }, lockRotations: true }, position: { x: c, y: 1.8, z: c + 1 }, linvel: { x: 0.5, y: 0, z: 0 } }),
    entityDesc({ id: 6, kind: 'warm-up', body: { type: 'kinematic', shape: { type: 'box', halfExtents: { x: 0.3, y: 0.3, z: 0.3 } } }, position: { x: c + 2, y: 1.3, z: c + 2 } }),
  ];
  const sim = TileSimulation.create(tileOf({ x: c, y: 0.5, z: c }, config.tileEdge), config, registry, entities);
  let restored: TileSimulation | undefined;
  try {
    for (let i = 0; i < 3; i++) sim.step();
    sim.sleepResting(0.5);
    sim.step();
    // Restored several times: once compiles the restore path, but its JavaScript then still runs
    // in V8's interpreter, and a player's first real restore paid for that (first restore of a
    // 100-box pile at real-time priority: 5.1–5.7 ms after one warm-up restore, 3.9–4.2 ms after
    // twelve, later restores 2.0–2.6 ms).
    const bytes = sim.snapshot();
    for (let i = 1; i < WARM_UP_RESTORES; i++) TileSimulation.restore(bytes, config, registry).dispose();
    restored = TileSimulation.restore(bytes, config, registry);
    for (let i = 0; i < 2; i++) restored.step();
    restored.hashWords();
  } finally {
    restored?.dispose();
    sim.dispose();
  }
}
addPhysicsWarmUp(warmUpTileRestore);
