import type { BehaviourRegistry, InputData } from '../core/behaviour.js';
import { OwnerCheats } from './owner-cheats.js';
import { DEFAULT_SPECULATION, SpeculativeReplicas, type SpeculationConfig } from '../replica/speculative-replicas.js';
import type { EntityDesc, EntityId } from '../core/entity.js';
import { TesseraError } from '../core/errors.js';
import { tileKey, tileOf, type TileId } from '../core/tile.js';
import type { Vec3 } from '../core/vec.js';
import { walkIntentOf, walkOn } from './own-avatar-walk.js';
import type { WorldConfig } from '../core/world-config.js';
import { standardKinds } from '../kinds/standard-kinds.js';
import { ClockSync } from '../net/clock-sync.js';
import type { Link } from '../net/link.js';
import type { PeerConnection, PeerConnector } from '../net/peer-connector.js';
import { ReplicaStore, type PlacedEntity, type ReplicaEntity } from '../net/replica-store.js';
import { SeenSequences } from '../net/seen-sequences.js';
import { LeaseVerifier, type SignatureCheck } from '../net/lease-verifier.js';
import { DEFAULT_REPLICATION, TileAuthority, type ReplicationConfig } from '../net/tile-authority.js';
import {
  ChunkAssembler,
  decodeMessage,
  encodeForWire,
  encodeMessage,
  MsgType,
  PROTOCOL_VERSION,
  RELAY_PEER,
  type Message,
  type PeerId,
  type RosterEntry,
  type AuditIncident,
  type MemberRole,
  type TileLease,
} from '../protocol/messages.js';
import { allowedRoute } from '../protocol/routes.js';
import { RosterView } from '../protocol/roster.js';
import type { ClientStats, DocMessage, PeerPathStats, PlayerClient, ReplicaMode, TransportMode, VisibleEntity, WorldClientEvents } from './player-client.js';
import { ViewSmoother, type RawVisible } from './view-smoothing.js';

export type { ClientStats, DocMessage, PeerPathStats, ReplicaMode, TransportMode, VisibleEntity, WorldClientEvents } from './player-client.js';

/** A visible entity before smoothing, with what its owner last reported of it (for `reportedPosition`). */
export interface VisibleState extends RawVisible {
  /** What its owner last reported of it (or this client's own simulation, for owned tiles); undefined when nothing was. */
  readonly reported:
    | {
        /** Position as last reported, world metres (no extrapolation). */
        readonly position: Vec3;
        /** The tick that position is from. */
        readonly tick: number;
      }
    | undefined;
}

/** Options of `WorldClient`. The link, connector and clock are injected so tests can run it in memory. */
export interface WorldClientOptions {
  /** A link to the relay (a WebSocket in browsers). */
  readonly relay: Link;
  /** Name of the world to join on the relay (at most 64 bytes). */
  readonly world: string;
  /** The player's display name, sent in the hello (default empty: the relay then calls it `player <id>`). */
  readonly name?: string;
  /** Join token, sent in the hello (default empty); the relay checks it and derives the member's role from it. */
  readonly token?: string;
  /** How lease signatures are checked (default: @noble/ed25519, pure JS; Node may pass a `node:crypto` one). */
  readonly verifySignature?: SignatureCheck;
  /** How peer traffic travels: `auto` (default: direct when possible, else the relay), `webrtc` (direct only) or `relay`. */
  readonly transport?: TransportMode;
  /** Makes direct peer connections; without one, every peer pair uses the relay path. */
  readonly connector?: PeerConnector;
  /** Local clock, ms. */
  readonly now: () => number;
  /** The entity kinds this client can simulate (default `standardKinds()`); it must define every kind the relay's world simulates, or the join is refused with an `error` event. */
  readonly registry?: BehaviourRegistry;
  /** How this client replicates the tiles it owns (default `DEFAULT_REPLICATION`). */
  readonly replication?: ReplicationConfig;
  /** Most direct peer connections (default `MAX_PEER_CONNECTIONS`, 16); beyond, the relay path is used. */
  readonly maxPeerConnections?: number;
  /** How long a direct connection may take before `auto` uses the relay path, ms (default 3000). */
  readonly p2pTimeoutMs?: number;
  /**
   * How other owners' tiles are shown: `speculative` (default) steps them with the same
   * simulation and rolls back on corrections; `extrapolated` moves the last reported states
   * along their velocities; `interpolated` shows the last reported states as they are (naive).
   */
  readonly replicaMode?: ReplicaMode;
  /** Limits of speculative replicas (rewind depth, replay budget per update). */
  readonly speculation?: Partial<SpeculationConfig>;
}

type Listener<T> = (e: T) => void;

/** Default most direct peer connections: a player's area of interest in a busy spot holds a dozen owners. */
export const MAX_PEER_CONNECTIONS = 16;

/** Ticks an entity no source holds any more stays in view, carried on along its velocity (250 ms), unless reported removed. */
const VIEW_GRACE_TICKS = 15;

interface PeerLinkState {
  readonly peer: PeerId;
  conn: PeerConnection | undefined;
  open: boolean;
  relayed: boolean;
  startedAt: number;
  readonly assembler: ChunkAssembler;
}

/**
 * A player's node (await `initPhysics()` before creating one; `joinWorld` does): joins a world on a relay, owns the tiles the relay leases to it (stepping
 * them on the shared timeline and replicating them to subscribers), keeps replicas of the
 * tiles around its avatar, and talks to the owners of those tiles directly when it can.
 * Drive it with `update()` (a timer or animation frame); call `close()` when done.
 */
export class WorldClient implements PlayerClient {
  private readonly opts: WorldClientOptions;
  private readonly registry: BehaviourRegistry;
  private readonly clock = new ClockSync();
  private readonly relayAssembler = new ChunkAssembler();
  private readonly listeners = new Map<keyof WorldClientEvents, Set<Listener<never>>>();
  private readonly peerLinks = new Map<PeerId, PeerLinkState>();
  private readonly directory = new Map<string, { tile: TileId; owner: PeerId; epoch: number }>();
  private readonly leases = new Map<string, TileLease>();
  private readonly pendingHandoffs = new Map<string, { tile: TileId; epoch: number; atTick: number }>();
  /** Entities that left for a tile owned elsewhere, shown from their last state until the new owner reports them. */
  private readonly inTransit = new Map<EntityId, { entity: EntityDesc; to: TileId; tick: number }>();
  /**
   * What `visibleState` last showed of each entity, and when (fractional ticks): an entity no
   * source holds for a moment (a replica rebuilt or rewound without it, a handoff between owners
   * in flight) is shown on from there for `VIEW_GRACE_TICKS` instead of blinking out of view.
   */
  private readonly lastShown = new Map<EntityId, { state: VisibleState; at: number }>();
  /** Entities an owner (or this node's own tiles) reported removed, with the tick: never shown on. */
  private readonly removedAt = new Map<EntityId, number>();
  /** The player's latest walking input and when (ticks), for predicting its avatar on someone else's tile. */
  private lastMove = { tick: -1, moveX: 0, moveZ: 0 };
  /** Blends corrections into what `entities()` shows. */
  private readonly smoother = new ViewSmoother();
  private authority: TileAuthority | undefined;
  private replicas: ReplicaStore | undefined;
  private config: WorldConfig | undefined;
  private selfId: PeerId = -1;
  /** The relay's Ed25519 public key: leases must carry its signature. */
  /** Checks leases against the relay's key from the welcome. */
  private leaseVerifier: LeaseVerifier | undefined;
  private avatarId: EntityId = -1;
  private tickZeroMs = 0;
  private inputSeq = 0;
  private chunkId = 1;
  private lastPingMs = -1e9;
  private pings = 0;
  private lastPoseTick = -1e9;
  private readonly roster = new RosterView();
  private closed = false;
  private refused = 0;
  private readonly traffic = { up: 0, down: 0, upRate: 0, downRate: 0, windowStart: 0 };
  private auditStats = { audits: 0, passed: 0, mismatches: 0, takeovers: 0, auditedTicks: 0 };
  private speculative: SpeculativeReplicas | undefined;
  private readonly specRates = { rollbacks: 0, replayed: 0, rollbacksPerS: 0, replayedPerS: 0 };
  private incidents = 0;
  /** Newest delta sequence number per tile (and epoch): an older or repeated one is refused. */
  private readonly deltaSeqs = new Map<string, { epoch: number; seq: number }>();
  /** When a full state was last asked for, per tile (ms). */
  private readonly keyframeAsked = new Map<string, number>();
  /** Newest input sequence number per entity applied to owned tiles (replays are refused). */
  private readonly inputSeqs = new SeenSequences();
  private memberRole: MemberRole | undefined;
  /** Cheat drills on the tiles this player owns (for watching the audit catch them). */
  readonly cheats = new OwnerCheats();

  constructor(opts: WorldClientOptions) {
    this.opts = opts;
    this.registry = opts.registry ?? standardKinds();
    opts.relay.onMessage = (bytes) => this.onRelayBytes(bytes);
    opts.relay.onClose = () => this.shutdown('relay connection closed');
    this.sendRelay({ type: MsgType.Hello, version: PROTOCOL_VERSION, world: opts.world, name: opts.name ?? '', token: opts.token ?? '' }, true);
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof WorldClientEvents>(event: K, listener: Listener<WorldClientEvents[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  private emit<K extends keyof WorldClientEvents>(event: K, e: WorldClientEvents[K]): void {
    for (const l of this.listeners.get(event) ?? []) (l as Listener<WorldClientEvents[K]>)(e);
  }

  /** True once the relay welcomed this client. */
  get joined(): boolean {
    return this.selfId >= 0 && this.config !== undefined;
  }

  /** This client's peer id (−1 before joining). */
  get peerId(): PeerId {
    return this.selfId;
  }

  /** The entity id of this player's avatar (−1 before joining). */
  get avatar(): EntityId {
    return this.avatarId;
  }

  /** The world's config (after joining). */
  get worldConfig(): WorldConfig | undefined {
    return this.config;
  }

  /** What this member may do, from its join token (after joining): only a `creator` edits the layout. */
  get role(): MemberRole | undefined {
    return this.memberRole;
  }

  /** Players in the world. */
  players(): readonly RosterEntry[] {
    return this.roster.players();
  }

  /** The shared timeline's current tick, from the estimated relay clock. */
  currentTick(): number {
    if (!this.config) return 0;
    const now = this.opts.now();
    return Math.max(0, Math.floor(((now + this.clock.smoothOffsetMs(now) - this.tickZeroMs) * this.config.tickRate) / 1000));
  }

  /** The shared timeline's present moment in ticks, with a fraction (for smooth extrapolation). */
  currentTickExact(atMs?: number): number {
    if (!this.config) return 0;
    const now = atMs ?? this.opts.now();
    return Math.max(0, ((now + this.clock.smoothOffsetMs(now) - this.tickZeroMs) * this.config.tickRate) / 1000);
  }

  /** The tick this client's own tiles stand at. */
  get simTick(): number {
    return this.authority?.tick ?? 0;
  }

  /** Sends an input for this player's avatar (e.g. `{ moveX: 1 }`), to whoever owns its tile. */
  send(data: InputData): void {
    if (!this.joined) throw new TesseraError('not-initialised', 'not joined yet: wait for the "joined" event');
    const tick = this.currentTick();
    const input = { entity: this.avatarId, seq: this.inputSeq++, data };
    const walk = walkIntentOf(data, this.lastMove);
    if (walk) this.lastMove = { tick: this.currentTickExact(), ...walk };
    const tile = this.avatarTile();
    const owner = tile ? this.directory.get(tileKey(tile))?.owner : undefined;
    // The relay keeps its own copy of every input: the audit checks owners' logs against it.
    this.sendRelay({ type: MsgType.Input, tick, inputs: [input] }, true);
    this.speculative?.addInput(tick, input);
    // Applied here when the tile is held, or leased here with its handoff state on the way (the
    // input waits for it): should the relay's copy come back (its fallback before it saw the record), it is a repeat.
    if (tile && this.authority && (this.authority.holds(tile) || owner === this.selfId)) {
      this.inputSeqs.add(input.entity, input.seq);
      this.authority.addInputs(tick, [input]);
    }
    else if (owner !== undefined && owner !== RELAY_PEER) this.sendPeer(owner, { type: MsgType.Input, tick, inputs: [input] }, true);
  }

  /** Advances the client: clock sync, own tiles stepped to the shared tick, pose and connection upkeep. */
  update(): void {
    if (this.closed) return;
    const now = this.opts.now();
    const pingEvery = this.pings < 5 ? 100 : 1000;
    // Nothing but the hello may reach the relay before its welcome (pings are unreliable and could overtake it).
    if (this.joined && now - this.lastPingMs >= pingEvery) {
      this.lastPingMs = now;
      this.pings++;
      this.sendRelay({ type: MsgType.Ping, clientTimeMs: now }, false);
    }
    if (!this.joined || !this.authority) return;
    const target = this.currentTick();
    // A tile handed on at tick T is simulated here up to T and not one tick more, however many
    // ticks this update has to catch up (a slow step): past T it belongs to its next owner, and
    // what this node would simulate there (an avatar crossing into a neighbour) never happened.
    let budget = 30;
    for (;;) {
      const due = this.nextHandoffTick();
      budget -= this.authority.stepTo(Math.min(target, due), budget);
      this.releaseDueHandoffs();
      if (due >= target || budget <= 0 || this.authority.tick < due) break;
    }
    if (this.speculative) {
      for (const t of this.speculative.tiles()) if (this.authority.holds(t)) this.speculative.drop(t);
      this.speculative.stepTo(target);
    }
    const tick = this.authority.tick;
    if (tick - this.lastPoseTick >= 6) {
      const p = this.avatarPosition();
      if (p) {
        this.lastPoseTick = tick;
        this.sendRelay({ type: MsgType.Pose, tick, x: p.x, y: p.y, z: p.z }, false);
      }
    }
    this.maintainPeers(now);
    if (now - this.traffic.windowStart >= 1000) {
      const secs = (now - this.traffic.windowStart) / 1000;
      this.traffic.upRate = this.traffic.up / secs;
      this.traffic.downRate = this.traffic.down / secs;
      this.traffic.up = 0;
      this.traffic.down = 0;
      this.traffic.windowStart = now;
      if (this.speculative) {
        const c = this.speculative.counters;
        this.specRates.rollbacksPerS = (c.rollbacks - this.specRates.rollbacks) / secs;
        this.specRates.replayedPerS = (c.replayedTicks - this.specRates.replayed) / secs;
        this.specRates.rollbacks = c.rollbacks;
        this.specRates.replayed = c.replayedTicks;
      }
    }
  }

  /**
   * Every entity this client can see: its own tiles' exactly, others' as replicas extrapolated
   * to now. Positions are smoothed: a correction (a new update, a change of owner) is blended
   * in over ~150 ms instead of popping, while steady motion passes through unchanged.
   * `atMs` (same clock as the client's `now`, default now) must not go back between calls.
   */
  entities(atMs?: number): VisibleEntity[] {
    // One instant for everything below (a renderer passes its frame's timestamp, same clock as `now`).
    const now = atMs ?? this.opts.now();
    return this.smoother.apply(this.visibleState(now), now);
  }

  /**
   * Every visible entity at `now` before smoothing, with what its owner last reported of it:
   * what a simulation worker publishes to the page once per frame.
   */
  visibleState(now: number): VisibleState[] {
    const out: VisibleState[] = [];
    if (!this.authority || !this.replicas || !this.config) return out;
    const seen = new Set<EntityId>();
    // Own tiles stand at the end of the last simulated tick; glide them to the present moment
    // too, so they do not stutter from tick to tick.
    const nowTicks = this.currentTickExact(now);
    // (At most 1 s: a starved worker's own tiles ran 60 ticks behind in CI, and carried only 15
    // ticks a walking avatar was shown 2 m back.)
    const ownAheadTicks = Math.max(-1, Math.min(this.config.tickRate, nowTicks - this.authority.tick));
    const ownAhead = ownAheadTicks / this.config.tickRate;
    for (const sim of this.authority.world.tileList()) {
      for (const e of sim.describeAll()) {
        seen.add(e.id);
        const p = e.state.position;
        let v = e.state.linvel;
        let position = { x: p.x + v.x * ownAhead, y: p.y + v.y * ownAhead, z: p.z + v.z * ownAhead };
        // A simulation running behind (a busy worker) has not applied our latest walking input
        // yet: carrying the old velocity on would show us walking on after we stopped.
        const walk = e.id === this.avatarId ? this.ownAvatarWalk(p, v, this.authority.tick, this.authority.tick + ownAheadTicks) : undefined;
        if (walk) ({ position, v } = { position: { ...walk.position, y: position.y }, v: walk.v });
        out.push({ entity: { id: e.id, kind: e.kind, body: e.body, tile: sim.tile, position, rotation: e.state.rotation, owner: this.selfId }, v, reported: { position: p, tick: this.authority.tick } });
      }
    }
    const tick = this.currentTick();
    // Replicas are extrapolated to the present moment, not just the present tick, so they glide between ticks.
    const dt = 1 / this.config.tickRate;
    for (const [id, t] of [...this.inTransit]) {
      const r = this.replicas.get(id);
      if (seen.has(id) || (r && r.tick >= t.tick) || tick - t.tick > this.config.tickRate) {
        this.inTransit.delete(id);
        continue;
      }
      const ahead = Math.max(0, nowTicks - t.tick) * dt;
      const s = t.entity.state;
      seen.add(id);
      out.push({
        entity: {
          id,
          kind: t.entity.kind,
          body: t.entity.body,
          tile: t.to,
          position: { x: s.position.x + s.linvel.x * ahead, y: s.position.y + s.linvel.y * ahead, z: s.position.z + s.linvel.z * ahead },
          rotation: s.rotation,
          owner: this.directory.get(tileKey(t.to))?.owner ?? RELAY_PEER,
        },
        v: s.linvel,
        reported: { position: s.position, tick: t.tick },
      });
    }
    if (this.speculative) {
      // Speculative replicas stand at the end of their last tick: glide them to the present too.
      // A starved simulation's replicas run up to JUMP_AFTER_TICKS behind (they step a few ticks
      // per update): carried only 15 ticks, a walking avatar was shown 2–3 m back and snapped
      // forward when they caught up (tab-against-tab handoff test, CI). So they are carried to the
      // present (at most 1 s), and an entity whose owner has already reported a later tick than
      // they stand at is shown from that report instead, carried along its velocity: it knows a
      // stop, a turn or a wall the lagging simulation has not reached.
      const specTick = this.speculative.tick;
      const ahead = Math.max(-1, Math.min(this.config.tickRate, nowTicks - specTick)) / this.config.tickRate;
      for (const e of this.speculative.entities()) {
        if (seen.has(e.id) || this.authority.holds(e.tile)) continue;
        seen.add(e.id);
        const owner = this.directory.get(tileKey(e.tile))?.owner ?? RELAY_PEER;
        const r = this.replicas.get(e.id);
        // Not our own avatar: the replicas apply our inputs at once, its owner's report lags
        // them, and switching between the two flipped it 3.5 m back and forth (CI rehearsal).
        if (r && r.tick > specTick && e.id !== this.avatarId) {
          out.push(this.carriedReport(r, nowTicks, owner));
          continue;
        }
        const p = e.position;
        const v = e.velocity;
        out.push({
          entity: { id: e.id, kind: e.kind, body: e.body, tile: e.tile, position: { x: p.x + v.x * ahead, y: p.y + v.y * ahead, z: p.z + v.z * ahead }, rotation: e.rotation, owner },
          v,
          reported: this.reportedPosition(e.id),
        });
      }
    }
    const naive = this.opts.replicaMode === 'interpolated';
    for (const r of this.replicas.all()) {
      if (seen.has(r.id) || this.authority.holds(r.tile)) continue;
      seen.add(r.id);
      if (naive) {
        // The last reported state as it is (no prediction, no blending: the naive baseline).
        out.push({ entity: { id: r.id, kind: r.kind, body: r.body, tile: r.tile, position: r.position, rotation: r.rotation, owner: this.directory.get(tileKey(r.tile))?.owner ?? RELAY_PEER }, v: r.velocity, raw: true, reported: { position: r.position, tick: r.tick } });
        continue;
      }
      out.push(this.carriedReport(r, nowTicks, this.directory.get(tileKey(r.tile))?.owner ?? RELAY_PEER));
    }
    this.keepInView(out, seen, nowTicks);
    return out;
  }

  /**
   * An owner's last report of an entity carried to `nowTicks` along its velocity (owners re-send
   * only when this would be over 1 cm off, and everything once a second), at most 1.5 s ahead.
   * Our own avatar on someone else's tile walks the way our latest input says at once: its owner
   * has not shown that input yet, and its next state corrects the guess (blended like any other).
   */
  private carriedReport(r: ReplicaEntity, nowTicks: number, owner: PeerId): VisibleState {
    const dt = 1 / this.config!.tickRate;
    const ahead = Math.min(Math.max(0, nowTicks - r.tick), this.config!.tickRate * 1.5) * dt;
    let position = { x: r.position.x + r.velocity.x * ahead, y: r.position.y + r.velocity.y * ahead, z: r.position.z + r.velocity.z * ahead };
    let v = r.velocity;
    const walk = r.id === this.avatarId ? this.ownAvatarWalk(r.position, r.velocity, r.tick, Math.min(nowTicks, r.tick + this.config!.tickRate * 1.5)) : undefined;
    if (walk) ({ position, v } = { position: { ...walk.position, y: position.y }, v: walk.v });
    return { entity: { id: r.id, kind: r.kind, body: r.body, tile: r.tile, position, rotation: r.rotation, owner }, v, reported: { position: r.position, tick: r.tick } };
  }

  /**
   * Our own avatar, known at `fromTick` at `p` moving at `v`, when a walking input came after
   * that tick: carried along `v` up to the input, then walking at the avatar's speed the way the
   * input says, up to `toTick`. Undefined when no input is newer than the state (nothing to predict).
   */
  private ownAvatarWalk(p: Vec3, v: Vec3, fromTick: number, toTick: number): { position: Vec3; v: Vec3 } | undefined {
    const m = this.lastMove;
    if (m.tick <= fromTick || !this.config) return undefined;
    const dt = 1 / this.config.tickRate;
    return walkOn(p, v, m, Math.max(0, Math.min(m.tick, toTick) - fromTick) * dt, Math.max(0, toTick - m.tick) * dt);
  }

  /**
   * Adds to `out` the entities shown within the last `VIEW_GRACE_TICKS` that no source holds now
   * and nobody removed, carried on along their velocity, and notes what is shown. A train that
   * a replica rebuild dropped for one frame (tab-against-tab handoff test: 96 entities, then 95)
   * is a glitch a player sees; a body really gone is named in a removal and leaves at once.
   */
  private keepInView(out: VisibleState[], seen: Set<EntityId>, nowTicks: number): void {
    const dt = 1 / this.config!.tickRate;
    for (const [id, last] of this.lastShown) {
      if (seen.has(id)) continue;
      const age = nowTicks - last.at;
      if (age > VIEW_GRACE_TICKS || this.removedAt.has(id)) {
        this.lastShown.delete(id);
        continue;
      }
      const { entity: e, v } = last.state;
      const ahead = Math.max(0, age) * dt;
      out.push({ ...last.state, entity: { ...e, position: { x: e.position.x + v.x * ahead, y: e.position.y + v.y * ahead, z: e.position.z + v.z * ahead } } });
    }
    for (const s of out) {
      if (!seen.has(s.entity.id)) continue;
      const kept = this.lastShown.get(s.entity.id);
      if (kept) {
        kept.state = s;
        kept.at = nowTicks;
      } else this.lastShown.set(s.entity.id, { state: s, at: nowTicks });
    }
    for (const [id, tick] of this.removedAt) if (nowTicks - tick > 4 * VIEW_GRACE_TICKS) this.removedAt.delete(id);
  }

  /** Entities reported removed at `tick` (despawned, fallen out, gone from a tile): not kept in view. */
  private noteRemoved(ids: readonly EntityId[], tick: number): void {
    for (const id of ids) {
      this.removedAt.set(id, tick);
      this.lastShown.delete(id);
    }
  }

  /** The owner-reported (or own) position of an entity, without extrapolation, with the tick it is from. */
  reportedPosition(id: EntityId):
    | {
        /** Position as last reported by its owner (or simulated here), world metres. */
        position: Vec3;
        /** The tick that position is from. */
        tick: number;
      }
    | undefined {
    const own = this.authority?.world.describe(id);
    if (own) return { position: own.state.position, tick: this.authority!.tick };
    const r = this.replicas?.get(id);
    const t = this.inTransit.get(id);
    if (t && (!r || r.tick < t.tick)) return { position: t.entity.state.position, tick: t.tick };
    return r ? { position: r.position, tick: r.tick } : undefined;
  }

  /** Owner and epoch of every tile this client knows of. */
  tiles(): {
    /** The tile. */
    tile: TileId;
    /** The peer leasing it (the relay is `RELAY_PEER`). */
    owner: PeerId;
    /** The lease epoch, raised on every change of owner. */
    epoch: number;
  }[] {
    return [...this.directory.values()];
  }

  /** Counters and paths for a HUD or a test. */
  stats(): ClientStats {
    const peers: PeerPathStats[] = [...this.peerLinks.values()]
      .sort((a, b) => a.peer - b.peer)
      .map((p) => ({ peer: p.peer, path: p.open ? 'p2p' : p.conn && !p.relayed && this.opts.transport !== 'relay' ? 'connecting' : 'relay' }));
    return {
      peer: this.selfId,
      tick: this.authority?.tick ?? 0,
      rttMs: this.clock.rttMs,
      clockOffsetMs: this.clock.offsetMs,
      clockErrorMs: this.clock.errorMs,
      peers,
      bytesUpPerS: this.traffic.upRate,
      bytesDownPerS: this.traffic.downRate,
      ownedTiles: this.authority?.heldTiles().map((h) => h.tile) ?? [],
      refused: this.refused,
      audit: { ...this.auditStats },
      incidents: this.incidents,
      replicas: this.replicaStats(),
    };
  }

  private replicaStats(): ClientStats['replicas'] {
    const mode = this.opts.replicaMode ?? 'speculative';
    const e = this.speculative?.predictionErrorCm() ?? { p50: 0, p99: 0 };
    return { mode, predictionErrorP50Cm: e.p50, predictionErrorP99Cm: e.p99, rollbacksPerS: this.specRates.rollbacksPerS, replayedTicksPerS: this.specRates.replayedPerS, ownerRewinds: this.authority?.counters.rewinds ?? 0, jumps: this.speculative?.counters.jumps ?? 0 };
  }

  /**
   * Diagnostics: sends `message` to `peer` as it is, over the direct path when open (else the
   * relay path). Well-behaved peers refuse what the protocol does not allow (a tile update
   * without the lease, a stale epoch, a replayed sequence number): tests use this to prove it.
   */
  sendRaw(peer: PeerId, message: Message, reliable = true): void {
    this.sendPeer(peer, message, reliable);
  }

  /**
   * Tick and `entitiesDigest` of the last full state this client sent for an owned tile: to
   * subscriber `peer` when given (each gets its own when it joins or asks), else to anyone.
   */
  ownedStateDigest(
    tile: TileId,
    peer?: PeerId,
  ):
    | {
        /** The tick of that full state. */
        tick: number;
        /** `entitiesDigest` of its entities. */
        digest: string;
      }
    | undefined {
    return peer === undefined ? this.authority?.stateDigests.get(tileKey(tile)) : this.authority?.stateDigestFor(tile, peer);
  }

  /** Tick and `entitiesDigest` of the last full state this client's replica of `tile` took from its owner. */
  replicaDigest(tile: TileId):
    | {
        /** The tick of that full state. */
        tick: number;
        /** `entitiesDigest` of its entities. */
        digest: string;
      }
    | undefined {
    return this.replicas?.keyframeDigest(tile);
  }

  /**
   * Sends a world-document message to the relay, or to a peer over an open direct path (false
   * when there is none: the relay already forwards document updates to every player).
   */
  sendDoc(to: PeerId, message: DocMessage): boolean {
    if (!this.joined) return false;
    if (to === RELAY_PEER) {
      this.sendRelay(message, true);
      return true;
    }
    const s = this.peerLinks.get(to);
    if (!s?.open || !s.conn?.link.open) return false;
    this.sendPeer(to, message, true);
    return true;
  }

  /** Peers this client has an open direct path to, in id order. */
  directPeers(): PeerId[] {
    return [...this.peerLinks.values()].filter((s) => s.open && s.conn?.link.open).map((s) => s.peer).sort((a, b) => a - b);
  }

  /** Leaves the world: closes every connection. */
  close(): void {
    this.shutdown('closed by the application');
    this.opts.relay.close();
  }

  // ---- relay messages -----------------------------------------------------------------------

  private onRelayBytes(bytes: Uint8Array): void {
    this.traffic.down += bytes.length;
    const m = this.decode(bytes, this.relayAssembler);
    if (!m) return;
    try {
      this.onRelayMessage(m);
    } catch (e) {
      this.reject(`relay message ${m.type}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private decode(bytes: Uint8Array, assembler: ChunkAssembler): Message | undefined {
    const edge = this.config?.tileEdge ?? 32;
    try {
      const m = decodeMessage(bytes, edge);
      if (m.type !== MsgType.Chunk) return m;
      const whole = assembler.add(m);
      return whole ? decodeMessage(whole, edge, Number.MAX_SAFE_INTEGER) : undefined;
    } catch (e) {
      this.reject(e instanceof Error ? e.message : String(e));
      return undefined;
    }
  }

  private reject(reason: string): void {
    this.refused++;
    this.emit('error', { reason });
  }

  private onRelayMessage(m: Message): void {
    switch (m.type) {
      case MsgType.Welcome: {
        // Simulating a world whose kinds this client lacks would desync silently: refuse to join instead.
        const missing = m.kinds.filter((k) => !this.registry.has(k));
        if (missing.length > 0) {
          this.emit('error', { reason: `relay: this world simulates kinds this client's registry does not define (${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}): load the world's kinds module (the \`kinds\` option of joinWorld)` });
          this.shutdown('kinds missing');
          this.opts.relay.close();
          return;
        }
        this.selfId = m.peer;
        this.avatarId = m.avatar;
        this.leaseVerifier = new LeaseVerifier(m.relayKey, this.opts.verifySignature);
        this.memberRole = m.role;
        this.config = m.config;
        this.tickZeroMs = m.tickZeroMs;
        // First estimate from the welcome itself; pings replace it.
        this.clock.seed(m.serverTimeMs, this.opts.now());
        this.replicas = new ReplicaStore(m.config);
        this.authority = new TileAuthority(
          m.config,
          this.registry,
          m.peer,
          {
            send: (to, message, reliable) => this.sendPeer(to, message, reliable),
            ownerOf: (tile) => this.directory.get(tileKey(tile)),
            tileOfEntity: (id) => this.replicas?.get(id)?.tile,
            dropped: (reason) => this.reject(reason),
            migrated: (entity, to, tick) => this.inTransit.set(entity.id, { entity, to, tick }),
            removed: (ids, tick) => this.noteRemoved(ids, tick),
            ghostsFrom: (from, to, tick) => this.replicas?.ghostsNear(from, to, m.config.ghostMargin, tick),
          },
          this.opts.replication ?? DEFAULT_REPLICATION,
          this.currentTick(),
        );
        this.authority.afterStep = (world) => this.cheats.apply(world);
        if ((this.opts.replicaMode ?? 'speculative') === 'speculative') {
          this.speculative = new SpeculativeReplicas(m.config, this.registry, this.currentTick(), { ...DEFAULT_SPECULATION, ...this.opts.speculation });
          this.speculative.setOwners((t) => this.directory.get(tileKey(t))?.owner);
        }
        this.emit('joined', { peer: m.peer, avatar: m.avatar, config: m.config, role: m.role });
        return;
      }
      case MsgType.Pong:
        this.clock.add(m.clientTimeMs, this.opts.now(), m.serverTimeMs);
        return;
      case MsgType.Directory:
        for (const e of m.entries) {
          const key = tileKey(e.tile);
          const prev = this.directory.get(key);
          if (prev && e.epoch < prev.epoch) continue;
          this.directory.set(key, e);
          this.replicas?.noteEpoch(e.tile, e.epoch);
        }
        // Tiles no longer listed are out of interest.
        for (const [key, d] of [...this.directory]) {
          if (!m.entries.some((e) => tileKey(e.tile) === key) && !this.authority?.holds(d.tile)) {
            this.directory.delete(key);
            this.replicas?.dropTile(d.tile);
            this.speculative?.drop(d.tile);
          }
        }
        return;
      case MsgType.Lease: {
        const l = m.lease;
        const key = tileKey(l.tile);
        if (!this.leaseVerifier?.verify(l)) return this.reject(`lease for ${key} (epoch ${l.epoch}) refused: bad relay signature`);
        const prev = this.leases.get(key);
        if (prev && l.epoch < prev.epoch) return this.reject(`stale lease for ${key}: epoch ${l.epoch} < ${prev.epoch}`);
        this.leases.set(key, l);
        const d = this.directory.get(key);
        if (!d || d.epoch <= l.epoch) this.directory.set(key, { tile: l.tile, owner: l.owner, epoch: l.epoch });
        this.replicas?.noteEpoch(l.tile, l.epoch);
        // Revoked (taken over after a verdict or expiry): this node stops simulating the tile at once.
        const held = this.authority?.epochOf(l.tile);
        if (held !== undefined && l.owner !== this.selfId && l.epoch > held) {
          this.authority!.release(l.tile);
          this.pendingHandoffs.delete(key);
        }
        this.emit('lease', { lease: l });
        return;
      }
      case MsgType.Subscribers:
        this.authority?.setSubscribers(m.tile, m.epoch, m.peers);
        return;
      case MsgType.HandoffRequest: {
        if (!this.authority?.holds(m.tile)) return this.reject(`handoff of ${tileKey(m.tile)} requested, but it is not held here`);
        this.pendingHandoffs.set(tileKey(m.tile), { tile: m.tile, epoch: m.epoch, atTick: m.atTick });
        this.releaseDueHandoffs();
        return;
      }
      case MsgType.HandoffState: {
        const lease = this.leases.get(tileKey(m.tile));
        if (!lease || lease.owner !== this.selfId || lease.epoch !== m.epoch) return this.reject(`handoff state for ${tileKey(m.tile)} without a matching lease`);
        this.authority?.adopt(m.tile, m.epoch, m.snapshot, []);
        this.replicas?.dropTile(m.tile);
        this.speculative?.drop(m.tile);
        return;
      }
      case MsgType.Spawn:
        if (!this.authority?.insert(m.entity, undefined, m.tile)) this.reject(`spawn of ${m.entity.id} in ${tileKey(m.tile)}: tile not held here`);
        return;
      case MsgType.Despawn:
        this.authority?.remove(m.id);
        return;
      case MsgType.Signal:
        this.onSignal(m.peer, m.data);
        return;
      case MsgType.Forwarded:
        this.onPeerBytes(m.from, m.payload, false);
        return;
      case MsgType.Roster:
      case MsgType.RosterDelta:
        this.roster.apply(m);
        this.emit('roster', { players: this.roster.players() });
        return;
      case MsgType.Error:
        this.emit('error', { reason: `relay: ${m.reason}` });
        return;
      case MsgType.AuditRequest:
        // The relay audits a window of an owned tile: it gets the exact state at the window's start.
        if (!this.authority?.sendAuditState(m.tile, m.epoch, m.tick)) this.reject(`audit request for ${tileKey(m.tile)} at tick ${m.tick}: no such state here`);
        return;
      case MsgType.AuditStats:
        this.auditStats = { audits: m.audits, passed: m.passed, mismatches: m.mismatches, takeovers: m.takeovers, auditedTicks: m.auditedTicks };
        return;
      case MsgType.Incident:
        this.incidents++;
        this.emit('incident', m.incident);
        return;
      case MsgType.DocSync:
      case MsgType.DocAck:
      case MsgType.Presence:
        this.emit('doc', { from: RELAY_PEER, direct: false, message: m });
        return;
      default:
        // The relay also sends peer-type messages for the tiles it owns.
        this.onPeerMessage(RELAY_PEER, m);
    }
  }

  /** The earliest tick a pending handoff releases a tile at (Infinity when none is pending). */
  private nextHandoffTick(): number {
    let at = Number.POSITIVE_INFINITY;
    for (const h of this.pendingHandoffs.values()) at = Math.min(at, h.atTick);
    return at;
  }

  private releaseDueHandoffs(): void {
    if (!this.authority) return;
    for (const [key, h] of [...this.pendingHandoffs]) {
      if (this.authority.tick < h.atTick) continue;
      this.pendingHandoffs.delete(key);
      const state = this.authority.release(h.tile);
      if (!state) continue;
      this.sendRelay({ type: MsgType.HandoffState, tile: h.tile, epoch: h.epoch, tick: state.tick, snapshot: state.snapshot }, true);
      // Keep showing the tile from its last state until the new owner's updates arrive.
      this.replicas?.applyKeyframe(h.tile, state.epoch, state.tick, state.entities);
      this.speculative?.applyState(h.tile, state.tick, state.entities, state.continuity);
    }
  }

  // ---- peer messages ------------------------------------------------------------------------

  private onPeerBytes(from: PeerId, bytes: Uint8Array, direct: boolean): void {
    if (direct) this.traffic.down += bytes.length;
    const state = this.peerLinks.get(from) ?? this.peerState(from);
    const m = this.decode(bytes, state.assembler);
    if (!m) return;
    try {
      this.onPeerMessage(from, m, direct);
    } catch (e) {
      this.reject(`peer ${from} message ${m.type}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private onPeerMessage(from: PeerId, m: Message, direct = false): void {
    // The closed protocol (src/protocol/routes.ts): arrivals, removals and mail come only from the relay.
    if (!allowedRoute(m.type, from === RELAY_PEER ? 'relay-to-peer' : 'peer-to-peer')) return this.reject(`message type ${m.type} is not accepted from ${from === RELAY_PEER ? 'the relay' : `peer ${from}`}: the protocol does not route it that way`);
    // A tile's updates are accepted only from the holder of its current, relay-signed lease.
    const ownerOk = (tile: TileId, epoch: number): boolean => {
      const l = this.leases.get(tileKey(tile));
      if (l && l.owner === from && epoch === l.epoch) return true;
      if (l && epoch < l.epoch) this.reject(`stale epoch ${epoch} for ${tileKey(tile)} from ${from} (current ${l.epoch})`);
      else this.reject(`update for ${tileKey(tile)} from ${from}, who does not hold its lease`);
      return false;
    };
    switch (m.type) {
      case MsgType.StateDelta: {
        if (this.authority?.holds(m.tile) || !ownerOk(m.tile, m.epoch)) return;
        const key = tileKey(m.tile);
        const last = this.deltaSeqs.get(key);
        if (last && last.epoch === m.epoch && m.seq <= last.seq) return this.reject(`delta ${m.seq} of ${key} refused: not newer than ${last.seq} (replayed or late)`);
        this.deltaSeqs.set(key, { epoch: m.epoch, seq: m.seq });
        // A gap in the sequence: deltas were lost. Ask for the full state now rather than wait
        // for the next one (at most four times a second per tile).
        const now = this.opts.now();
        if (last && last.epoch === m.epoch && m.seq > last.seq + 1 && now - (this.keyframeAsked.get(key) ?? -1e9) >= 250) {
          this.keyframeAsked.set(key, now);
          this.sendPeer(from, { type: MsgType.KeyframeRequest, tile: m.tile }, true);
        }
        const r = this.replicas!.applyDelta(m.tile, m.epoch, m.tick, m.poses, m.removed, m.departed);
        if ((r === 'applied' || r === 'needs-keyframe') && m.removed.length > 0) this.noteRemoved(m.removed, m.tick);
        if (r === 'applied' || r === 'needs-keyframe') this.speculative?.applyDelta(m.tile, m.tick, m.poses, m.removed, m.departed, m.props);
        if (r === 'needs-keyframe') this.sendPeer(from, { type: MsgType.KeyframeRequest, tile: m.tile }, true);
        if (r === 'applied' || r === 'needs-keyframe') this.emit('deltaApplied', { tile: m.tile, tick: m.tick, from, direct, atMs: this.opts.now() });
        return;
      }
      case MsgType.TileState:
        if (this.authority?.holds(m.tile) || !ownerOk(m.tile, m.epoch)) return;
        if (this.replicas!.applyKeyframe(m.tile, m.epoch, m.tick, m.entities) === 'applied') this.speculative?.applyState(m.tile, m.tick, m.entities, m.continuity);
        return;
      case MsgType.KeyframeRequest:
        this.authority?.sendKeyframeTo(m.tile, from);
        return;
      case MsgType.Input: {
        // From the player itself (its own avatar only), or the relay's copy of it (whichever comes first is applied).
        const player = this.roster.get(from);
        const ok = from === RELAY_PEER ? m.inputs : m.inputs.filter((i) => player !== undefined && i.entity === player.avatar);
        if (ok.length !== m.inputs.length) this.reject(`peer ${from} sent input for an entity that is not its avatar`);
        // A copy seen before (the other path's, or a replay) is dropped: each input applies once.
        const fresh = ok.filter((i) => this.inputSeqs.add(i.entity, i.seq));
        if (fresh.length > 0 && this.authority && !this.authority.addInputs(m.tick, fresh)) this.reject(`input from ${from} for tick ${m.tick} refused: too far ahead, or too many queued`);
        return;
      }
      case MsgType.Migrate: {
        if (from !== RELAY_PEER && !ownerOk(m.from, m.epoch)) return;
        if (!this.authority?.insert(m.entity, m.tick, m.to)) {
          // Not ours (any more): hand it to the relay, which knows the current owner.
          this.sendRelay({ ...m }, true);
        }
        return;
      }
      case MsgType.EntityMail:
        if (!this.authority?.deliver(m.message)) this.reject(`message to ${m.message.to}: not held here`);
        return;
      case MsgType.DocSync:
      case MsgType.Presence:
        // Document traffic between players travels only on direct paths (the relay forwards the rest itself).
        if (!direct || from === RELAY_PEER) return this.reject(`document message from peer ${from} not on a direct path`);
        this.emit('doc', { from, direct, message: m });
        return;
      default:
        this.reject(`message type ${m.type} not accepted from peer ${from}`);
    }
  }

  // ---- peer connections ---------------------------------------------------------------------

  private peerState(peer: PeerId): PeerLinkState {
    let s = this.peerLinks.get(peer);
    if (!s) this.peerLinks.set(peer, (s = { peer, conn: undefined, open: false, relayed: false, startedAt: this.opts.now(), assembler: new ChunkAssembler() }));
    return s;
  }

  private wantedPeers(): Set<PeerId> {
    const out = new Set<PeerId>();
    for (const d of this.directory.values()) if (d.owner !== RELAY_PEER && d.owner !== this.selfId) out.add(d.owner);
    // Subscribers of this client's tiles receive its updates: a direct path helps them too.
    for (const p of this.authority?.subscriberPeers() ?? []) if (p !== RELAY_PEER && p !== this.selfId) out.add(p);
    return out;
  }

  private maintainPeers(now: number): void {
    const mode = this.opts.transport ?? 'auto';
    const wanted = this.wantedPeers();
    for (const peer of wanted) this.peerState(peer);
    if (mode === 'relay' || !this.opts.connector) return;
    const max = this.opts.maxPeerConnections ?? MAX_PEER_CONNECTIONS;
    let active = [...this.peerLinks.values()].filter((p) => p.conn).length;
    for (const s of [...this.peerLinks.values()].sort((a, b) => a.peer - b.peer)) {
      if (!s.conn && wanted.has(s.peer) && this.selfId < s.peer && active < max && now - s.startedAt > (s.relayed ? 10_000 : 0)) {
        this.startConnection(s, true);
        active++;
      }
      if (s.conn && !s.open && !s.relayed && mode === 'auto' && now - s.startedAt > (this.opts.p2pTimeoutMs ?? 3000)) {
        // Not open in time: this pair uses the relay path; should the direct path open later, it takes over.
        s.relayed = true;
      }
    }
  }

  private startConnection(s: PeerLinkState, initiator: boolean): void {
    s.startedAt = this.opts.now();
    const conn = this.opts.connector!.connect(this.selfId, s.peer, initiator, (data) => this.sendRelay({ type: MsgType.Signal, peer: s.peer, data }, true));
    s.conn = conn;
    const attach = (): void => {
      const link = conn.link;
      if (!link) return;
      link.onMessage = (bytes) => this.onPeerBytes(s.peer, bytes, true);
      link.onClose = () => {
        if (s.conn === conn) {
          // The direct path failed or closed: the relay path carries on; retry later.
          s.conn = undefined;
          s.open = false;
          s.relayed = true;
          s.startedAt = this.opts.now();
        }
      };
    };
    if (initiator) attach();
    conn.onOpen = () => {
      attach();
      s.open = true;
      this.emit('peerOpen', { peer: s.peer });
    };
  }

  private onSignal(from: PeerId, data: string): void {
    if ((this.opts.transport ?? 'auto') === 'relay' || !this.opts.connector) return;
    const s = this.peerState(from);
    if (!s.conn) {
      const max = this.opts.maxPeerConnections ?? MAX_PEER_CONNECTIONS;
      if ([...this.peerLinks.values()].filter((p) => p.conn).length >= max) return;
      this.startConnection(s, false);
    }
    s.conn!.signal(data);
  }

  // ---- sending ------------------------------------------------------------------------------

  private sendRelay(m: Message, reliable: boolean): void {
    if (this.closed) return;
    for (const bytes of this.wire(m)) {
      this.traffic.up += bytes.length;
      this.opts.relay.send(bytes, reliable);
    }
  }

  /** Sends to a peer directly when the pair has an open path, else through the relay. */
  private sendPeer(to: PeerId, m: Message, reliable: boolean): void {
    if (to === RELAY_PEER) return this.sendRelay(m, reliable);
    if (to === this.selfId) return;
    if (m.type === MsgType.StateDelta) this.emit('deltaSent', { tile: m.tile, tick: m.tick, to, atMs: this.opts.now() });
    const s = this.peerLinks.get(to);
    if (s?.open && s.conn?.link.open) {
      for (const bytes of this.wire(m)) {
        this.traffic.up += bytes.length;
        s.conn.link.send(bytes, reliable);
      }
      return;
    }
    if ((this.opts.transport ?? 'auto') === 'webrtc' && this.opts.connector) return; // direct only: wait for the path
    this.peerState(to);
    for (const bytes of this.wire(m)) this.sendRelay({ type: MsgType.Forward, to, reliable, payload: bytes }, reliable);
  }

  private wire(m: Message): Uint8Array[] {
    const edge = this.config?.tileEdge ?? 32;
    if (m.type === MsgType.Hello) return [encodeMessage(m, edge)];
    return encodeForWire(m, this.chunkId++, edge);
  }

  private avatarTile(): TileId | undefined {
    const own = this.authority?.tileOfHeldEntity(this.avatarId);
    if (own) return own;
    const r = this.replicas?.get(this.avatarId);
    if (r) return r.tile;
    const p = this.avatarPosition();
    return p && this.config ? tileOf(p, this.config.tileEdge) : undefined;
  }

  private avatarPosition(): Vec3 | undefined {
    const own = this.authority?.world.describe(this.avatarId);
    if (own) return own.state.position;
    return this.replicas?.get(this.avatarId)?.position;
  }

  private shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.peerLinks.values()) s.conn?.destroy();
    this.authority?.dispose();
    this.emit('closed', { reason });
  }
}
