import type { BehaviourRegistry, EntityInput } from '../core/behaviour.js';
import type { EntityDesc, EntityId, PropValue } from '../core/entity.js';
import { neighbours, tileKey, tileOf, type TileId } from '../core/tile.js';
import type { Quat, Vec3 } from '../core/vec.js';
import type { WorldConfig } from '../core/world-config.js';
import type { EntityPose, PropsUpdate } from '../protocol/messages.js';
import { TileSimulation, type TileContinuity } from '../sim/tile-simulation.js';
import { TileWorld } from '../sim/tile-world.js';

/** Limits of speculation. */
export interface SpeculationConfig {
  /**
   * Bounds of the rewind depth, ticks (default 15–60: 250 ms to 1 s at 60 Hz). The depth follows
   * how late the owners' updates arrive (the 95th percentile of their age, plus 4 ticks), so a
   * distant owner's corrections still rewind instead of overwriting a correct replica; older
   * corrections are applied at the present.
   */
  readonly minRewindTicks: number;
  /** Upper bound of the rewind depth, ticks (default 60: 1 s at 60 Hz); see `minRewindTicks`. */
  readonly maxRewindTicks: number;
  /** Most ticks one rebuild or rollback replays (bounds the cost per frame; default 20). Beyond, the tile jumps to now along its velocities. */
  readonly maxReplayTicksPerCall: number;
  /** A replica entity further than this from the owner's state (metres) is corrected (default 0.01). */
  readonly tolerance: number;
}

/** Rewind depth 15–60 ticks, at most 20 ticks replayed per rebuild or rollback, 0.01 m tolerance. */
export const DEFAULT_SPECULATION: SpeculationConfig = { minRewindTicks: 15, maxRewindTicks: 60, maxReplayTicksPerCall: 20, tolerance: 0.01 };

/** One entity of a speculative replica, at the replica world's tick. */
export interface SpeculativeEntity {
  /** The entity's id. */
  readonly id: EntityId;
  /** Its kind's registered name. */
  readonly kind: string;
  /** The replicated tile it is in. */
  readonly tile: TileId;
  /** Position, metres. */
  readonly position: Vec3;
  /** Orientation, a unit quaternion. */
  readonly rotation: Quat;
  /** Linear velocity, m/s. */
  readonly velocity: Vec3;
  /** Its body description. */
  readonly body: EntityDesc['body'];
}

interface Pending {
  readonly tile: TileId;
  readonly tick: number;
  readonly apply: (sim: TileSimulation) => void;
  /** Owner-reported positions (for the prediction error), per entity. */
  readonly truth: readonly { id: EntityId; x: number; y: number; z: number }[];
  /** The delta itself (undefined for a full state): kept for the tile's queued rebuild when one is due first. */
  readonly delta?: DeltaUpdate;
}

/** An owner's delta of a tile, as `applyDelta` takes it. */
interface DeltaUpdate {
  readonly tick: number;
  readonly poses: readonly EntityPose[];
  readonly removed: readonly EntityId[];
  readonly departed: readonly EntityId[];
  readonly props: readonly PropsUpdate[];
}

const SAMPLES = 1024;
/** Update ages kept for the rewind depth. */
const AGE_SAMPLES = 128;
/** Below this speed (m/s, summed over axes) a body counts as at rest. */
const RESTING = 0.05;
/** Ticks between a replica's snapshots. */
const SNAPSHOT_EVERY = 8;
/**
 * Replicas further behind the clock than this (ticks; 750 ms) jump to the present instead of
 * catching up. A jump forgets every tile's history, so the owners' next updates all rebuild or
 * correct late: at 250 ms a loaded tab (a frame of 300 ms now and then) jumped about once a
 * second and spent its time rebuilding, which made its frames longer still.
 */
const JUMP_AFTER_TICKS = 45;
/** How long a tile seen for the first time waits for the state of a neighbour its island lies in: ticks, and frames (`stepTo` calls). */
const ISLAND_WAIT_TICKS = 30;
const ISLAND_WAIT_FRAMES = 10;

/** An owner's full state that disagreed with the replica (or was its first): rebuilt from at the next `stepTo`. */
interface Rebuild {
  readonly tile: TileId;
  readonly tick: number;
  readonly entities: readonly EntityDesc[];
  readonly continuity?: TileContinuity;
  /**
   * The owner's deltas of later ticks that came while the rebuild waited: applied after it, in
   * tick order. Applied before it, to the replica it replaces, they were lost with that replica
   * (and a props change a delta carries, such as a player's new walking input, is sent only a
   * few times: the rebuilt replica walked on the old way until the next full state).
   */
  readonly later: DeltaUpdate[];
}

/**
 * Speculative replicas (DESIGN: replica/, paper §3.7–3.8): every subscribed tile this node does
 * not own is stepped with the same `src/sim` code, from the owner's last state plus the inputs
 * this node knows, so replicas move on their real trajectories between updates (a train on a
 * curve stays on the curve, a ball keeps its arc). A ring of recent snapshots per tile lets an
 * update for a past tick T rewind the tile to T, apply the owner's state, and replay to now.
 */
export class SpeculativeReplicas {
  private world: TileWorld;
  private readonly rings = new Map<string, { tick: number; snapshot: Uint8Array }[]>();
  /** Per tile, the moving entities' positions and velocities of recent ticks: updates are compared with these without restoring anything. */
  private readonly history = new Map<string, Map<number, Map<EntityId, Float64Array>>>();
  private readonly pending = new Map<string, Pending[]>();
  /** Full states waiting to rebuild their tile (the newest per tile). */
  private readonly rebuilds = new Map<string, Rebuild>();
  /** When a tile seen for the first time began waiting for a neighbour its island lies in (world tick), and for how many frames it has. */
  private readonly queuedAt = new Map<string, { tick: number; frames: number }>();
  /**
   * Entities a replica lost that an owner may still report (at most `LOST_KEPT`, oldest first out):
   * a rewound tile replays without the bodies that entered it from a neighbour in between (the
   * neighbour is not replayed), and a replay may send a body out that the original run kept. An
   * owner's delta naming one brings it back into the tile it names.
   */
  private readonly lost = new Map<EntityId, EntityDesc>();
  /**
   * The tile whose owner last reported each entity, and the tick of that report: a tile rewound
   * to a snapshot that still held an entity another replica holds now keeps it only if its own
   * owner reported it last (seed 976: a ball that had left a rewound tile came back into it, and
   * was shown there, 9 m from where its owner had it, for good).
   */
  private readonly reportedIn = new Map<EntityId, { key: string; tick: number }>();
  /** Per tile, the RNG state and counters of recent ticks (`TileContinuity` as a string): a full state that differs rebuilds. */
  private readonly continuityAt = new Map<string, Map<number, string>>();
  /** Per tile and tick, the props an entity had before that tick's step wrote them: an owner's state of a past tick is compared with the props as they were then. */
  private readonly propsAt = new Map<string, Map<number, Map<EntityId, Readonly<Record<string, PropValue>>>>>();
  private inputs: { tick: number; input: EntityInput }[] = [];
  private readonly errors: number[] = [];
  /** How late the recent updates arrived, ticks (a ring): the rewind depth follows it. */
  private readonly ages: number[] = [];
  private agesSeen = 0;
  /** The rewind depth now, ticks (between the settings' bounds). */
  private depth: number;
  /** Counters for stats. */
  readonly counters = {
    /** Deltas that rewound a replica to their tick, corrected it and replayed it to now. */
    rollbacks: 0,
    /** Ticks re-simulated (rewinding to a past tick and replaying to now), ticks. */
    replayedTicks: 0,
    /** Replicas rebuilt from an owner's full state. */
    rebuilds: 0,
    /** Corrections older than the rewind depth, applied at the present instead. */
    lateCorrections: 0,
    /** Owner updates taken (full states and deltas). */
    updates: 0,
    /** Times the replicas were too far behind the clock and jumped to the present. */
    jumps: 0,
    /** Resting entities moved onto the owner's state from a full state that otherwise agreed (no rebuild). */
    settled: 0,
  };

  constructor(
    private readonly config: WorldConfig,
    private readonly registry: BehaviourRegistry,
    startTick: number,
    /** Limits of speculation (rewind depth, replay budget, tolerance). */
    readonly settings: SpeculationConfig = DEFAULT_SPECULATION,
  ) {
    this.world = TileWorld.partial(config, registry, startTick);
    this.depth = settings.minRewindTicks;
  }

  /** The rewind depth now, ticks: how far back an owner's update may still roll a replica back. */
  get rewindDepth(): number {
    return this.depth;
  }

  /**
   * Notes how late an update for `tick` arrived. Every 32 updates the depth is set from the p95 of
   * the last 128; before the first 32 it is set from what there is at the 4th, 8th and 16th
   * update, so a new replica follows a distant owner within a few updates (at 12 a second, 32
   * took 3 s, and its updates applied at the present all that time). It does not grow at once to
   * cover each older update: see docs/timeline.md (Rollback) for what that did to convergence.test.
   */
  private noteAge(tick: number): void {
    const age = Math.max(0, this.world.tick - tick);
    this.ages[this.agesSeen++ % AGE_SAMPLES] = age;
    const warmingUp = this.agesSeen < 32 && this.agesSeen >= 4 && (this.agesSeen & (this.agesSeen - 1)) === 0;
    if (this.agesSeen % 32 !== 0 && !warmingUp) return;
    const sorted = [...this.ages].sort((a, b) => a - b);
    const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
    this.depth = Math.max(this.settings.minRewindTicks, Math.min(this.settings.maxRewindTicks, p95 + 4));
  }

  /** The tick every replica stands at. */
  get tick(): number {
    return this.world.tick;
  }

  /** True when `tile` is replicated here. */
  holds(tile: TileId): boolean {
    return this.world.holds(tile);
  }

  /** An input this node knows of (its own player's), replayed with the tiles it touches. */
  addInput(tick: number, input: EntityInput): void {
    this.inputs.push({ tick, input });
    const oldest = this.world.tick - this.settings.maxRewindTicks - this.config.tickRate;
    if (this.inputs.length > 256) this.inputs = this.inputs.filter((i) => i.tick >= oldest);
  }

  /**
   * The owner's full state of a tile at `tick`. A replica that agrees with it keeps running;
   * otherwise it is rebuilt from it and rolled forward to now — one rebuild per `stepTo`, so a
   * burst of full states (joining a busy area) is spread over frames.
   */
  applyState(tile: TileId, tick: number, entities: readonly EntityDesc[], continuity?: TileContinuity): void {
    this.counters.updates++;
    this.noteAge(tick);
    const key = tileKey(tile);
    if (tick > this.world.tick) {
      this.defer(key, { tile, tick, apply: () => this.applyState(tile, tick, entities, continuity), truth: [] });
      return;
    }
    this.measure(key, tick, entities.map((e) => ({ id: e.id, ...e.state.position })));
    // A replica that already agrees with the owner keeps running (its solver and sleep state
    // are worth more than a rebuild): only a disagreement rebuilds it — bodies, props, or the
    // random numbers it would draw next.
    const sameDraws = !continuity || this.continuityAt.get(key)?.get(tick) === continuityKey(continuity);
    // A rebuild already queued for the tile replaces the replica now running: a newer full state
    // supersedes it (whether or not that replica agrees), an older one is not worth a rebuild.
    const queued = this.rebuilds.get(key);
    if (queued && tick <= queued.tick) return;
    if (!queued && sameDraws && this.agreesWith(key, tile, tick, entities)) return;
    const later = (queued?.later ?? []).filter((d) => d.tick > tick);
    this.rebuilds.set(key, { tile, tick, entities, ...(continuity ? { continuity } : {}), later });
  }

  private rebuildOne(): void {
    const next = this.nextRebuild();
    if (!next) return;
    const [key, r] = next;
    const firstSeen = !this.world.holds(r.tile);
    this.rebuild(key, r);
    // A tile seen for the first time whose island lies partly in neighbours also seen for the
    // first time comes with them, in one frame: stepped alone, the bodies over the neighbour
    // stood on nothing and fell (the demo's crates stacked across x = 32, 0.3-1.8 m).
    if (!firstSeen || this.rebuilds.size === 0) return;
    for (const t of this.islandNeighbours(r)) {
      const k = tileKey(t);
      const q = this.rebuilds.get(k);
      if (q && !this.world.holds(t)) this.rebuild(k, q);
    }
  }

  /**
   * The first queued rebuild, except that a tile seen for the first time whose bodies lie partly
   * in a neighbour that is neither replicated nor queued waits for that neighbour's state (up to
   * `ISLAND_WAIT_TICKS` and `ISLAND_WAIT_FRAMES`): its floor there is the neighbour's.
   */
  private nextRebuild(): [string, Rebuild] | undefined {
    for (const entry of this.rebuilds) {
      const [key, r] = entry;
      if (this.world.holds(r.tile)) return entry;
      const waiting = this.islandNeighbours(r).some((t) => !this.world.holds(t) && !this.rebuilds.has(tileKey(t)));
      if (!waiting) return entry;
      // Waited long enough, in ticks and in frames (a stalled page's first frame is many ticks
      // later, with the neighbour's state still in the queue behind it).
      const since = this.queuedAt.get(key) ?? { tick: this.world.tick, frames: 0 };
      this.queuedAt.set(key, { tick: since.tick, frames: since.frames + 1 });
      if (this.world.tick - since.tick >= ISLAND_WAIT_TICKS && since.frames >= ISLAND_WAIT_FRAMES) return entry;
    }
    return undefined;
  }

  /** Tiles other than `r.tile` in which dynamic bodies of its state lie (an island held whole by it). */
  private islandNeighbours(r: Rebuild): TileId[] {
    const out = new Map<string, TileId>();
    const own = tileKey(r.tile);
    for (const e of r.entities) {
      if (e.body.type !== 'dynamic') continue;
      const t = tileOf(e.state.position, this.config.tileEdge);
      const k = tileKey(t);
      if (k !== own) out.set(k, t);
    }
    return [...out.values()];
  }

  private rebuild(key: string, r: Rebuild): void {
    this.rebuilds.delete(key);
    this.queuedAt.delete(key);
    // Every entity the owner's tile holds, including dynamic bodies whose reference point lies
    // outside it (held with their island): the replica's step decides where they go exactly as
    // the owner's does. Dropping them lost them from the view and made every later update of the
    // tile disagree (a rollback per delta, a rebuild per full state). Anything else outside the
    // tile no honest owner holds (a forged state): left out, as a tile refuses it.
    const entities = r.entities.filter((e) => e.body.type === 'dynamic' || sameTile(r.tile, e.state.position, this.config.tileEdge));
    for (const e of entities) if (e.body.type !== 'fixed') this.noteReport(e.id, key, r.tick);
    this.counters.rebuilds++;
    if (!this.world.holds(r.tile)) {
      // A tile seen for the first time has nothing to correct: it starts at the present,
      // its bodies moved along their velocities (no replay of the ticks in between).
      const sim = this.standalone(TileSimulation.create(r.tile, this.config, this.registry, this.jumped(r.tile, entities, this.world.tick - r.tick), this.world.tick, r.continuity));
      this.install(key, sim, sim.tick);
    } else {
      const sim = this.standalone(TileSimulation.create(r.tile, this.config, this.registry, entities, r.tick, r.continuity));
      this.install(key, sim, r.tick);
    }
    // The deltas that came while it waited correct the rebuilt replica, as they would have had it been in place.
    for (const d of [...r.later].sort((a, b) => a.tick - b.tick)) this.correctDelta(key, r.tile, d);
  }

  /**
   * What a replica's tile holds, to rebuild it from: what lies in it, and its dynamic bodies
   * lying in neighbours replicated here (an island is held whole by one tile, with bodies past its
   * border: leaving them out dropped the half of the demo's crate stack lying in the next tile,
   * and the rest fell). A body past the border into a tile not replicated here (a correction
   * applied at the present can leave one there) is left out: that tile's owner reports it.
   */
  private insideOf(sim: TileSimulation): EntityDesc[] {
    const edge = this.config.tileEdge;
    return sim.describeAll().filter((e) => sameTile(sim.tile, e.state.position, edge) || (e.body.type === 'dynamic' && this.world.holds(tileOf(e.state.position, edge))));
  }

  /** Entity states moved `ticks` ahead along their velocities (staying in `tile`). */
  private jumped(tile: TileId, entities: readonly EntityDesc[], ticks: number): EntityDesc[] {
    if (ticks <= 0) return [...entities];
    const ahead = ticks / this.config.tickRate;
    return entities.map((e) => {
      const { position: p, linvel: v } = e.state;
      const to = { x: p.x + v.x * ahead, y: p.y + v.y * ahead, z: p.z + v.z * ahead };
      return sameTile(tile, to, this.config.tileEdge) ? { ...e, state: { ...e.state, position: to } } : e;
    });
  }

  /**
   * The owner's delta for a past tick: when the replica disagrees with it (beyond the tolerance),
   * the tile is rewound to that tick, corrected, and replayed to now. Returns true on a rollback.
   */
  applyDelta(tile: TileId, tick: number, poses: readonly EntityPose[], removed: readonly EntityId[], departed: readonly EntityId[], props: readonly PropsUpdate[] = []): boolean {
    this.counters.updates++;
    this.noteAge(tick);
    const key = tileKey(tile);
    const d: DeltaUpdate = { tick, poses, removed, departed, props };
    // A full state of an earlier tick waits to rebuild the tile: this delta corrects what it rebuilds.
    const queued = this.rebuilds.get(key);
    if (queued && tick > queued.tick && tick <= this.world.tick) {
      queued.later.push(d);
      return false;
    }
    return this.correctDelta(key, tile, d);
  }

  /** `applyDelta` without the bookkeeping of an arrival (also used for the deltas a rebuild waited with). */
  private correctDelta(key: string, tile: TileId, d: DeltaUpdate): boolean {
    const { tick, poses, removed, departed, props } = d;
    if (!this.world.holds(tile)) return false;
    for (const p of poses) this.noteReport(p.id, key, tick);
    const correct = (sim: TileSimulation): void => {
      for (const p of poses) if (!sim.has(p.id)) this.bringIn(sim, p);
      for (const u of props) if (sim.has(u.id)) sim.tamper(u.id, { props: u.props });
      for (const p of poses) {
        if (!sim.has(p.id)) continue;
        sim.tamper(p.id, { position: { x: p.x, y: p.y, z: p.z }, linvel: { x: p.vx, y: p.vy, z: p.vz }, rotation: p.rotation ?? { x: 0, y: 0, z: 0, w: 1 }, angvel: p.angvel ?? ZERO_SPIN });
      }
      const gone = [...removed, ...departed].filter((id) => sim.has(id));
      if (gone.length > 0) {
        sim.receiveRemovals(gone);
        sim.applyInbound();
      }
    };
    const truth = poses.map((p) => ({ id: p.id, x: p.x, y: p.y, z: p.z }));
    if (tick > this.world.tick) {
      this.defer(key, { tile, tick, apply: correct, truth, delta: d });
      return false;
    }
    const seenThen = this.history.get(key)?.get(tick);
    if (seenThen && tick >= this.world.tick - this.depth) {
      this.recordFrom(truth, seenThen);
      const propsNow = this.world.tileAt(tile)!;
      // (The history holds moving bodies only: a removed fixed body is looked for in the tile.)
      const agree =
        removed.every((id) => !seenThen.has(id) && !propsNow.has(id)) &&
        departed.every((id) => !seenThen.has(id)) &&
        props.every((u) => !propsNow.has(u.id) || holdsProps(this.propsThen(key, propsNow, u.id, tick), u.props)) &&
        poses.every((p) => {
          const h = seenThen.get(p.id);
          if (!h) return false;
          const d = Math.max(Math.abs(h[0]! - p.x), Math.abs(h[1]! - p.y), Math.abs(h[2]! - p.z));
          const dv = Math.abs(h[3]! - p.vx) + Math.abs(h[4]! - p.vy) + Math.abs(h[5]! - p.vz);
          return d <= this.settings.tolerance && dv <= 0.05 && spinDiffers(h[6]!, h[7]!, h[8]!, p) <= SPIN_TOLERANCE;
        });
      if (agree) return false;
    }
    const past = this.stateAt(key, tick);
    if (!past) {
      // Older than the rewind depth: the correction applies at the present, moved along its velocity.
      const sim = this.world.tileAt(tile)!;
      const ahead = (this.world.tick - tick) / this.config.tickRate;
      for (const u of props) if (sim.has(u.id)) sim.tamper(u.id, { props: u.props });
      for (const p of poses) if (sim.has(p.id)) sim.tamper(p.id, { position: { x: p.x + p.vx * ahead, y: p.y + p.vy * ahead, z: p.z + p.vz * ahead }, linvel: { x: p.vx, y: p.vy, z: p.vz }, angvel: p.angvel ?? ZERO_SPIN });
      const gone = [...removed, ...departed].filter((id) => sim.has(id));
      if (gone.length > 0) {
        sim.receiveRemovals(gone);
        sim.applyInbound();
      }
      this.counters.lateCorrections++;
      return false;
    }
    const worst = this.disagreement(past, poses);
    if (!seenThen) this.record(truth, past);
    const propsDiffer = props.some((u) => past.has(u.id) && !holdsProps(past.describe(u.id).props, u.props));
    if (worst <= this.settings.tolerance && !propsDiffer && removed.length === 0 && departed.every((id) => !past.has(id))) {
      past.dispose();
      return false;
    }
    correct(past);
    this.counters.rollbacks++;
    this.install(key, past, tick);
    return true;
  }

  /**
   * Puts an entity the owner reports in `sim`'s tile into it, from wherever the replicas have it:
   * another tile (which lets it go), the current replica of the same tile (`sim` is a rewound
   * copy), or the entities lost to replays. Nothing when the replicas never had it (its full
   * state brings it).
   */
  private bringIn(sim: TileSimulation, p: EntityPose): void {
    // (A scan, not the world's directory: a tile corrected in place does not update it. Rare.)
    const holder = this.world.tileList().find((t) => t.has(p.id));
    let desc: EntityDesc | undefined;
    if (holder) {
      desc = holder.describe(p.id);
      if (holder !== sim && tileKey(holder.tile) !== tileKey(sim.tile)) {
        holder.receiveRemovals([p.id]);
        holder.applyInbound();
      }
    } else desc = this.lost.get(p.id);
    if (!desc) return;
    this.lost.delete(p.id);
    const state = { ...desc.state, position: { x: p.x, y: p.y, z: p.z }, linvel: { x: p.vx, y: p.vy, z: p.vz }, rotation: p.rotation ?? desc.state.rotation, angvel: p.angvel ?? ZERO_SPIN };
    sim.receiveImmigrants([{ ...desc, state }]);
    sim.applyInbound();
  }

  private noteReport(id: EntityId, key: string, tick: number): void {
    const was = this.reportedIn.get(id);
    if (was && was.tick > tick) return;
    // Re-inserted, so the oldest reports come first (pruned from the front).
    this.reportedIn.delete(id);
    this.reportedIn.set(id, { key, tick });
    if (this.reportedIn.size > REPORTS_KEPT) this.reportedIn.delete(this.reportedIn.keys().next().value!);
  }

  /**
   * An entity is in one replica at a time: of a tile being installed (rebuilt, or rewound and
   * replayed) and another replica holding the same entity, the copy its owner reported last
   * stays — the installed tile's only when its own owner reported it last; the running copy
   * otherwise (a snapshot from before the entity left is no evidence it is still there).
   */
  private oneCopyEach(key: string, sim: TileSimulation): void {
    for (const other of this.world.tileList()) {
      if (tileKey(other.tile) === key) continue;
      const both = sim.entityIds().filter((id) => other.has(id));
      if (both.length === 0) continue;
      const fromOther = both.filter((id) => this.reportedIn.get(id)?.key === key);
      const fromSim = both.filter((id) => this.reportedIn.get(id)?.key !== key);
      if (fromOther.length > 0) {
        other.receiveRemovals(fromOther);
        other.applyInbound();
      }
      if (fromSim.length > 0) {
        sim.receiveRemovals(fromSim);
        sim.applyInbound();
      }
    }
  }

  private keepLost(e: EntityDesc): void {
    this.lost.delete(e.id);
    this.lost.set(e.id, e);
    if (this.lost.size > LOST_KEPT) this.lost.delete(this.lost.keys().next().value!);
  }

  /** Stops replicating a tile (now owned here, or out of interest). */
  drop(tile: TileId): void {
    const key = tileKey(tile);
    this.world.releaseTile(tile)?.dispose();
    this.rings.delete(key);
    this.history.delete(key);
    this.continuityAt.delete(key);
    this.propsAt.delete(key);
    this.pending.delete(key);
    this.rebuilds.delete(key);
    this.queuedAt.delete(key);
  }

  /**
   * Tells the replicas who owns each tile (undefined: not known). Replicas of tiles with one owner
   * touch across their border as that owner's world does; tiles of different owners exchange no
   * ghosts here, because neither owner sees the other's bodies as this world would: the relay
   * sees only a player tile's fixed bodies, a player sees the other owner's through its own
   * replicas. Letting them touch made a replica move a box resting on a border into the
   * neighbour's island, which its owner never did (convergence seed 117: the box left the
   * replica of its tile until the next full state).
   */
  setOwners(ownerOf: (tile: TileId) => number | undefined): void {
    this.ownerOf = ownerOf;
    this.world.setGhostLink(this.sameOwner);
  }

  private ownerOf: ((tile: TileId) => number | undefined) | undefined;
  private readonly sameOwner = (a: TileId, b: TileId): boolean => {
    const owner = this.ownerOf!(a);
    return owner !== undefined && owner === this.ownerOf!(b);
  };

  /** Steps every replica to `tick` (at most `maxTicks` at once: a frame's cost stays bounded), keeping each tile's recent snapshots. */
  stepTo(tick: number, maxTicks = 6): void {
    if (this.ownerOf) this.world.refreshGhostLinks(); // owners change with leases
    this.rebuildOne();
    // Too far behind to catch up within a frame or two (the page stalled): jump to the present
    // rather than show the world that far in the past while grinding through the gap.
    if (tick - this.world.tick > JUMP_AFTER_TICKS) this.jumpTo(tick);
    let n = 0;
    while (this.world.tick < tick && n < maxTicks) {
      const t = this.world.tick;
      this.world.step(this.inputsAt(t, undefined));
      n++;
      this.keep();
      this.applyDue();
    }
  }

  /**
   * Every replica moved to `tick` at once: bodies carried along their velocities (as a tile seen
   * for the first time is), histories dropped. Owner updates held for ticks in between apply now,
   * as corrections at the present.
   */
  private jumpTo(tick: number): void {
    const gap = tick - this.world.tick;
    const next = TileWorld.partial(this.config, this.registry, tick);
    if (this.ownerOf) next.setGhostLink(this.sameOwner);
    for (const sim of this.world.tileList()) {
      const key = tileKey(sim.tile);
      const moved = TileSimulation.create(sim.tile, this.config, this.registry, this.jumped(sim.tile, this.insideOf(sim), gap), tick, sim.continuity());
      next.adoptTile(moved);
      this.history.get(key)?.clear();
      this.continuityAt.get(key)?.clear();
      this.propsAt.get(key)?.clear();
      this.remember(key, moved);
      this.rings.set(key, [{ tick, snapshot: moved.snapshot() }]);
    }
    for (const sim of next.tileList()) next.seedFixedGhosts(sim);
    this.world.dispose();
    this.world = next;
    this.counters.jumps++;
    this.applyDue();
  }

  /** Entities of every replica, at the replica tick. */
  entities(): SpeculativeEntity[] {
    const out: SpeculativeEntity[] = [];
    for (const sim of this.world.tileList()) {
      for (const e of sim.describeAll()) out.push({ id: e.id, kind: e.kind, body: e.body, tile: sim.tile, position: e.state.position, rotation: e.state.rotation, velocity: e.state.linvel });
    }
    return out;
  }

  /** Prediction error of the replicas against the owners' states for the same tick, cm (recent samples). */
  predictionErrorCm(): {
    /** Median error, cm (0 with no samples). */
    p50: number;
    /** 99th-percentile error, cm (0 with no samples). */
    p99: number;
    /** Number of samples (the last 1024 at most). */
    samples: number;
  } {
    const s = [...this.errors].sort((a, b) => a - b);
    const at = (q: number): number => (s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!);
    return { p50: at(0.5), p99: at(0.99), samples: s.length };
  }

  /** The tiles replicated here. */
  tiles(): TileId[] {
    return this.world.tileList().map((s) => s.tile);
  }

  /** Frees every replica's physics world. The replicas must not be used afterwards. */
  dispose(): void {
    this.world.dispose();
    this.rings.clear();
  }

  // ---- internals ----

  /**
   * A tile simulation stepped on its own (a rewind's replay, a rebuild) before the replica world
   * adopts it: it sends ghosts only to the neighbours the world holds, as it will once adopted.
   * Ghosts for the other neighbours would be dropped, and cost a full state read per replayed
   * tick for every body near a face (every avatar on the ground is near the tile below). Ghost
   * exports are outputs only: the tile's own simulation is the same either way.
   */
  private standalone(sim: TileSimulation): TileSimulation {
    sim.setGhostNeighbours(this.world.ghostNeighboursOf(sim.tile));
    this.world.seedFixedGhosts(sim);
    return sim;
  }

  /** Rolls `sim` (standing at `from`) forward to the world's tick with the known inputs, then puts it in place of the tile. */
  private install(key: string, sim: TileSimulation, from: number): void {
    const tile = sim.tile;
    const ring: { tick: number; snapshot: Uint8Array }[] = [{ tick: from, snapshot: sim.snapshot() }];
    this.history.get(key)?.clear();
    this.continuityAt.get(key)?.clear();
    this.propsAt.get(key)?.clear();
    this.remember(key, sim);
    // A correction as old as the rewind depth must replay in full, or the depth buys nothing.
    let budget = Math.max(this.settings.maxReplayTicksPerCall, this.depth + 2);
    while (sim.tick < this.world.tick && budget-- > 0) {
      const { emigrants } = sim.step(this.inputsAt(sim.tick, sim));
      // The original run already handed on what left then; a body the replay sends out that the
      // world does not hold elsewhere waits for its new owner's report.
      for (const m of emigrants) if (!this.world.tileList().some((t) => tileKey(t.tile) !== key && t.has(m.entity.id))) this.keepLost(m.entity);
      sim.applyInbound();
      this.counters.replayedTicks++;
      this.remember(key, sim);
      if (sim.tick - ring[ring.length - 1]!.tick >= SNAPSHOT_EVERY) ring.push({ tick: sim.tick, snapshot: sim.snapshot() });
    }
    // Out of budget (a long stall, a late full state): the rest is not simulated but jumped over
    // along each body's velocity, rather than stalling the frame.
    if (sim.tick < this.world.tick) {
      const fresh = TileSimulation.create(tile, this.config, this.registry, this.jumped(tile, this.insideOf(sim), this.world.tick - sim.tick), this.world.tick, sim.continuity());
      sim.dispose();
      sim = fresh;
      ring.length = 0;
      ring.push({ tick: sim.tick, snapshot: sim.snapshot() });
    }
    const old = this.world.releaseTile(tile);
    if (old) {
      for (const id of old.entityIds()) if (!sim.has(id)) this.keepLost(old.describe(id));
      old.dispose();
    }
    this.oneCopyEach(key, sim);
    this.world.adoptTile(sim);
    this.world.seedFixedGhostsAround(tile);
    while (ring.length > 1 && ring[1]!.tick <= sim.tick - this.depth) ring.shift();
    this.rings.set(key, ring);
  }

  /** Snapshots every few ticks (a rewind restores the one before and steps to the tick it needs). */
  private keep(): void {
    for (const sim of this.world.tileList()) {
      const key = tileKey(sim.tile);
      this.remember(key, sim);
      const ring = this.rings.get(key) ?? [];
      const last = ring[ring.length - 1];
      if (last && sim.tick - last.tick < SNAPSHOT_EVERY) continue;
      // Nothing moved since the last snapshot: a rewind restores that one and steps (cheaply) on.
      if (last && this.stillSince(key, last.tick)) continue;
      ring.push({ tick: sim.tick, snapshot: sim.snapshot() });
      while (ring.length > 1 && ring[1]!.tick <= sim.tick - this.depth) ring.shift();
      this.rings.set(key, ring);
    }
  }

  /** True when no body of the tile moved from tick `from` on (as far as the kept history says). */
  private stillSince(key: string, from: number): boolean {
    const h = this.history.get(key);
    if (!h) return false;
    for (const [t, states] of h) {
      if (t < from) continue;
      for (const s of states.values()) if (s[3] !== 0 || s[4] !== 0 || s[5] !== 0) return false;
    }
    return h.has(from) || from < Math.min(...h.keys());
  }

  /**
   * Whether the replica agrees with the owner's full state of `tick`. Bodies the owner has at
   * rest that the replica has a little elsewhere (a pile settling differently) are put where the
   * owner has them, at once, instead of costing a rebuild. True when nothing else differs.
   */
  private agreesWith(key: string, tile: TileId, tick: number, entities: readonly EntityDesc[]): boolean {
    const then = this.history.get(key)?.get(tick);
    const now = this.world.tileAt(tile);
    if (!then || !now || tick < this.world.tick - this.depth) return false;
    let moving = 0;
    const settle: EntityDesc[] = [];
    for (const e of entities) {
      if (!now.has(e.id)) return false;
      if (JSON.stringify(this.propsThen(key, now, e.id, tick)) !== JSON.stringify(e.props)) return false;
      if (e.body.type === 'fixed') continue;
      moving++;
      const h = then.get(e.id);
      if (!h) return false;
      const p = e.state.position;
      const v = e.state.linvel;
      const far = Math.max(Math.abs(h[0]! - p.x), Math.abs(h[1]! - p.y), Math.abs(h[2]! - p.z)) > this.settings.tolerance;
      const dv = Math.abs(h[3]! - v.x) + Math.abs(h[4]! - v.y) + Math.abs(h[5]! - v.z);
      const resting = Math.abs(v.x) + Math.abs(v.y) + Math.abs(v.z) < RESTING && Math.abs(h[3]!) + Math.abs(h[4]!) + Math.abs(h[5]!) < RESTING;
      if ((far || dv > 0.05) && !resting) return false;
      if (far) settle.push(e);
    }
    if (moving !== then.size) return false;
    // An entity the owner no longer has (a despawn whose delta was lost) means a rebuild too;
    // fixed bodies are not in the motion history, so count the whole tile.
    if (now.entityIds().length !== entities.length) return false;
    for (const e of settle) now.tamper(e.id, { position: e.state.position, rotation: e.state.rotation, linvel: e.state.linvel, angvel: e.state.angvel });
    // (Left awake: Rapier puts them back to sleep with their contacts. Put to sleep by hand, a
    // body could keep falling while marked asleep: the demo's crates sank through the floor.)
    this.counters.settled += settle.length;
    return true;
  }

  /** Keeps the moving entities' state of this tick (and forgets ticks beyond the rewind depth). */
  private remember(key: string, sim: TileSimulation): void {
    let h = this.history.get(key);
    if (!h) this.history.set(key, (h = new Map()));
    const now = new Map<EntityId, Float64Array>();
    // Bodies asleep since the last tick keep last tick's record (no physics read).
    sim.forEachMoving((id, motion) => now.set(id, motion), h.get(sim.tick - 1));
    h.set(sim.tick, now);
    for (const t of h.keys()) {
      if (t >= sim.tick - this.depth) break;
      h.delete(t);
    }
    let c = this.continuityAt.get(key);
    if (!c) this.continuityAt.set(key, (c = new Map()));
    c.set(sim.tick, continuityKey(sim.continuity()));
    for (const t of c.keys()) {
      if (t >= sim.tick - this.depth) break;
      c.delete(t);
    }
    const changed = sim.takePropChanges();
    let ph = this.propsAt.get(key);
    if (!ph) this.propsAt.set(key, (ph = new Map()));
    if (changed.length > 0) ph.set(sim.tick, new Map(changed.map((u) => [u.id, u.before])));
    for (const t of ph.keys()) {
      if (t >= sim.tick - this.depth) break;
      ph.delete(t);
    }
  }

  /** An entity's props as the replica had them at `tick`: before the first write after it, or as they are now. */
  private propsThen(key: string, now: TileSimulation, id: EntityId, tick: number): Readonly<Record<string, PropValue>> {
    // (Ticks are kept in the order they were stepped.)
    for (const [t, m] of this.propsAt.get(key) ?? []) {
      if (t <= tick) continue;
      const before = m.get(id);
      if (before !== undefined) return before;
    }
    return now.describe(id).props;
  }

  /** The replica of a tile as it stood at `tick` (a fresh simulation), or undefined beyond the rewind depth. */
  private stateAt(key: string, tick: number): TileSimulation | undefined {
    if (tick < this.world.tick - this.depth) return undefined;
    const ring = this.rings.get(key) ?? [];
    let at: { tick: number; snapshot: Uint8Array } | undefined;
    for (const r of ring) if (r.tick <= tick) at = r;
    // (A still tile keeps an old snapshot; stepping a still tile is cheap, but not without end.)
    if (!at || tick - at.tick > 4 * this.config.tickRate) return undefined;
    const sim = this.standalone(TileSimulation.restore(at.snapshot, this.config, this.registry));
    while (sim.tick < tick) {
      sim.step(this.inputsAt(sim.tick, sim));
      sim.applyInbound();
      this.counters.replayedTicks++;
    }
    return sim;
  }

  private defer(key: string, p: Pending): void {
    const list = this.pending.get(key) ?? [];
    list.push(p);
    if (list.length > 64) list.shift();
    this.pending.set(key, list);
  }

  /** Updates stamped ahead of this node's clock apply when the replicas reach their tick. */
  private applyDue(): void {
    for (const [key, list] of this.pending) {
      const due = list.filter((p) => p.tick <= this.world.tick);
      if (due.length === 0) continue;
      this.pending.set(key, list.filter((p) => p.tick > this.world.tick));
      for (const p of due) {
        // A full state applied before it (in this loop, or earlier) waits to rebuild the tile: the delta corrects what it rebuilds.
        const queued = this.rebuilds.get(key);
        if (p.delta && queued && p.tick > queued.tick) {
          queued.later.push(p.delta);
          continue;
        }
        const sim = this.world.tileAt(p.tile);
        if (sim) this.record(p.truth, sim);
        // A full state rebuilds the tile whether or not it is held; a delta needs the tile.
        if (sim || p.truth.length === 0) p.apply(sim!);
      }
    }
  }

  private inputsAt(tick: number, only: TileSimulation | undefined): EntityInput[] {
    const out: EntityInput[] = [];
    for (const i of this.inputs) if (i.tick === tick && (!only || only.has(i.input.entity))) out.push(i.input);
    return out;
  }

  private disagreement(sim: TileSimulation, poses: readonly EntityPose[]): number {
    let worst = 0;
    for (const p of poses) {
      if (!sim.has(p.id)) return Number.POSITIVE_INFINITY; // an entity the replica does not have
      const s = sim.describe(p.id).state;
      const d = Math.max(Math.abs(s.position.x - p.x), Math.abs(s.position.y - p.y), Math.abs(s.position.z - p.z));
      const dv = Math.abs(s.linvel.x - p.vx) + Math.abs(s.linvel.y - p.vy) + Math.abs(s.linvel.z - p.vz);
      const dw = spinDiffers(s.angvel.x, s.angvel.y, s.angvel.z, p);
      worst = Math.max(worst, d, dv > 0.05 || dw > SPIN_TOLERANCE ? Number.POSITIVE_INFINITY : 0);
    }
    return worst;
  }

  private measure(key: string, tick: number, truth: readonly { id: EntityId; x: number; y: number; z: number }[]): void {
    const then = this.history.get(key)?.get(tick);
    if (then) this.recordFrom(truth, then);
  }

  private recordFrom(truth: readonly { id: EntityId; x: number; y: number; z: number }[], then: Map<EntityId, Float64Array>): void {
    for (const t of truth) {
      const h = then.get(t.id);
      if (!h) continue;
      this.errors.push(Math.sqrt((h[0]! - t.x) ** 2 + (h[1]! - t.y) ** 2 + (h[2]! - t.z) ** 2) * 100);
      if (this.errors.length > SAMPLES) this.errors.shift();
    }
  }

  /** Prediction error samples: how far the replica's state for a tick was from the owner's. */
  private record(truth: readonly { id: EntityId; x: number; y: number; z: number }[], sim: TileSimulation): void {
    for (const t of truth) {
      if (!sim.has(t.id)) continue;
      const p = sim.describe(t.id).state.position;
      this.errors.push(Math.sqrt((p.x - t.x) ** 2 + (p.y - t.y) ** 2 + (p.z - t.z) ** 2) * 100);
      if (this.errors.length > SAMPLES) this.errors.shift();
    }
  }
}

/** True when `props` has every key of `update` with the same value (updates carry only the keys that changed). */
const ZERO_SPIN = { x: 0, y: 0, z: 0 };
/** How many lost entities a replica world remembers (`SpeculativeReplicas.lost`). */
const LOST_KEPT = 256;
/** Most entities whose last reporting tile is remembered (oldest reports forgotten first): far more than a view holds. */
const REPORTS_KEPT = 4096;
/**
 * A replica's spin that differs from the owner's by more than this (rad/s, summed over axes) is
 * corrected: the deltas' quantum is 0.01 rad/s per axis, and a wrong spin bends a rolling
 * body's path between deltas.
 */
const SPIN_TOLERANCE = 0.05;

/** How far a spin (x, y, z) is from a pose's (zero when the pose has none), rad/s summed over axes. */
function spinDiffers(x: number, y: number, z: number, p: EntityPose): number {
  const a = p.angvel ?? ZERO_SPIN;
  return Math.abs(x - a.x) + Math.abs(y - a.y) + Math.abs(z - a.z);
}

function holdsProps(props: Readonly<Record<string, PropValue>>, update: Readonly<Record<string, PropValue>>): boolean {
  for (const k of Object.keys(update)) if (props[k] !== update[k]) return false;
  return true;
}

function continuityKey(c: TileContinuity): string {
  return `${c.rng.join(',')}/${c.spawnCounter}/${c.messageSeq}`;
}

function sameTile(t: TileId, p: Vec3, edge: number): boolean {
  return Math.floor(p.x / edge) === t.x && Math.floor(p.y / edge) === t.y && Math.floor(p.z / edge) === t.z;
}
