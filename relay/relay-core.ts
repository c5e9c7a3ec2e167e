import {
  AVATAR_BODY,
  boundingRadius,
  ChunkAssembler,
  decodeMessage,
  distanceToTile,
  encodeForWire,
  leaseSigningBytes,
  MsgType,
  MAX_ROSTER_ENTRIES,
  PROTOCOL_VERSION,
  ProtocolError,
  RELAY_PEER,
  resolveWorldConfig,
  TesseraError,
  TileAuthority,
  MAX_TRANSIT_TICKS,
  type EarlyMigrant,
  DEFAULT_REPLICATION,
  TileSimulation,
  commitOf,
  tileKey,
  tileOf,
  tilesWithinRadius,
  MAX_TILE_COORD,
  type BehaviourRegistry,
  type EntityDesc,
  type EntityId,
  type EntityInput,
  type GhostState,
  type Link,
  type Message,
  type PeerId,
  type ReplicationConfig,
  type RosterEntry,
  type SceneDesc,
  type TileId,
  type TileLease,
  type Vec3,
  type WorldConfig,
  type AuditIncident,
  type IncidentReason,
  TEMPLATE_ENTITY_BASE,
  FIRST_SPAWNED_ID,
  allowedRoute,
  DEFAULT_REWIND_TICKS,
  COMMIT_BATCH_TICKS,
} from '../src/index.js';
import { AuditDesk, DEFAULT_AUDIT_CONFIG, type AuditConfig, type Finding } from './audit/audit-desk.js';
import { InlineAuditor, type Auditor } from './audit/auditor.js';
import { InputLedger } from './audit/input-ledger.js';
import { RoutedEvidence } from './audit/routed-evidence.js';
import type { TileCheckpoint } from './store/world-store.js';
import { WorldDocHost, type StoredDocument } from './doc/world-doc-host.js';
import type { DocRole } from './doc/update-rules.js';
import { RelayMetrics } from './metrics.js';
import { RateLimiter } from './rate-limiter.js';
import { connectionGuard, type GuardedConnection } from './connection-guard.js';
import { LeaseRefusal, type LeaseDecision, type LeaseEntry, type LeaseTable } from './leases/lease-table.js';
import { LocalLeaseTable } from './leases/local-lease-table.js';
import { avatarOf, LocalPeerIds, type PeerIdSource } from './cluster/peer-ids.js';
import { NoRemotePeers, type PeerTraffic, type RemotePeers } from './cluster/remote-peers.js';
import { catchUpTogether } from './cluster/catch-up.js';

/** Signs lease bytes (Ed25519 in the server; any signer in tests). */
export interface LeaseSigner {
  /** Raw public key peers verify with. */
  readonly publicKey: Uint8Array;
  /** Signs `bytes` (a lease's `leaseSigningBytes`) and returns the signature (64 bytes for Ed25519). */
  sign(bytes: Uint8Array): Uint8Array;
}

/** One structured log event (the server writes them as JSON lines). */
export type RelayLog = (event: { level: 'info' | 'warn' | 'error'; msg: string } & Record<string, unknown>) => void;

/** Everything the relay's logic needs; clocks, signing, logging and auth are injected. */
export interface RelayCoreOptions {
  /** Name of the world this relay serves; a hello naming another is refused. */
  readonly world: string;
  /** The world's scene: its config (tile edge, tick rate, seed…) and the entities it starts with (unless `initialTiles` are given). */
  readonly scene: SceneDesc;
  /** The entity kinds the world simulates (their names are sent to every player in the welcome). */
  readonly registry: BehaviourRegistry;
  /** Wall clock, ms. */
  readonly now: () => number;
  /** Signs every lease the relay grants (its public key goes to players in the welcome). */
  readonly signer: LeaseSigner;
  /** Receives the relay's structured log events. */
  readonly log: RelayLog;
  /** Accepts or refuses a join token: returns undefined when accepted, else the reason. */
  readonly checkToken: (token: string, world: string) => string | undefined;
  /** The role an accepted token grants (default: `creator` for everyone, as in development). */
  readonly roleOf?: (token: string) => DocRole;
  /** How the relay replicates the tiles it simulates itself (default `DEFAULT_REPLICATION`). */
  readonly replication?: ReplicationConfig;
  /** Lease length, ticks (default 4 s; renewed every second while the owner commits). */
  readonly leaseTicks?: number;
  /** How far ahead a handoff is scheduled, ticks (default 6 = 100 ms). */
  readonly handoffLeadTicks?: number;
  /**
   * Most wall-clock ms one `tick()` spends stepping the relay's own tiles before it lets the
   * event loop go (they then run behind the timeline and catch up); none by default (the harness).
   */
  readonly stepBudgetMs?: number;
  /**
   * Most ticks one `tick()` steps the relay's own tiles (default 30). The seeded harness lowers it
   * to model a relay whose simulation runs behind the timeline (`stepBudgetMs` is wall-clock).
   */
  readonly maxStepTicks?: number;
  /** A current owner keeps its tile while its avatar is within this many metres of it (default 3). */
  readonly hysteresisM?: number;
  /** Ownership is reconsidered every this many ticks (default 15). */
  readonly rebalanceEveryTicks?: number;
  /** Most peers in the world (default 256). */
  readonly maxPeers?: number;
  /** Most tiles one peer may own (default 8). */
  readonly maxTilesPerPeer?: number;
  /** Most players per roster message (default and at most `MAX_ROSTER_ENTRIES`; smaller in tests of paging). */
  readonly rosterPageEntries?: number;
  /** Where avatars appear, metres: the world's spawn point (`WorldConfig.spawnPoint`, which it overrides). */
  readonly spawn?: Vec3;
  /** Messages per second a connection may send before being refused (default 600, burst 1200). */
  readonly rateLimit?: {
    /** Sustained rate, messages per second. */
    perSecond: number;
    /** Most messages in a burst (the bucket's size). */
    burst: number;
  };
  /** Audit sampling and limits (defaults: `DEFAULT_AUDIT_CONFIG`). */
  readonly audit?: Partial<AuditConfig>;
  /** Who re-executes audit windows (default: on this thread; the server uses a worker thread). */
  readonly auditor?: Auditor;
  /** Seed of the audit sampling. Owners must not be able to guess it: the server draws it at random. */
  readonly auditSeed?: number;
  /** Called with every verdict against an owner (after its tiles were taken). */
  readonly onIncident?: (incident: AuditIncident) => void;
  /** A convicted peer may not own tiles for this long, ms (default 60 s). */
  readonly convictionBanMs?: number;
  /**
   * The world as a previous run of the relay left it (its store): the tiles start from these
   * states instead of the scene, and the timeline goes on from the newest of their ticks.
   * Avatars in them are dropped (their players reconnect and get new ones).
   */
  readonly initialTiles?: readonly TileCheckpoint[];
  /** The world's document as the store kept it (template and own updates); a new, empty one by default. */
  readonly document?: StoredDocument;
  /** Stores a document update before the relay acknowledges it (the server's store; none in memory-only runs). */
  readonly persistDocUpdate?: (update: Uint8Array) => void;
  /** Who holds each tile at which epoch (default: a `LocalLeaseTable`, this process alone). */
  readonly leases?: LeaseTable;
  /** Where joining players' ids come from (default: `LocalPeerIds`, 1, 2, 3, … of this process alone). */
  readonly peerIds?: PeerIdSource;
  /** The players of a cluster's other nodes and the way to them (default: `NoRemotePeers`, this process alone). */
  readonly remotePeers?: RemotePeers;
}

/** A player that sent no pose for this long is given no tile, ms (poses come every 100 ms: three missed). */
const UNHEARD_MS = 300;

/** Kept off an area of interest's slack (metres), against rounding in distances computed again. */
const INTEREST_SLACK_MARGIN_M = 1e-6;

interface PeerState {
  readonly id: PeerId;
  readonly link: Link;
  readonly name: string;
  readonly avatar: EntityId;
  readonly joinedAt: number;
  /** From the join token: creators edit the layout; viewers own no tiles. */
  readonly role: DocRole;
  position: Vec3 | undefined;
  subscribed: Set<string>;
  /** `subscribed` as a list in `compareTiles` order (the same key strings as `tileGrid`): compared with a fresh area of interest without building a set. */
  interest: readonly string[];
  /** `subscribed` sorted as strings (the order of the directory sent to the player), built when first needed after a change. */
  subscribedSorted: readonly string[] | undefined;
  /**
   * Where `interest` was last computed, how many tiles there were then, and how far the player
   * may move from there before any tile's distance can cross the radius (see `interestSlack`).
   */
  interestAt: { x: number; y: number; z: number; tiles: number; slack: number } | undefined;
  readonly assembler: ChunkAssembler;
  readonly limiter: RateLimiter;
  /**
   * The newest tick of the player's own timeline in a message the relay has read from it (its
   * link may be cut for a while with the socket open, and then everything arrives at once).
   */
  lastHeardTick: number;
  /**
   * When the player last sent a pose (ms). Poses come from its simulation's step, every 6 ticks:
   * a player whose step has stopped may still answer on its connection, but is given no tile.
   */
  lastPoseAtMs: number;
}

interface TileRecord {
  readonly tile: TileId;
  /** The holder, read from the lease table (`tileRecord`). */
  readonly owner: PeerId;
  /** The holder's epoch, read from the lease table. */
  readonly epoch: number;
  lease: TileLease;
  /** Last keyframe received from a peer owner; `matched` once it hashed to the owner's commitment. */
  keyframe: { epoch: number; tick: number; snapshot: Uint8Array; matched: boolean } | undefined;
  /** `inputs`: what the relay's own simulation had queued for the tile and not applied yet (`passOnInputs`). */
  /** `queueInState`: the state handed on already holds what `queued` would add or remove (a timed-out handoff's keyframe corrected with the transit log). */
  handoff: { to: PeerId; epoch: number; deadline: number; inputs?: { tick: number; input: EntityInput }[]; early?: EarlyMigrant[]; queueInState?: boolean } | undefined;
  /**
   * The shared tick when the current owner was handed the tile. Its silence is counted from
   * here, not from the lease's first tick: a state handed over late (a busy relay's own tile,
   * a slow old owner) leaves the new owner ticks to catch up that it cannot commit any sooner.
   */
  grantedAtTick: number;
  /**
   * Spawns and despawns for the tile that arrived during its handoff: the old owner may already
   * have sent its last state, and the new one does not hold the tile yet. Applied at the new
   * owner right after the handed-over state.
   */
  queued: ({ in: EntityDesc } | { out: EntityId })[];
}

interface Connection {
  readonly link: Link;
  peer: PeerState | undefined;
  readonly assembler: ChunkAssembler;
  readonly limiter: RateLimiter;
  /** Hello deadline, byte budget, chunk caps, flood closing (`connection-guard.ts`). */
  readonly guard: GuardedConnection;
}

/**
 * The relay's logic, free of sockets: joins, clock sync, the tile directory and leases,
 * ownership that follows players (with hysteresis and handoff at a tick boundary), WebRTC
 * signalling, the fallback data path, and simulation of every tile no peer owns — with the
 * same `src/sim` code the peers run. The server (`server.ts`) and the test harness drive it.
 */
export class RelayCore {
  /** The world's configuration, resolved from the scene's (defaults filled in). */
  readonly config: WorldConfig;
  /** Counters and gauges of the relay (served as Prometheus text by the server). */
  readonly metrics = new RelayMetrics();
  private readonly opts: RelayCoreOptions;
  private readonly authority: TileAuthority;
  private readonly tiles = new Map<string, TileRecord>();
  /** The keys of `tiles` by coordinate (x → y → z → key), for areas of interest without building a key per candidate tile. */
  private readonly tileGrid = new Map<number, Map<number, Map<number, string>>>();
  /** Set by `interestOf`: the least distance of any tile's from the radius (0: none known). */
  private interestSlack = 0;
  /** `tiles` in `compareTiles` order, built when first needed after a tile is added. */
  private tilesSorted: TileRecord[] | undefined;
  /** Encoded `Lease` messages by lease (a lease object is never changed: a renewal is a new one), sent to every subscriber as they are. */
  private readonly encodedLeases = new WeakMap<TileLease, Uint8Array[]>();
  /** Who holds each tile at which epoch: the records' `owner` and `epoch` are read from it. */
  private readonly leases: LeaseTable;
  private readonly peers = new Map<PeerId, PeerState>();
  /**
   * Who is subscribed to each tile (tile key → peer ids, ascending): the index of the players'
   * `subscribed` sets, kept by `updateInterest` and on leave, so a tile's subscribers cost what they number.
   */
  private readonly subscriberIndex = new Map<string, PeerId[]>();
  /** The roster as the players were last told it (this node's players and the cluster's others). */
  private readonly rosterSent = new Map<PeerId, RosterEntry>();
  /** The other nodes' players as last listed in `rosterSent`. */
  private rosterRemote = new Map<PeerId, RosterEntry>();
  /** This node's players who joined since the last roster was sent (not yet in `rosterSent`): each gets the whole roster. */
  private readonly rosterJoined = new Map<PeerId, RosterEntry>();
  /** This node's players in `rosterSent` who left since. */
  private readonly rosterLeft = new Set<PeerId>();
  /** The other nodes' players changed since the roster was last sent. */
  private rosterRemoteChanged = false;
  private readonly connections = new Set<Connection>();
  private readonly tickZeroMs: number;
  private readonly peerIds: PeerIdSource;
  private readonly remote: RemotePeers;
  private chunkId = 1;
  /** The last tile state or delta encoded, and its bytes (sent to every subscriber as they are). */
  private lastEncoded: { m: Message; parts: Uint8Array[] } | undefined;
  private lastRebalance = 0;
  private lastRenewal = 0;
  /**
   * Entities the relay moved into or out of peer-owned tiles, kept for a few seconds: when an
   * owner vanishes, its last keyframe is corrected with them, so no entity is lost or doubled.
   */
  private readonly transit = new Map<string, { at: number; in?: EntityDesc; out?: EntityId }[]>();
  /** Fixed bodies of peer-owned tiles, decoded from their last keyframe. */
  private readonly keyframeBodies = new Map<string, { tick: number; fixed: EntityDesc[] }>();
  /**
   * Entities the relay had to place in one of its own tiles while its simulation did not hold
   * that tile yet (a takeover or handoff on its way): placed again each tick until they land,
   * instead of being dropped (six loaded tabs lost the train and avatars that way).
   */
  private placingAgain = false;
  private unplaced: { e: EntityDesc; fromTick: number | undefined; to: TileId | undefined; since: number; warned?: boolean }[] = [];
  /** Where each avatar was last reported (entity → tile), for despawns and input routing. */
  private readonly avatarTiles = new Map<EntityId, string>();
  /** The players' own copies of their inputs (the audit checks owners' logs against them). */
  private readonly inputLedger = new InputLedger();
  /** What the relay routed into peer-owned tiles (the audit matches owners' records with it). */
  private readonly evidence: RoutedEvidence;
  /** Where the simulation last put each entity: the relay's own tiles, and the committed states of players' tiles. */
  private readonly committed = new Map<EntityId, { tile: string; tick: number; position: Vec3 }>();
  /** When the relay last heard from each departed player before its connection closed (avatar → tick), for 30 s. */
  private readonly departed = new Map<EntityId, number>();
  /** Inputs whose relay copy goes to the avatar's owner if no record applied them by `due` (ticks). */
  private inputFallbacks: { due: number; peer: PeerId; avatar: EntityId; tick: number; inputs: EntityInput[] }[] = [];
  /** Owners that lost tiles for silence or findings: no new lease until `until` (ms); each loss doubles the next wait. */
  private readonly cooldowns = new Map<PeerId, { until: number; strikes: number }>();
  private readonly auditor: Auditor;
  /** Audits of peer-owned tiles. */
  readonly audit: AuditDesk;
  /** Peers with a verdict against them, until when they may not own tiles (ms). */
  private readonly convicted = new Map<PeerId, number>();
  private lastAuditStats = 0;
  /** When the last `tick()` ended (wall ms): a long gap before the next one is a stall of the relay itself. */
  private lastTickEndMs: number | undefined;
  /** Ticks in a row that followed a stall and so judged nothing. */
  private unjudgedTicks = 0;
  /** The world's document: authored layout, profiles, chat; the relay is always a member. */
  readonly doc: WorldDocHost;

  constructor(opts: RelayCoreOptions) {
    this.opts = opts;
    this.leases = opts.leases ?? new LocalLeaseTable();
    this.peerIds = opts.peerIds ?? new LocalPeerIds();
    this.remote = opts.remotePeers ?? new NoRemotePeers();
    this.remote.attach({ deliver: (t) => this.fromRemote(t), rosterChanged: () => {
        this.rosterRemoteChanged = true;
      },
    });
    // The relay's `spawn` option is the world's spawn point: avatars that fall out come back there.
    this.config = resolveWorldConfig(opts.spawn ? { ...opts.scene.config, spawnPoint: opts.spawn } : opts.scene.config);
    const stored = opts.initialTiles ?? [];
    const startTick = stored.reduce((t, c) => Math.max(t, c.tick), 0);
    // A restored world's timeline goes on where it stopped (ticks in stored states stay valid).
    this.tickZeroMs = opts.now() - (startTick * 1000) / this.config.tickRate;
    this.auditor = opts.auditor ?? new InlineAuditor(this.config, opts.registry);
    this.evidence = new RoutedEvidence(this.config.tickRate);
    this.audit = new AuditDesk(
      {
        config: this.config,
        registry: opts.registry,
        now: () => this.opts.now(),
        currentTick: () => this.currentTick,
        requestState: (owner, tile, epoch, tick) => this.sendTo(owner, { type: MsgType.AuditRequest, tile, epoch, tick }, true),
        isSuspect: (owner) => this.convicted.has(owner),
        playerLeftAt: (avatar) => this.departed.get(avatar),
        lastHeardFrom: (avatar) => this.peerOfAvatar(avatar)?.lastHeardTick,
        found: (f) => this.convict(f),
      },
      this.auditor,
      this.inputLedger,
      this.evidence,
      { ...DEFAULT_AUDIT_CONFIG, ...opts.audit },
      opts.auditSeed ?? 1,
    );
    this.authority = new TileAuthority(
      this.config,
      opts.registry,
      RELAY_PEER,
      {
        send: (to, message, reliable) => {
          if (to === RELAY_PEER) {
            // The relay's own tiles sending to a tile nobody holds yet: the relay creates it.
            if (message.type === MsgType.Migrate) this.placeEntity(message.entity, message.tick, message.to);
            else if (message.type === MsgType.EntityMail && !this.authority.deliver(message.message)) this.refuse(undefined, 'route', `message to ${message.message.to} not deliverable`);
            return;
          }
          // A tile in handoff: its old owner may have let go of it already, its new one holds it
          // not yet. Queued like any entity placed there, for the new owner right after the state
          // (sent straight to the old owner, a train was bounced back and lost: fault simulator, demo world 103).
          if (message.type === MsgType.Migrate && this.tiles.get(tileKey(message.to))?.handoff) {
            const inputs = this.authority.takeInputs(new Set([message.entity.id]));
            this.placeEntity(message.entity, message.tick, message.to);
            // Inputs it had queued for the migrant go to the new owner with the tile's own.
            const h = this.tiles.get(tileKey(message.to))!.handoff;
            if (h && inputs.length > 0) h.inputs = [...(h.inputs ?? []), ...inputs];
            return;
          }
          if (message.type === MsgType.Migrate) this.logTransit(message.to, { in: message.entity });
          this.sendTo(to, message, reliable);
          // An entity leaving the relay's simulation for a player's tile: inputs it queued for it and did not apply go along.
          if (message.type === MsgType.Migrate) this.passOnInputs(this.authority.takeInputs(new Set([message.entity.id])), to, message.entity.id);
        },
        ownerOf: (tile) => {
          const r = this.tiles.get(tileKey(tile));
          return r ? { owner: r.owner, epoch: r.epoch } : undefined;
        },
        tileOfEntity: (id) => this.locate(id),
        dropped: (reason) => this.refuse(undefined, 'route', reason),
        ghostsFrom: (from, to) => this.fixedGhostsFrom(from, to),
      },
      opts.replication ?? DEFAULT_REPLICATION,
      startTick,
    );
    // The ledger marks what the relay's simulation really applied, at the tick of that step: queued
    // inputs of an entity it hands on (its simulation behind the timeline) stay unapplied for the next holder.
    this.authority.onInputsApplied = (inputs, tick) => {
      for (const i of inputs) this.inputLedger.apply(i, 'relay', tick);
    };
    // The relay starts as the owner of every tile (epoch 1): of the stored world, or of the scene.
    // Stored tiles stand at different ticks (a player's tile was saved as of its last verified
    // state): caught up to the newest together, so an entity crossing from one into another
    // meanwhile arrives there (one by one, it reached a tile not adopted yet, which the relay then
    // created empty, and the stored tile was refused its lease and lost: fault simulator, demo
    // world 407). What leaves them for tiles not stored is placed once they are all held.
    const leaving: (() => void)[] = [];
    const initial = stored.length > 0 ? this.caughtUp(stored.map((c) => this.withoutAvatars(c.snapshot)), startTick, leaving) : TileWorldSeed.split(opts.scene, this.config, opts.registry).map((sim) => {
      const snapshot = sim.snapshot();
      sim.dispose();
      return { tile: sim.tile, snapshot };
    });
    for (const { tile, snapshot } of initial.sort((a, b) => a.tile.x - b.tile.x || a.tile.y - b.tile.y || a.tile.z - b.tile.z)) {
      this.leases.grant(tileKey(tile), RELAY_PEER, (d) => {
        if (!d.granted) return this.leaseRefused(tile, d);
        this.authority.adopt(tile, d.entry.epoch, snapshot, []);
        this.addTile(tile, this.tileRecord(tile, this.signLease(tile, RELAY_PEER, d.entry.epoch, startTick)));
      });
    }
    for (const place of leaving) place();
    this.doc = new WorldDocHost(opts.registry, this.config.tileEdge, opts.document, {
      place: (e) => this.placeEntity(e),
      remove: (id) => this.removeEntity(id),
      send: (peer, m) => this.sendTo(peer, m, true),
      peers: () => [...this.peers.keys()].sort((a, b) => a - b),
      persist: (u) => opts.persistDocUpdate?.(u),
      storeFailed: (reason) => this.opts.log(reason === undefined ? { level: 'info', msg: 'document updates stored again' } : { level: 'error', msg: 'document update not stored: edits are not acknowledged until it is', reason }),
      role: (peer) => this.peers.get(peer)?.role ?? 'viewer',
      refuse: (peer, reason) => {
        const p = this.peers.get(peer);
        this.refuse(p ? this.connOf(p) : undefined, 'document', reason);
      },
    });
    // Every tile is the relay's now: the authored entities it holds are all there are.
    const present = new Set(this.authority.world.tileList().flatMap((t) => t.entityIds()).filter((id) => id >= TEMPLATE_ENTITY_BASE && id < FIRST_SPAWNED_ID));
    this.doc.reconcile(present);
  }

  /**
   * Starts simulating tiles the lease table says this node's relay holds at the epochs given,
   * though the relay did not ask for them: a cluster node taking over a dead node's tiles
   * (`Failover`). Each starts from its checkpoint without avatars (their players were the dead
   * node's, as at a restart), or from the scene's entities in it when it was never saved; they
   * are caught up to now together (`catchUpTogether`), so entities crossing between them meanwhile
   * are neither lost nor doubled. Answers, per tile, whether it is simulated here now: not (logged)
   * when the lease table does not say this relay holds it at that epoch, or it is here already.
   */
  adoptTiles(tiles: readonly { readonly tile: TileId; readonly epoch: number; readonly checkpoint?: TileCheckpoint }[]): boolean[] {
    const ok = tiles.map(({ tile, epoch }) => {
      const key = tileKey(tile);
      const held = this.leases.get(key);
      if (held && held.node === this.leases.node && held.owner === RELAY_PEER && held.epoch === epoch && !this.tiles.has(key)) return true;
      this.opts.log({ level: 'error', msg: 'tile not adopted', tile: key, epoch, lease: held ?? null, here: this.tiles.has(key) });
      return false;
    });
    const states = tiles.filter((_, i) => ok[i]).map(({ tile, checkpoint }) => {
      if (checkpoint) return this.withoutAvatars(checkpoint.snapshot);
      const key = tileKey(tile);
      const entities = this.opts.scene.entities.filter((e) => e.kind !== 'avatar' && tileKey(tileOf(e.state.position, this.config.tileEdge)) === key);
      const sim = TileSimulation.create(tile, this.config, this.opts.registry, entities, this.authority.tick);
      const snapshot = sim.snapshot();
      sim.dispose();
      return { tile, snapshot };
    });
    const caught = catchUpTogether(states, this.authority.tick, this.config, this.opts.registry, {
      migrant: (to, entity, tick) => this.placeEntity(entity, tick, to),
      mail: (m) => {
        if (!this.authority.deliver(m)) this.refuse(undefined, 'route', `message to ${m.to} not deliverable`);
      },
    });
    tiles.forEach(({ tile, epoch }, i) => {
      if (!ok[i]) return;
      const key = tileKey(tile);
      this.authority.adopt(tile, epoch, caught.snapshots.get(key)!, this.subscribersOf(key));
      this.addTile(tile, this.tileRecord(tile, this.signLease(tile, RELAY_PEER, epoch, this.authority.tick)));
    });
    for (const p of this.peers.values()) this.updateInterest(p);
    return ok;
  }

  /** Stored tiles stepped together to `tick`; entities and mail leaving them for other tiles are queued on `leaving`. */
  private caughtUp(states: { tile: TileId; snapshot: Uint8Array }[], tick: number, leaving: (() => void)[]): { tile: TileId; snapshot: Uint8Array }[] {
    const caught = catchUpTogether(states, tick, this.config, this.opts.registry, {
      migrant: (to, entity, at) => leaving.push(() => this.placeEntity(entity, at, to)),
      mail: (m) =>
        leaving.push(() => {
          if (!this.authority.deliver(m)) this.refuse(undefined, 'route', `message to ${m.to} not deliverable`);
        }),
    });
    return states.map(({ tile }) => ({ tile, snapshot: caught.snapshots.get(tileKey(tile))! }));
  }

  /** A stored tile without the avatars of players from the previous run. */
  private withoutAvatars(snapshot: Uint8Array): { tile: TileId; snapshot: Uint8Array } {
    const sim = TileSimulation.restore(snapshot, this.config, this.opts.registry);
    try {
      const avatars = sim.entityIds().filter((id) => sim.describe(id).kind === 'avatar');
      if (avatars.length === 0) return { tile: sim.tile, snapshot };
      sim.receiveRemovals(avatars);
      sim.applyInbound();
      return { tile: sim.tile, snapshot: sim.snapshot() };
    } finally {
      sim.dispose();
    }
  }

  /**
   * The newest state the relay can vouch for, per tile: its own for the tiles it simulates, the
   * last verified (or commitment-matching) state for tiles players own. What the store keeps.
   */
  checkpoints(): TileCheckpoint[] {
    return this.consistentCut(this.tileStates());
  }

  /** The newest trusted state of each tile, as it is (tiles players own are older than the relay's). */
  private tileStates(): TileCheckpoint[] {
    const out: TileCheckpoint[] = [];
    for (const r of this.sortedTiles()) {
      if (r.owner === RELAY_PEER && !r.handoff) {
        const sim = this.authority.world.tileAt(r.tile);
        if (sim) out.push({ tile: r.tile, tick: sim.tick, snapshot: this.withEarly(r.tile, sim), epoch: r.epoch });
        continue;
      }
      const verified = this.audit.verifiedState(r.tile);
      const kf = r.keyframe?.matched ? r.keyframe : undefined;
      const best = verified && (!kf || verified.tick >= kf.tick) ? verified : kf;
      // Older than the relay's own tiles: entities that crossed in or out since are put right,
      // so a crossing one is saved once, not twice or never.
      if (best) out.push({ tile: r.tile, tick: best.tick, snapshot: this.withTransit(r, best.snapshot), epoch: r.epoch });
    }
    return out;
  }

  /**
   * One of the relay's own tiles as it stands, with the migrants that wait for its simulation
   * to reach their tick (a relay running behind its clock holds them outside every tile's
   * state): saved without them, a migrant whose sender's tile is saved without it too (it left)
   * was in no saved state, and a restarted relay had lost it.
   */
  private withEarly(tile: TileId, sim: TileSimulation): Uint8Array {
    const snapshot = sim.snapshot();
    const early = this.authority.earlyFor(tile).filter((m) => !sim.has(m.entity.id));
    if (early.length === 0) return snapshot;
    const copy = TileSimulation.restore(snapshot, this.config, this.opts.registry);
    try {
      copy.receiveImmigrants(early.map((m) => ({ ...m.entity, state: { ...m.entity.state, position: clampInto(m.entity.state.position, tile, this.config.tileEdge) } })));
      copy.applyInbound();
      return copy.snapshot();
    } finally {
      copy.dispose();
    }
  }

  /**
   * Makes tile states of different ticks one cut of the world: every entity in exactly one
   * tile. A player's tiles are saved as of their own (older, differing) ticks, so an entity
   * that crossed between two of them, or into the relay's, since may be in both or in neither:
   * a copy in two tiles stays only in the newest state; one that entered a player's tile after
   * its saved tick (its records say so) and is nowhere else is added there.
   */
  private consistentCut(states: TileCheckpoint[]): TileCheckpoint[] {
    const own = (c: TileCheckpoint): boolean => this.authority.holds(c.tile) && this.tiles.get(tileKey(c.tile))?.owner === RELAY_PEER;
    const sims = states.map((c) => (own(c) ? undefined : TileSimulation.restore(c.snapshot, this.config, this.opts.registry)));
    try {
      const where = new Map<EntityId, number[]>();
      states.forEach((c, i) => {
        const ids = sims[i]?.entityIds() ?? this.authority.world.tileAt(c.tile)?.entityIds() ?? [];
        for (const id of ids) where.set(id, [...(where.get(id) ?? []), i]);
      });
      const changed = new Set<number>();
      for (const [id, at] of where) {
        if (at.length < 2) continue;
        // The newest state keeps it (the relay's tiles are the newest); a tie goes to the first tile.
        const keep = at.reduce((best, i) => (states[i]!.tick > states[best]!.tick ? i : best), at[0]!);
        for (const i of at) {
          if (i === keep || !sims[i]) continue;
          sims[i]!.receiveRemovals([id]);
          changed.add(i);
        }
      }
      states.forEach((c, i) => {
        const sim = sims[i];
        if (!sim) return;
        for (const e of this.audit.immigrantsAfter(c.tile, c.tick)) {
          if (where.has(e.id)) continue;
          sim.receiveImmigrants([{ ...e, state: { ...e.state, position: clampInto(e.state.position, c.tile, this.config.tileEdge) } }]);
          where.set(e.id, [i]);
          changed.add(i);
        }
      });
      return states.map((c, i) => {
        if (!changed.has(i)) return c;
        sims[i]!.applyInbound();
        return { ...c, snapshot: sims[i]!.snapshot() };
      });
    } finally {
      for (const sim of sims) sim?.dispose();
    }
  }

  /** The shared timeline's current tick, from the relay's clock. */
  get currentTick(): number {
    return Math.floor(((this.opts.now() - this.tickZeroMs) * this.config.tickRate) / 1000);
  }

  /** Number of connected players. */
  get peerCount(): number {
    return this.peers.size;
  }

  /** Owner and epoch of every tile, sorted by tile. */
  directory(): {
    /** The tile. */
    tile: TileId;
    /** Its owner (`RELAY_PEER` when the relay simulates it). */
    owner: PeerId;
    /** The epoch of its current lease. */
    epoch: number;
  }[] {
    return [...this.tiles.values()].sort((a, b) => a.tile.x - b.tile.x || a.tile.y - b.tile.y || a.tile.z - b.tile.z).map((r) => ({ tile: r.tile, owner: r.owner, epoch: r.epoch }));
  }

  /** Entities in the tiles the relay simulates itself. */
  relayEntityCount(): number {
    return this.authority.world.entityCount;
  }

  /** The relay's own simulation, read-only use (tests, metrics). */
  get ownWorld(): TileAuthority['world'] {
    return this.authority.world;
  }

  /**
   * Tick and `entitiesDigest` of the last `TileState` the relay sent for a tile it simulates: to
   * `peer` when given (subscribers get full states when they join or ask, each its own), else to anyone.
   */
  stateDigest(
    tile: TileId,
    peer?: PeerId,
  ):
    | {
        /** The tick of that `TileState`. */
        tick: number;
        /** `entitiesDigest` of its entities. */
        digest: string;
      }
    | undefined {
    return peer === undefined ? this.authority.stateDigests.get(tileKey(tile)) : this.authority.stateDigestFor(tile, peer);
  }

  /** Takes a new connection; the first message must be a hello. */
  connect(link: Link): void {
    // Connections waiting for their hello are bounded in number and in time: past the cap, refused and closed.
    const guard = connectionGuard(this, { now: this.opts.now, log: this.opts.log, metrics: this.metrics }).admit(link);
    if (!guard) return;
    const conn: Connection = { link, peer: undefined, assembler: guard.assembler, limiter: this.newLimiter(), guard };
    this.connections.add(conn);
    this.metrics.connections++;
    link.onMessage = (bytes) => this.onBytes(conn, bytes);
    link.onClose = () => {
      guard.release();
      this.onClose(conn);
    };
  }

  /**
   * Advances the relay: steps its own tiles to now, moves ownership, renews leases, times out
   * handoffs. `maxStepTicks` (default: the option of that name, else 30) bounds how many ticks
   * its own tiles step in this call; the seeded harness passes fewer to model a relay whose
   * simulation falls behind the timeline for a while.
   */
  tick(maxStepTicks = this.opts.maxStepTicks ?? 30): void {
    const now = this.currentTick;
    const wall = this.opts.now();
    // What the relay judges by time (commitments, audit answers, handoffs) it judges first, before
    // this tick's own work, and only when it has been listening: a tick that starts long after
    // the last one ended follows a stall (a long handler, a busy machine) and may run before what
    // arrived meanwhile is read, so its judgments wait for the next tick. A relay that stalled
    // never blames its owners for its own delay.
    // On a relay so overloaded that every gap is long, judgments wait at most a few ticks (liveness).
    const listening = this.lastTickEndMs === undefined || wall - this.lastTickEndMs <= LISTENING_GAP_MS || this.unjudgedTicks >= MAX_UNJUDGED_TICKS;
    this.unjudgedTicks = listening ? 0 : this.unjudgedTicks + 1;
    if (listening) this.judgeDeadlines(now, wall);
    this.placeUnplaced();
    this.flushRoster();
    const t0 = performance.now();
    // The relay's own tiles catch up in bites of at most ~40 ms of work, so a busy tile never holds
    // signalling, leases and relayed traffic for long (they fall behind the timeline instead).
    // Off in the seeded harness (no budget): there a tick's work must not depend on real time.
    const budget = this.opts.stepBudgetMs;
    const stepped = this.authority.stepTo(now, maxStepTicks, budget === undefined ? undefined : () => performance.now() - t0 > budget);
    const t1 = performance.now();
    if (now - this.lastRebalance >= (this.opts.rebalanceEveryTicks ?? 15)) {
      this.lastRebalance = now;
      this.rebalance();
    }
    const t2 = performance.now();
    if (now - this.lastRenewal >= this.config.tickRate) {
      this.lastRenewal = now;
      this.renewLeases(listening);
      // The relay's evidence is bounded: routed items for 10 s, the players' inputs for 30 s.
      this.evidence.prune(now);
      this.inputLedger.prune(now - this.config.tickRate * 30);
      for (const [id, c] of this.committed) if (now - c.tick > this.config.tickRate * 30) this.committed.delete(id);
      for (const [id, t] of this.departed) if (now - t > this.config.tickRate * 30) this.departed.delete(id);
    }
    const t3 = performance.now();
    this.sendInputFallbacks(now);
    const t4 = performance.now();
    this.doc.tick();
    const t5 = performance.now();
    // Diagnostics only (nothing below depends on it): a tick that held the event loop long is named, with where the time went.
    if (t5 - t0 > 100) this.opts.log({ level: 'warn', msg: 'slow relay tick', ms: Math.round(t5 - t0), gapMs: this.lastTickEndMs === undefined ? 0 : Math.round(wall - this.lastTickEndMs), judged: listening, stepMs: Math.round(t1 - t0), ticksStepped: stepped, rebalanceMs: Math.round(t2 - t1), leasesMs: Math.round(t3 - t2), auditMs: Math.round(t4 - t3), docMs: Math.round(t5 - t4), simLagTicks: now - this.authority.tick });
    for (const [peer, until] of this.convicted) if (wall > until && !this.peers.has(peer)) this.convicted.delete(peer);
    for (const [peer, c] of this.cooldowns) if (wall - c.until > 120_000 && !this.peers.has(peer)) this.cooldowns.delete(peer);
    if (wall - this.lastAuditStats >= 2000) {
      this.lastAuditStats = wall;
      this.broadcastAuditStats();
    }
    this.lastTickEndMs = this.opts.now();
  }

  /** Owners whose commitments stopped lose their tiles; handoffs past their deadline end; the audit desk times out unanswered requests. */
  private judgeDeadlines(now: number, wall: number): void {
    // An owner whose commitments stop (a frozen tab, a dead network with the socket open) loses
    // its tiles within about a second of its commitments' usual lag; the relay resumes them.
    const silence = this.silenceTicks();
    for (const r of this.sortedTiles()) {
      if (r.owner === RELAY_PEER || r.handoff) continue;
      const last = this.audit.lastCommittedTick(r.tile);
      const since = Math.max(last ?? r.lease.fromTick, r.lease.fromTick, r.grantedAtTick);
      if (now > r.lease.expiresTick || now - since > silence) {
        this.convict({ reason: 'lease-expired', owner: r.owner, tile: r.tile, fromTick: since, toTick: now, detail: `no commitments since tick ${last ?? 'none'} (${((now - since) / this.config.tickRate).toFixed(2)} s)` });
      }
    }
    for (const r of this.sortedTiles()) if (r.handoff && wall > r.handoff.deadline) this.handoffTimedOut(r);
    this.audit.tick();
  }

  /** The connected player whose avatar this is, if any. */
  private peerOfAvatar(avatar: EntityId): PeerState | undefined {
    for (const p of this.peers.values()) if (p.avatar === avatar) return p;
    return undefined;
  }

  /** Prometheus text of the relay's counters and gauges. */
  metricsText(): string {
    let relayTiles = 0;
    let peerTiles = 0;
    for (const r of this.tiles.values()) (r.owner === RELAY_PEER ? relayTiles++ : peerTiles++);
    return this.metrics.render({ peers: this.peers.size, tilesRelay: relayTiles, tilesPeer: peerTiles, entitiesRelay: this.authority.world.entityCount, tick: this.currentTick, simLagTicks: this.currentTick - this.authority.tick, audit: this.audit.counters, auditPending: this.audit.pendingCount, doc: { objects: this.doc.layout.size, ...this.doc.counters } });
  }

  /** Closes every connection (shutdown). */
  /**
   * How many items the relay holds in each of its collections (peers, tiles, transit, audit
   * ledgers, input copies…): the fault simulator checks none grows without bound.
   */
  retained(): Record<string, number> {
    let transit = 0;
    for (const t of this.transit.values()) transit += t.length;
    let queued = 0;
    for (const r of this.tiles.values()) queued += r.queued.length;
    return {
      tiles: this.tiles.size,
      queued,
      peers: this.peers.size,
      connections: this.connections.size,
      transit,
      keyframeBodies: this.keyframeBodies.size,
      avatarTiles: this.avatarTiles.size,
      committed: this.committed.size,
      departed: this.departed.size,
      inputFallbacks: this.inputFallbacks.length,
      cooldowns: this.cooldowns.size,
      convicted: this.convicted.size,
      ...this.audit.retained(),
      ...this.inputLedger.retained(),
      ...this.evidence.retained(),
      ...this.doc.retained(),
    };
  }

  /** Closes every connection and frees the relay's tiles, auditor and document. The core must not be used afterwards. */
  close(): void {
    for (const c of [...this.connections]) c.link.close();
    this.authority.dispose();
    this.auditor.close();
    this.doc.destroy();
  }

  // ---- connections ---------------------------------------------------------------------------

  private newLimiter(): RateLimiter {
    const rl = this.opts.rateLimit ?? { perSecond: 600, burst: 1200 };
    return new RateLimiter(rl.perSecond, rl.burst, this.opts.now);
  }

  private onBytes(conn: Connection, bytes: Uint8Array): void {
    const guard = conn.guard;
    if (guard.closed) return; // closed by its guard: what was still in flight is dropped
    this.metrics.messagesIn++;
    this.metrics.bytesIn += bytes.length;
    // Budgets of messages and of bytes; refusals are counted, logged now and then, and a connection that stays over is closed.
    if (!conn.limiter.take()) return guard.overBudget('rate', 'rate limit exceeded');
    if (!guard.takeBytes(bytes.length)) return;
    // Nothing is reassembled for a connection that has not joined: a chunk before hello closes it.
    if (!conn.peer && bytes[0] === MsgType.Chunk) return guard.close('chunk-unjoined', 'a chunk before hello');
    let m: Message;
    try {
      m = decodeMessage(bytes, this.config.tileEdge);
    } catch (e) {
      return guard.refused('decode', e instanceof Error ? e.message : String(e));
    }
    if (m.type === MsgType.Chunk) {
      let whole: Uint8Array | undefined;
      try {
        // Capped by type, in messages in progress and in bytes held (PROTOCOL.md, "Chunk limits").
        whole = conn.assembler.add(m);
      } catch (e) {
        return guard.refused('chunk', e instanceof Error ? e.message : String(e), ProtocolError.TooLarge);
      }
      if (!whole) return;
      try {
        m = decodeMessage(whole, this.config.tileEdge, Number.MAX_SAFE_INTEGER);
        if (m.type === MsgType.Chunk) throw new TesseraError('bad-input', 'a chunk inside a chunk');
      } catch (e) {
        return guard.refused('decode', e instanceof Error ? e.message : String(e));
      }
    }
    try {
      const peer = conn.peer;
      if (!peer) {
        this.onHello(conn, m);
        if (conn.peer) guard.joinedAs(conn.peer.id);
        else guard.abandon(); // refused and closed: nothing more of it is read
      } else this.onMessage(peer, m, bytes.length);
    } catch (e) {
      // Nothing a peer sends may stop the relay; the refusal is logged and counted.
      this.refuse(conn, 'handler', e instanceof Error ? e.message : String(e));
      if (!conn.peer) guard.abandon();
    }
  }

  private refuse(conn: Connection | undefined, kind: string, reason: string): void {
    this.metrics.refused(kind);
    this.opts.log({ level: 'warn', msg: 'refused', kind, reason, peer: conn?.peer?.id });
    if (conn && kind !== 'route') {
      try {
        conn.link.send(this.encode({ type: MsgType.Error, code: kind === 'rate' ? ProtocolError.RateLimited : ProtocolError.BadMessage, reason: reason.slice(0, 200) })[0]!, true);
      } catch {
        // the link is gone; nothing more to tell it
      }
    }
  }

  private onHello(conn: Connection, m: Message): void {
    if (m.type !== MsgType.Hello) {
      this.refuse(conn, 'auth', 'the first message must be a hello');
      conn.link.close();
      return;
    }
    const deny = (code: number, reason: string): void => {
      this.metrics.refused('auth');
      this.opts.log({ level: 'warn', msg: 'join refused', reason });
      conn.link.send(this.encode({ type: MsgType.Error, code, reason })[0]!, true);
      conn.link.close();
    };
    if (m.version !== PROTOCOL_VERSION) return deny(ProtocolError.WrongVersion, `protocol ${m.version} not supported (this relay speaks ${PROTOCOL_VERSION})`);
    if (m.world !== this.opts.world) return deny(ProtocolError.Unauthorized, `unknown world ${JSON.stringify(m.world)}`);
    const bad = this.opts.checkToken(m.token, m.world);
    if (bad !== undefined) return deny(ProtocolError.Unauthorized, bad);
    if (this.peers.size >= (this.opts.maxPeers ?? 256)) return deny(ProtocolError.Unauthorized, 'world is full');

    const id = this.peerIds.next();
    if (id === undefined) return deny(ProtocolError.Unauthorized, 'no player id to give now (the cluster store is unreachable): try again');
    // Derived from the id: unique across a cluster's nodes as the id is.
    const avatar = avatarOf(id);
    const peer: PeerState = { id, link: conn.link, name: m.name.slice(0, 32) || `player ${id}`, avatar, joinedAt: this.opts.now(), role: this.opts.roleOf?.(m.token) ?? 'creator', position: undefined, subscribed: new Set(), interest: [], subscribedSorted: undefined, interestAt: undefined, assembler: conn.assembler, limiter: conn.limiter, lastHeardTick: this.currentTick, lastPoseAtMs: this.opts.now() };
    conn.peer = peer;
    this.peers.set(id, peer);
    this.metrics.joins++;
    this.opts.log({ level: 'info', msg: 'join', peer: id, name: peer.name });

    const spawn = this.config.spawnPoint;
    const k = (id - 1) % 8;
    // On a diagonal: seen side by side from behind, and no two share a row or a column, so
    // players walking straight off do not bump into each other.
    const position = { x: spawn.x + (k % 4) * 1.2 - 1.8 + Math.floor(k / 4) * 0.6, y: spawn.y, z: spawn.z + (k % 4) * 1.5 - 2.25 };
    peer.position = position;
    this.sendTo(id, { type: MsgType.Welcome, peer: id, world: this.opts.world, config: this.config, serverTimeMs: this.opts.now(), tickZeroMs: this.tickZeroMs, avatar, relayKey: this.opts.signer.publicKey, role: peer.role, kinds: this.opts.registry.names() }, true);
    this.placeEntity({ id: avatar, kind: 'avatar', body: AVATAR_BODY, state: { position, rotation: { x: 0, y: 0, z: 0, w: 1 }, linvel: { x: 0, y: 0, z: 0 }, angvel: { x: 0, y: 0, z: 0 } }, props: { name: peer.name } });
    this.avatarTiles.set(avatar, tileKey(tileOf(position, this.config.tileEdge)));
    this.updateInterest(peer);
    this.rosterJoined.set(id, { peer: id, name: peer.name, avatar });
  }

  private onClose(conn: Connection): void {
    this.connections.delete(conn);
    const peer = conn.peer;
    if (!peer) return;
    this.peers.delete(peer.id);
    // Out of every tile's subscribers at once: what follows (takeovers, announcements) no longer counts it.
    for (const key of peer.subscribed) this.unindexSubscriber(key, peer.id);
    this.metrics.leaves++;
    this.opts.log({ level: 'info', msg: 'leave', peer: peer.id });
    // Its tiles go to the relay (or the next best peer at the next rebalance), from the last state it sent.
    for (const r of this.sortedTiles()) {
      if (r.owner === peer.id) this.takeOver(r, 'owner left');
      else if (r.handoff?.to === peer.id) r.handoff = undefined;
    }
    const avatarTile = this.avatarTiles.get(peer.avatar);
    this.avatarTiles.delete(peer.avatar);
    // Its inputs stay in the ledger (pruned by age): owners' records of them may still come in.
    // It left, for the audit, when the relay last heard from it: what it sent after that may have
    // died with its connection (a relay that stalled 3 s noticed the close of a player whose
    // copy of an input it never read, and convicted the owner that applied it: world 125).
    this.departed.set(peer.avatar, Math.min(this.currentTick, peer.lastHeardTick));
    if (avatarTile !== undefined) this.removeEntity(peer.avatar);
    this.doc.left(peer.id);
    for (const key of peer.subscribed) this.pushSubscribers(key);
    if (!this.rosterJoined.delete(peer.id)) this.rosterLeft.add(peer.id);
  }

  // ---- messages from players ----------------------------------------------------------------

  private onMessage(peer: PeerState, m: Message, bytes: number): void {
    // The closed protocol (src/protocol/routes.ts): only what a player may send the relay is taken.
    if (!allowedRoute(m.type, 'peer-to-relay')) return this.refuse(this.connOf(peer), 'type', `message type ${m.type} is not accepted from a peer`);
    // How far the player's own timeline had got when it sent this: everything it sent before has
    // arrived (its link is ordered), so an input stamped well before it that is not here never was.
    const sentAt = sentTickOf(m);
    if (sentAt !== undefined && sentAt > peer.lastHeardTick) peer.lastHeardTick = Math.min(sentAt, this.currentTick + this.config.tickRate);
    switch (m.type) {
      case MsgType.Ping:
        this.sendTo(peer.id, { type: MsgType.Pong, clientTimeMs: m.clientTimeMs, serverTimeMs: this.opts.now() }, false);
        return;
      case MsgType.Pose:
        // Only a hint: bounded by how far the avatar can have gone since the simulation last placed it.
        peer.position = this.boundedPose(peer, { x: m.x, y: m.y, z: m.z });
        peer.lastPoseAtMs = this.opts.now();
        this.avatarTiles.set(peer.avatar, tileKey(tileOf(peer.position, this.config.tileEdge)));
        this.updateInterest(peer);
        return;
      case MsgType.Signal: {
        const to = this.peers.get(m.peer);
        if (!to && this.remote.send({ kind: 'signal', from: peer.id, to: m.peer, data: m.data })) return void this.metrics.signals++;
        if (!to) return this.refuse(this.connOf(peer), 'route', `signal to unknown peer ${m.peer}`);
        this.metrics.signals++;
        this.sendTo(to.id, { type: MsgType.Signal, peer: peer.id, data: m.data }, true);
        return;
      }
      case MsgType.Forward: {
        // Only to a peer id of this world: the relay never connects anywhere on a peer's behalf.
        const to = this.peers.get(m.to);
        if (!to && m.to !== peer.id && this.remote.send({ kind: 'forward', from: peer.id, to: m.to, payload: m.payload, reliable: m.reliable })) return this.metrics.relayed(peer.id, m.to, m.payload.length);
        if (!to || to.id === peer.id) return this.refuse(this.connOf(peer), 'route', `forward to unknown peer ${m.to}`);
        this.metrics.relayed(peer.id, to.id, m.payload.length);
        this.sendTo(to.id, { type: MsgType.Forwarded, from: peer.id, payload: m.payload }, m.reliable);
        return;
      }
      case MsgType.Commits: {
        const r = this.tiles.get(tileKey(m.tile));
        if (!r || r.owner !== peer.id || m.epoch !== r.epoch) return this.stale(peer, m.tile, m.epoch, r?.epoch);
        if (Math.abs(m.firstTick - this.currentTick) > this.config.tickRate * 10) return this.refuse(this.connOf(peer), 'replay', `commits from tick ${m.firstTick} are not within 10 s of now (${this.currentTick})`);
        const bad = this.audit.onCommits(m.tile, peer.id, m.epoch, m.firstTick, m.hashes, m.records, bytes);
        if (bad) return this.refuse(this.connOf(peer), 'replay', bad);
        this.metrics.commits += m.hashes.length;
        return;
      }
      case MsgType.Keyframe: {
        const r = this.tiles.get(tileKey(m.tile));
        if (!r || r.owner !== peer.id || m.epoch !== r.epoch) return this.stale(peer, m.tile, m.epoch, r?.epoch);
        // The answer to an audit request goes to the audit desk, which re-executes from it.
        if (this.audit.onState(m.tile, peer.id, m.epoch, m.tick, m.snapshot)) return;
        // The relay may resume the tile from this: it must restore, be of this tile, and be recent.
        const checked = this.checkSnapshot(m.tile, m.tick, m.snapshot);
        if (typeof checked === 'string') return this.refuse(this.connOf(peer), 'snapshot', `keyframe of ${tileKey(m.tile)} from peer ${peer.id}: ${checked}`);
        // It must also hash to what the owner committed for that tick (critical digest included).
        const committed = this.audit.commitAt(m.tile, m.tick);
        if (!committed) this.metrics.checkpointsUncommitted++;
        else {
          const finding = this.audit.checkKeyframe(m.tile, m.tick, checked.commit);
          if (finding) {
            this.metrics.checkpointMismatches++;
            return this.convict({ reason: finding, owner: peer.id, tile: m.tile, fromTick: m.tick, toTick: m.tick, detail: `keyframe of tick ${m.tick} does not hash to the owner's commitment` });
          }
          this.metrics.checkpointsVerified++;
          // A committed state: where the simulation says things are (interest, mail authority, the drop check).
          this.noteCommitted(m.tile, m.tick, checked.positions);
          this.audit.onCommittedState(m.tile, peer.id, m.epoch, m.tick, new Set(checked.positions.keys()));
        }
        r.keyframe = { epoch: m.epoch, tick: m.tick, snapshot: m.snapshot, matched: committed !== undefined };
        return;
      }
      case MsgType.HandoffState: {
        const r = this.tiles.get(tileKey(m.tile));
        if (!r || r.owner !== peer.id || !r.handoff || r.handoff.epoch !== m.epoch) return this.stale(peer, m.tile, m.epoch, r?.handoff?.epoch);
        const checked = this.checkSnapshot(m.tile, m.tick, m.snapshot);
        // A bad handoff state is as good as none: the handoff times out onto the last good keyframe.
        if (typeof checked === 'string') return this.refuse(this.connOf(peer), 'snapshot', `handoff state of ${tileKey(m.tile)} from peer ${peer.id}: ${checked}`);
        this.completeHandoff(r, m.tick, m.snapshot);
        return;
      }
      case MsgType.Input: {
        // A player may only drive its own avatar.
        const inputs = m.inputs.filter((i) => i.entity === peer.avatar);
        if (inputs.length !== m.inputs.length) this.refuse(this.connOf(peer), 'authority', `peer ${peer.id} sent input for an entity that is not its avatar`);
        // Wider than what an owner applies (2 s ahead of its clock): every input an honest owner
        // applies is one the relay kept, whatever a slow tab's clock says.
        const now = this.currentTick;
        if (m.tick < now - this.config.tickRate * 10 || m.tick > now + this.config.tickRate * 5) return this.refuse(this.connOf(peer), 'replay', `input stamped tick ${m.tick} is not within 10 s before and 5 s after now (${now})`);
        const fresh = inputs.filter((i) => this.inputLedger.check(i) === 'unknown');
        if (fresh.length !== inputs.length) this.refuse(this.connOf(peer), 'replay', `peer ${peer.id} sent an input sequence number again`);
        if (fresh.length === 0) return;
        // Kept as the player sent it (owners' logs are checked against this copy, each input applied once).
        this.inputLedger.add(m.tick, fresh, now);
        if (this.authority.world.tileOfEntity(peer.avatar)) {
          // Marked applied in the ledger when the relay's simulation applies it (onInputsApplied), not now.
          this.authority.addInputs(m.tick, fresh);
          return;
        }
        // Should no record apply it soon (the player's direct copy lost, or sent to a former
        // owner), the relay's copy goes to the owner of the avatar's tile: the audit expects every
        // input applied. Not at once: the direct copy is the one that arrives in time.
        this.inputFallbacks.push({ due: now + INPUT_FALLBACK_TICKS, peer: peer.id, avatar: peer.avatar, tick: m.tick, inputs: fresh });
        // …unless the avatar's tile changed hands just now: the player's copy went to the one
        // before (it had not heard of the new lease), so the new owner gets the relay's copy at
        // once (it drops a repeat by sequence number, and waits for the avatar should it not hold it yet).
        const r = this.avatarTileRecord(peer.avatar);
        if (r && r.owner !== RELAY_PEER && this.currentTick - r.grantedAtTick <= INPUT_FALLBACK_TICKS) this.sendTo(r.owner, { type: MsgType.Input, tick: m.tick, inputs: fresh }, true);
        return;
      }
      case MsgType.KeyframeRequest:
        if (this.authority.holds(m.tile)) this.authority.sendKeyframeTo(m.tile, peer.id);
        return;
      case MsgType.Migrate: {
        const from = this.tiles.get(tileKey(m.from));
        if (!from || from.owner !== peer.id || m.epoch !== from.epoch) return this.stale(peer, m.from, m.epoch, from?.epoch);
        // An entity leaves for a tile at most two away (an island of three tiles goes to the lowest),
        // and lies at most a tile from it (a body handed over with its island may stick out of
        // the tile that takes it). The audit checks the tile's re-execution produced it.
        const lands = tileOf(m.entity.state.position, this.config.tileEdge);
        const apart = (a: TileId, b: TileId): number => Math.max(Math.abs(a.x - b.x), Math.abs(a.y - b.y), Math.abs(a.z - b.z));
        if (apart(m.to, m.from) < 1 || apart(m.to, m.from) > 2 || apart(lands, m.to) > 1) {
          return this.refuse(this.connOf(peer), 'migrate', `migration of ${m.entity.id} from ${tileKey(m.from)} to ${tileKey(m.to)} (lands in ${tileKey(lands)}) is not to a tile near it`);
        }
        this.logTransit(m.from, { out: m.entity.id });
        // The migrant leaves the tile's record with the relay's knowledge, and the tile's re-execution must produce it.
        this.evidence.removal(tileKey(m.from), m.entity.id, this.currentTick);
        this.audit.onMigrateOut(m.from, peer.id, m.epoch, m.tick, m.entity);
        this.placeEntity(m.entity, m.tick, m.to);
        return;
      }
      case MsgType.EntityMail: {
        // Mail speaks for its sender entity: only the owner of the tile that entity is in may send it.
        const bad = this.mailAuthority(peer, m.message.from);
        if (bad) return this.refuse(this.connOf(peer), 'authority', bad);
        if (this.authority.deliver(m.message)) return;
        const r = this.tiles.get(tileKey(m.tile));
        if (r && r.owner !== RELAY_PEER && r.owner !== peer.id) this.sendTo(r.owner, { ...m, epoch: r.epoch }, true);
        else this.refuse(this.connOf(peer), 'route', `message to ${m.message.to} not deliverable`);
        return;
      }
      case MsgType.StateDelta:
        return; // the relay keeps keyframes, not deltas
      case MsgType.DocSync:
      case MsgType.Presence:
        return this.doc.onMessage(peer.id, m);
      default:
        this.refuse(this.connOf(peer), 'type', `message type ${m.type} is not accepted from a peer`);
    }
  }

  /**
   * A tile snapshot from a peer must restore, name the tile, and carry the tick it claims:
   * returns its state hash when it does, else the reason it cannot be used.
   */
  private checkSnapshot(tile: TileId, tick: number, snapshot: Uint8Array): { commit: [number, number, number]; positions: Map<EntityId, Vec3> } | string {
    let sim: TileSimulation | undefined;
    try {
      sim = TileSimulation.restore(snapshot, this.config, this.opts.registry);
      if (tileKey(sim.tile) !== tileKey(tile)) return `it is a snapshot of tile ${tileKey(sim.tile)}`;
      if (sim.tick !== tick) return `it is of tick ${sim.tick}, not ${tick}`;
      if (Math.abs(sim.tick - this.currentTick) > this.config.tickRate * 10) return `tick ${sim.tick} is not within 10 s of now (${this.currentTick})`;
      const positions = new Map<EntityId, Vec3>();
      sim.forEachTransform((id, _kind, p) => positions.set(id, { x: p.x, y: p.y, z: p.z }));
      return { commit: commitOf(sim), positions };
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    } finally {
      sim?.dispose();
    }
  }

  /**
   * Why `peer` may not send mail in the name of `entity` (undefined when it may): the entity must
   * be in a tile `peer` owns as far as the simulation shows — the relay's own tiles, the last
   * committed state of players' tiles — and not known to be anywhere else. An entity the relay
   * has not seen in any committed state yet may speak only if it was spawned by a simulation
   * (ids from `spawnedEntityId`) and the peer owns a tile at all.
   */
  private mailAuthority(peer: PeerState, entity: EntityId): string | undefined {
    if (this.authority.world.tileOfEntity(entity)) return `peer ${peer.id} sent mail in the name of entity ${entity}, which is in a tile the relay simulates`;
    const at = this.committed.get(entity)?.tile ?? (entity === peer.avatar ? this.avatarTiles.get(entity) : undefined);
    if (at !== undefined) {
      const owner = this.tiles.get(at)?.owner;
      return owner === peer.id ? undefined : `peer ${peer.id} sent mail in the name of entity ${entity}, which is in tile ${at} of ${owner === RELAY_PEER ? 'the relay' : `peer ${owner}`}`;
    }
    const ownsAny = [...this.tiles.values()].some((r) => r.owner === peer.id);
    if (entity >= FIRST_SPAWNED_ID && ownsAny) return undefined;
    return `peer ${peer.id} sent mail in the name of entity ${entity}, which is in none of its tiles`;
  }

  /**
   * Where the relay places a player: what it claims, pulled back to within reach of where the
   * simulation last put its avatar (the relay's own tile, or the last committed state of a
   * player's tile), at `MAX_AVATAR_SPEED` since then plus 2 m. A false position far away gets
   * no subscriptions and no leases there.
   */
  private boundedPose(peer: PeerState, claimed: Vec3): Vec3 {
    const now = this.currentTick;
    const anchor = this.simulatedPosition(peer);
    if (!anchor) return peer.position ?? claimed;
    const reach = (MAX_AVATAR_SPEED * Math.max(0, now - anchor.tick)) / this.config.tickRate + 2;
    const dx = claimed.x - anchor.position.x;
    const dy = claimed.y - anchor.position.y;
    const dz = claimed.z - anchor.position.z;
    const d = Math.sqrt(dx * dx + dy * dy + dz * dz);
    if (d <= reach) return claimed;
    this.metrics.refused('pose-bounded');
    const k = reach / d;
    return { x: anchor.position.x + dx * k, y: anchor.position.y + dy * k, z: anchor.position.z + dz * k };
  }

  /** The relay's copies of inputs no record applied in time, to the owner of the avatar's tile. */
  private sendInputFallbacks(now: number): void {
    if (this.inputFallbacks.length === 0 || this.inputFallbacks[0]!.due > now) return;
    const due = this.inputFallbacks.filter((f) => f.due <= now);
    this.inputFallbacks = this.inputFallbacks.filter((f) => f.due > now);
    for (const f of due) {
      const inputs = f.inputs.filter((i) => !this.inputLedger.appliedAt(i.entity, i.seq));
      if (inputs.length === 0 || !this.peers.has(f.peer)) continue;
      // Sent late (the relay stalled): the player's direct copy may have been held too (a cut
      // between the players), and the owner could have had the relay's copy no sooner than now
      // (fault simulator, demo world 769: a 2.4 s stall convicted the owner of dropped-input).
      if (now > f.due) for (const i of inputs) this.inputLedger.deferReceipt(i, now - INPUT_FALLBACK_TICKS);
      const owners = new Set<PeerId>();
      for (const key of [this.avatarTiles.get(f.avatar), this.committed.get(f.avatar)?.tile]) {
        const r = key === undefined ? undefined : this.tiles.get(key);
        // The player itself too: it may own the tile by now, its input sent before it knew.
        if (r && r.owner !== RELAY_PEER) owners.add(r.owner);
      }
      for (const o of [...owners].sort((a, b) => a - b)) this.sendTo(o, { type: MsgType.Input, tick: f.tick, inputs }, true);
    }
  }

  /** The record of the tile the relay last knew a player's avatar in (from its committed state, else its pose). */
  private avatarTileRecord(avatar: EntityId): TileRecord | undefined {
    const key = this.committed.get(avatar)?.tile ?? this.avatarTiles.get(avatar);
    return key === undefined ? undefined : this.tiles.get(key);
  }

  /**
   * An avatar arrived in a tile at `tick` (a migrant): the inputs its player stamped from then on
   * that no record applied yet can only be applied there, so they go there now rather than at
   * their fallback time: applied in the relay's own tile, or sent to its owner with the migrant.
   */
  private inputsFollowAvatar(avatar: EntityId, tick: number, to: PeerId): void {
    const follow = this.inputFallbacks.filter((f) => f.avatar === avatar && f.tick >= tick);
    if (follow.length === 0) return;
    this.inputFallbacks = this.inputFallbacks.filter((f) => !follow.includes(f));
    for (const f of follow) {
      const inputs = f.inputs.filter((i) => !this.inputLedger.appliedAt(i.entity, i.seq) && !(to === RELAY_PEER && this.authority.hasQueuedInput(i.entity, i.seq)));
      if (inputs.length === 0) continue;
      if (to !== RELAY_PEER) {
        this.sendTo(to, { type: MsgType.Input, tick: f.tick, inputs }, true);
        continue;
      }
      this.authority.addInputs(f.tick, inputs);
    }
  }

  /** Where the simulation last put a player's avatar: live in the relay's tiles, else the last committed state of its owner's tile. */
  private simulatedPosition(peer: PeerState): { position: Vec3; tick: number } | undefined {
    const own = this.authority.world.tileOfEntity(peer.avatar);
    if (own) return { position: this.authority.world.tileAt(own)!.describe(peer.avatar).state.position, tick: this.currentTick };
    return this.committed.get(peer.avatar);
  }

  /**
   * The position ownership is decided by: the simulation's (a player cannot talk its way into a
   * tile), falling back on the bounded report only while the simulation has not placed the avatar.
   */
  private ownershipPosition(peer: PeerState): Vec3 | undefined {
    const sim = this.simulatedPosition(peer);
    return sim && this.currentTick - sim.tick <= this.config.tickRate * 3 ? sim.position : peer.position;
  }

  /** Positions from a committed state of a player's tile (newer sightings win). */
  private noteCommitted(tile: TileId, tick: number, positions: ReadonlyMap<EntityId, Vec3>): void {
    const key = tileKey(tile);
    for (const [id, position] of positions) {
      const prev = this.committed.get(id);
      if (!prev || prev.tick <= tick) this.committed.set(id, { tile: key, tick, position });
    }
  }

  private stale(peer: PeerState, tile: TileId, epoch: number, current: number | undefined): void {
    this.metrics.staleEpochs++;
    this.refuse(this.connOf(peer), 'stale-epoch', `tile ${tileKey(tile)} epoch ${epoch} from peer ${peer.id} refused (current ${current ?? 'none'}, owner check failed)`);
  }

  private connOf(peer: PeerState): Connection | undefined {
    for (const c of this.connections) if (c.peer === peer) return c;
    return undefined;
  }

  // ---- interest and ownership ---------------------------------------------------------------

  /**
   * The keys of the tiles that exist within the area of interest of `p`, in `compareTiles` order:
   * `tilesWithinRadius(p, aoiRadius).map(tileKey).filter(exists)`, walking only the tiles that
   * exist (the coordinate index) and building no key. Throws where `tilesWithinRadius` would.
   */
  private interestOf(p: Vec3): string[] {
    const radius = this.config.aoiRadius;
    const edge = this.config.tileEdge;
    this.interestSlack = 0;
    const lo = tileOf({ x: p.x - radius, y: p.y - radius, z: p.z - radius }, edge);
    const hi = tileOf({ x: p.x + radius, y: p.y + radius, z: p.z + radius }, edge);
    if (Math.min(lo.x, lo.y, lo.z) - 1 < -MAX_TILE_COORD || Math.max(hi.x, hi.y, hi.z) + 1 > MAX_TILE_COORD) {
      return tilesWithinRadius(p, radius, edge).map(tileKey).filter((k) => this.tiles.has(k));
    }
    const out: string[] = [];
    // A tile outside the candidates is more than radius + edge away: the slack is at most an edge.
    let slack = edge;
    // The same candidates as `tilesWithinRadius` (one tile of slack each side), in the same order,
    // and the same test (`distanceToTile(p, t, edge) <= radius`, computed alike).
    for (let x = lo.x - 1; x <= hi.x + 1; x++) {
      const ys = this.tileGrid.get(x);
      if (!ys) continue;
      const dx = Math.max(x * edge - p.x, 0, p.x - (x + 1) * edge);
      for (let y = lo.y - 1; y <= hi.y + 1; y++) {
        const zs = ys.get(y);
        if (!zs) continue;
        const dy = Math.max(y * edge - p.y, 0, p.y - (y + 1) * edge);
        for (let z = lo.z - 1; z <= hi.z + 1; z++) {
          const key = zs.get(z);
          if (key === undefined) continue;
          const dz = Math.max(z * edge - p.z, 0, p.z - (z + 1) * edge);
          const d = Math.sqrt(dx * dx + dy * dy + dz * dz);
          if (d <= radius) out.push(key);
          slack = Math.min(slack, Math.abs(d - radius));
        }
      }
    }
    this.interestSlack = slack;
    return out;
  }

  private updateInterest(peer: PeerState): void {
    const p = peer.position;
    if (!p) return;
    // A tile's distance from the player changes by at most how far the player moved (it is a
    // box): nearer than the slack to where the area was computed, with no tile added since, no
    // tile can have crossed the radius, and the area is the one computed then (a pose a tick
    // moves centimetres; the slack is metres but on a tile's boundary).
    const at = peer.interestAt;
    if (at && at.tiles === this.tiles.size) {
      const dx = p.x - at.x, dy = p.y - at.y, dz = p.z - at.z;
      if (Math.sqrt(dx * dx + dy * dy + dz * dz) < at.slack) return;
    }
    const list = this.interestOf(p);
    // Less a margin for rounding: a distance computed again may differ in its last bits.
    const slack = this.interestSlack - INTEREST_SLACK_MARGIN_M;
    peer.interestAt = slack > 0 ? { x: p.x, y: p.y, z: p.z, tiles: this.tiles.size, slack } : undefined;
    // `peer.interest` is `peer.subscribed` in the same order: the same list is the same set.
    const was = peer.interest;
    let same = list.length === was.length;
    for (let i = 0; same && i < list.length; i++) same = list[i] === was[i];
    if (same) return;
    const wanted = new Set(list);
    const old = peer.subscribed;
    peer.subscribed = wanted;
    peer.interest = list;
    peer.subscribedSorted = undefined;
    for (const key of old) if (!wanted.has(key)) this.unindexSubscriber(key, peer.id);
    for (const key of wanted) if (!old.has(key)) this.indexSubscriber(key, peer.id);
    this.sendDirectory(peer, old);
    for (const key of new Set([...old, ...wanted])) if (old.has(key) !== wanted.has(key)) this.pushSubscribers(key);
  }

  /**
   * The directory of the player's tiles, and the signed lease of each tile it had not been sent
   * (a tile it stays subscribed to keeps its lease up to date through `announce`).
   */
  private sendDirectory(peer: PeerState, before: ReadonlySet<string>): void {
    this.sendTo(peer.id, this.directoryOf(peer), true);
    for (const k of this.subscribedSorted(peer)) if (!before.has(k)) this.sendTo(peer.id, { type: MsgType.Lease, lease: this.tiles.get(k)!.lease }, true);
  }

  /** The player's subscribed tiles sorted as strings (the directory's order). */
  private subscribedSorted(peer: PeerState): readonly string[] {
    return (peer.subscribedSorted ??= [...peer.subscribed].sort());
  }

  /** The directory of the tiles a player is subscribed to, as it is now. */
  private directoryOf(peer: PeerState): Message {
    const entries = this.subscribedSorted(peer).map((k) => {
      // The record's owner and epoch are the lease table's: read once for both.
      const held = this.leases.get(k)!;
      return { tile: this.tiles.get(k)!.tile, owner: held.owner, epoch: held.epoch };
    });
    return { type: MsgType.Directory, entries };
  }

  /** The peers subscribed to a tile, ascending (a copy: callers may keep it). */
  private subscribersOf(key: string): PeerId[] {
    return this.subscriberIndex.get(key)?.slice() ?? [];
  }

  private indexSubscriber(key: string, id: PeerId): void {
    let ids = this.subscriberIndex.get(key);
    if (!ids) this.subscriberIndex.set(key, (ids = []));
    const i = lowerBound(ids, id);
    if (ids[i] !== id) ids.splice(i, 0, id);
  }

  private unindexSubscriber(key: string, id: PeerId): void {
    const ids = this.subscriberIndex.get(key);
    if (!ids) return;
    const i = lowerBound(ids, id);
    if (ids[i] === id) ids.splice(i, 1);
    if (ids.length === 0) this.subscriberIndex.delete(key);
  }

  private pushSubscribers(key: string): void {
    const r = this.tiles.get(key);
    if (!r) return;
    const subs = this.subscribersOf(key);
    if (r.owner === RELAY_PEER) this.authority.setSubscribers(r.tile, r.epoch, subs);
    else this.sendTo(r.owner, { type: MsgType.Subscribers, tile: r.tile, epoch: r.epoch, peers: subs }, true);
  }

  private rebalance(): void {
    const load = new Map<PeerId, number>();
    for (const r of this.tiles.values()) if (r.owner !== RELAY_PEER) load.set(r.owner, (load.get(r.owner) ?? 0) + 1);
    const maxTiles = this.opts.maxTilesPerPeer ?? 8;
    const hysteresis = this.opts.hysteresisM ?? 3;
    const settled = this.opts.now() - 500;
    for (const r of this.sortedTiles()) {
      if (r.handoff) continue;
      const subs = this.subscribersOf(tileKey(r.tile));
      let best: PeerId = RELAY_PEER;
      const current = r.owner !== RELAY_PEER ? this.peers.get(r.owner) : undefined;
      const currentAt = current ? this.ownershipPosition(current) : undefined;
      if (currentAt && distanceToTile(currentAt, r.tile, this.config.tileEdge) <= hysteresis) {
        best = r.owner; // hysteresis: a player on the border does not make its tile flap
      } else if (subs.length > 0) {
        let bestScore = Number.POSITIVE_INFINITY;
        for (const id of subs) {
          const p = this.peers.get(id)!;
          const at = this.ownershipPosition(p);
          if (!at || p.joinedAt > settled) continue;
          if ((this.convicted.get(id) ?? 0) > this.opts.now()) continue; // judged recently: owns nothing
          if ((this.cooldowns.get(id)?.until ?? 0) > this.opts.now()) continue; // lost tiles lately: cooling down
          if (p.role === 'viewer') continue; // viewers watch: they simulate nothing
          // No pose for a while (they come every 100 ms): its link is cut or its simulation is
          // stalled, and a tile handed to it now would sit unheld until the silence check took it back.
          if (this.opts.now() - p.lastPoseAtMs > UNHEARD_MS) continue;
          if (distanceToTile(at, r.tile, this.config.tileEdge) > 0) continue; // only a player inside the tile
          const l = load.get(id) ?? 0;
          if (l >= maxTiles) continue;
          const score = l * 1000 + id;
          if (score < bestScore) {
            bestScore = score;
            best = id;
          }
        }
      }
      if (best !== r.owner) {
        if (r.owner !== RELAY_PEER) load.set(r.owner, (load.get(r.owner) ?? 1) - 1);
        if (best !== RELAY_PEER) load.set(best, (load.get(best) ?? 0) + 1);
        this.beginHandoff(r, best);
      }
    }
  }

  private beginHandoff(r: TileRecord, to: PeerId): void {
    const epoch = r.epoch + 1;
    this.metrics.handoffs++;
    this.opts.log({ level: 'info', msg: 'handoff', tile: tileKey(r.tile), from: r.owner, to, epoch });
    if (r.owner === RELAY_PEER) {
      // Its simulation may stand behind the timeline: migrants stamped for ticks it has not
      // stepped, and inputs it queued for such ticks, go with the tile (placed after its state).
      const early = this.authority.takeEarly(r.tile);
      const state = this.authority.release(r.tile);
      if (!state) {
        for (const m of early) this.placeEntity(m.entity, m.fromTick, r.tile);
        return;
      }
      const inputs = this.authority.takeInputs(new Set(state.entities.map((e) => e.id)));
      r.handoff = { to, epoch, deadline: this.opts.now() + 1000, inputs, early };
      this.completeHandoff(r, state.tick, state.snapshot);
      return;
    }
    r.handoff = { to, epoch, deadline: this.opts.now() + 1000 };
    this.sendTo(r.owner, { type: MsgType.HandoffRequest, tile: r.tile, to, epoch, atTick: this.currentTick + (this.opts.handoffLeadTicks ?? 6) }, true);
  }

  /** The old owner's snapshot at tick T arrived: the new owner runs from T under epoch + 1. */
  private completeHandoff(r: TileRecord, tick: number, snapshot: Uint8Array): void {
    const h = r.handoff!;
    r.handoff = undefined;
    // A handoff (not a takeover: those resume every tile of the owner from its own records).
    if (h.deadline !== 0) this.noteSiblingMigrants(r, tick);
    let to = h.to;
    if (to !== RELAY_PEER && !this.peers.has(to)) to = RELAY_PEER;
    this.revoke(r);
    this.leases.transfer(tileKey(r.tile), r.epoch, to, h.epoch, (d) => {
      if (d.granted) this.leaseTransferred(r, h, to, tick, snapshot);
      else this.handoffRefused(r, snapshot, d, h.inputs ?? [], h.queueInState === true);
      // Early migrants of the relay's tile: placed at their own tick by whoever holds it now.
      for (const m of h.early ?? []) this.placeEntity(m.entity, m.fromTick, r.tile);
    });
  }

  /**
   * The lease table refused the move (a shared table that another node changed first, or could
   * not be asked): the tile stays with its holder. A tile of the relay's own that it had let go
   * of for the handoff, it simulates again from the state it handed over.
   */
  private handoffRefused(r: TileRecord, snapshot: Uint8Array, d: Extract<LeaseDecision, { granted: false }>, inputs: { tick: number; input: EntityInput }[], queueInState: boolean): void {
    this.leaseRefused(r.tile, d);
    const held = this.leases.get(tileKey(r.tile));
    // Inputs its simulation had queued for the tile: applied by it after all, if it keeps the tile.
    const ours = held?.node === this.leases.node && held.owner === RELAY_PEER;
    if (!ours) for (const { input } of inputs) this.inputLedger.unapply(input, this.currentTick);
    if (!ours || this.authority.holds(r.tile)) {
      if (ours) for (const { tick, input } of inputs) this.authority.addInputs(tick, [input]);
      return;
    }
    this.adoptOwn(r.tile, r.epoch, snapshot);
    for (const { tick, input } of inputs) this.authority.addInputs(tick, [input]);
    const queued = queueInState ? [] : r.queued;
    r.queued = [];
    for (const q of queued) {
      if ('in' in q) this.authority.insert(q.in);
      else this.authority.remove(q.out);
    }
  }

  /** The lease table gave the tile to `to` under the handoff's epoch: the new owner runs from `tick`. */
  private leaseTransferred(r: TileRecord, h: NonNullable<TileRecord['handoff']>, to: PeerId, tick: number, snapshot: Uint8Array): void {
    r.lease = this.signLease(r.tile, to, h.epoch, tick);
    r.grantedAtTick = this.currentTick;
    r.keyframe = { epoch: h.epoch, tick, snapshot, matched: true };
    this.metrics.leasesGranted++;
    if (to === RELAY_PEER) {
      this.audit.onRelayOwned(r.tile);
      // Subscribers learn of the new lease before its first state, or they would refuse that state.
      this.announce(r);
      this.adoptOwn(r.tile, r.epoch, snapshot);
    } else {
      this.audit.onLease(r.tile, to, h.epoch, tick, snapshot);
      this.sendTo(to, { type: MsgType.Lease, lease: r.lease }, true);
      this.sendTo(to, { type: MsgType.HandoffState, tile: r.tile, epoch: r.epoch, tick, snapshot }, true);
      this.sendTo(to, { type: MsgType.Subscribers, tile: r.tile, epoch: r.epoch, peers: this.subscribersOf(tileKey(r.tile)) }, true);
      this.announce(r);
    }
    const queued = h.queueInState ? [] : r.queued;
    r.queued = [];
    for (const q of queued) {
      if ('in' in q) {
        if (to === RELAY_PEER) this.authority.insert(q.in, undefined, r.tile);
        else this.sendTo(to, { type: MsgType.Spawn, tile: r.tile, entity: q.in }, true);
      } else if (to === RELAY_PEER) this.authority.remove(q.out);
      else this.sendTo(to, { type: MsgType.Despawn, tile: r.tile, id: q.out }, true);
    }
    const inputs = h.inputs ?? [];
    if (to === RELAY_PEER) for (const { tick, input } of inputs) this.authority.addInputs(tick, [input]);
    else this.passOnInputs(inputs, to);
  }

  /**
   * Inputs the relay's own simulation had queued and not applied (it runs behind the timeline)
   * when their entity left it — its tile handed to `to`, or the entity migrating into `to`'s tile.
   * The relay marked them applied when it queued them; it did not apply them, so the mark is
   * withdrawn, and `to` gets them: the entity's holder now, the one to apply them (it drops a copy
   * it already has from the player, by sequence number). Else an honest owner that applied the
   * player's own copy was judged for `repeated-input`, and one without a copy lost the input.
   */
  private passOnInputs(inputs: readonly { tick: number; input: EntityInput }[], to: PeerId, migrant?: EntityId): void {
    if (inputs.length === 0) return;
    const now = this.currentTick;
    for (const { input } of inputs) this.inputLedger.unapply(input, now);
    for (const { tick, input } of inputs) this.sendTo(to, { type: MsgType.Input, tick, inputs: [input] }, true);
    // A migrant may reach another holder than `to` (a tile changing hands): should no record apply them, they follow it as fallbacks do.
    const peer = migrant === undefined ? undefined : this.peerOfAvatar(migrant);
    if (peer) for (const { tick, input } of inputs) this.inputFallbacks.push({ due: now + INPUT_FALLBACK_TICKS, peer: peer.id, avatar: input.entity, tick, inputs: [input] });
  }

  /**
   * Before a player's tile changes hands at `tick`: entities it sent into another tile the same
   * player keeps, whose records do not show them yet, are expected there (the checkpoint cut
   * must hold them somewhere). Found by replaying the tile's checked records from its verified state.
   */
  private noteSiblingMigrants(r: TileRecord, tick: number): void {
    if (r.owner === RELAY_PEER) return;
    const siblings = this.sortedTiles().filter((x) => x !== r && x.owner === r.owner && (this.audit.lastCommittedTick(x.tile) ?? -1) < tick);
    if (siblings.length === 0) return;
    let resumed: ReturnType<AuditDesk['resume']>;
    try {
      resumed = this.audit.resume(r.tile, undefined);
    } catch {
      return; // nothing the relay can vouch for to replay
    }
    for (const e of resumed?.emigrants ?? []) {
      const dest = tileKey(tileOf(e.state.position, this.config.tileEdge));
      const sib = siblings.find((x) => tileKey(x.tile) === dest);
      if (sib) this.audit.expectArrival(sib.tile, e, tick);
    }
  }

  private handoffTimedOut(r: TileRecord): void {
    this.opts.log({ level: 'warn', msg: 'handoff timed out; using the last keyframe', tile: tileKey(r.tile), owner: r.owner });
    this.metrics.handoffTimeouts++;
    const kf = r.keyframe;
    if (!kf) {
      r.handoff = undefined;
      return;
    }
    const snapshot = this.correctedSnapshot(r, kf.snapshot, true);
    // The corrected state already holds what the relay routed in and out of the tile while the
    // handoff waited (its transit log): queued again for the next holder, an entity that came in
    // would be there twice (fault simulator, demo world 923: a ball in two tiles).
    if (r.handoff) r.handoff.queueInState = true;
    this.completeHandoff(r, kf.tick, snapshot);
  }

  /**
   * The owner is gone (left, judged, or silent): the relay resumes the tile from the newest
   * state it trusts — its last verified checkpoint, or, unless the owner was caught cheating,
   * a newer keyframe that matched its commitment — rolled forward through the owner's logged
   * records (inputs checked against the players' copies), corrected with the entities routed
   * in and out since, then applies the players' inputs the log did not reach. Returns the
   * tick it resumed from.
   */
  private takeOver(r: TileRecord, why: string, trustOwner = true): number {
    this.metrics.takeovers++;
    const key = tileKey(r.tile);
    const kf = trustOwner && r.keyframe?.matched ? r.keyframe : undefined;
    let resumed: ReturnType<AuditDesk['resume']>;
    try {
      resumed = this.audit.resume(r.tile, kf);
    } catch (e) {
      this.opts.log({ level: 'error', msg: 'takeover replay failed; using the last keyframe', tile: key, reason: e instanceof Error ? e.message : String(e) });
    }
    this.opts.log({ level: 'warn', msg: 'takeover', tile: key, owner: r.owner, why, fromTick: resumed?.fromTick, replayed: resumed?.replayed });
    r.handoff = { to: RELAY_PEER, epoch: r.epoch + 1, deadline: 0 };
    if (resumed) {
      // Entities that left in the replay but that the owner never handed over are placed now.
      const movedOut = new Set((this.transit.get(key) ?? []).map((x) => x.out).filter((x) => x !== undefined));
      const lost = resumed.emigrants.filter((e) => !movedOut.has(e.id) && !this.locate(e.id));
      this.completeHandoff(r, resumed.tick, this.correctedSnapshot(r, resumed.snapshot));
      for (const e of lost) this.placeEntity(e, resumed.tick);
      const here = new Set<EntityId>();
      for (const [id, k] of this.avatarTiles) if (k === key) here.add(id);
      // Unapplied in the ledger may still mean queued here (the relay marks an input when its simulation applies it): queued once.
      for (const { tick, input } of this.inputLedger.after(resumed.tick - 1, here)) {
        if (!this.authority.hasQueuedInput(input.entity, input.seq)) this.authority.addInputs(tick, [input]);
      }
      return resumed.fromTick;
    }
    if (r.keyframe) {
      this.completeHandoff(r, r.keyframe.tick, this.correctedSnapshot(r, r.keyframe.snapshot));
      return r.keyframe.tick;
    } else {
      // No keyframe yet (owner left right after taking the tile): resume an empty tile rather than none.
      const sim = TileSimulation.create(r.tile, this.config, this.opts.registry, [], this.authority.tick);
      const snap = sim.snapshot();
      sim.dispose();
      const tick = this.authority.tick;
      this.completeHandoff(r, tick, snap);
      return tick;
    }
  }

  /**
   * A verdict against an owner: every lease it holds is revoked (epoch + 1) and the relay
   * resumes those tiles from verified state; the incident is logged, counted, told to every
   * player and to the application. A convicted peer owns nothing for a while, and is audited
   * more often afterwards.
   */
  private convict(f: Finding): void {
    const judged = f.reason !== 'lease-expired';
    if (judged) this.convicted.set(f.owner, this.opts.now() + (this.opts.convictionBanMs ?? 60_000));
    this.coolDown(f.owner);
    this.metrics.incident(f.reason);
    const tiles = this.sortedTiles().filter((r) => r.owner === f.owner);
    let resumedFromTick = f.fromTick;
    for (const r of tiles) {
      if (r.handoff) r.handoff = undefined;
      const from = this.takeOver(r, `${f.reason}: ${f.detail}`, !judged);
      if (tileKey(r.tile) === tileKey(f.tile)) resumedFromTick = from;
    }
    const incident: AuditIncident = { reason: f.reason, offender: f.owner, tile: f.tile, fromTick: f.fromTick, toTick: f.toTick, tiles: tiles.map((r) => r.tile), resumedFromTick };
    this.opts.log({ level: 'error', msg: 'incident', reason: f.reason, peer: f.owner, tile: tileKey(f.tile), fromTick: f.fromTick, toTick: f.toTick, detail: f.detail, tiles: tiles.length, resumedFromTick });
    for (const p of this.peers.values()) this.sendTo(p.id, { type: MsgType.Incident, incident }, true);
    this.broadcastAuditStats();
    this.opts.onIncident?.(incident);
  }

  /**
   * An owner that lost its tiles (silence or a finding) may not take a tile again for a while,
   * doubling with each loss (2 s, 4 s, … up to 2 min; forgotten after 2 min without one): no
   * cycling through unaudited first seconds of fresh leases.
   */
  private coolDown(peer: PeerId): void {
    const now = this.opts.now();
    const prev = this.cooldowns.get(peer);
    const strikes = prev && now - prev.until < 120_000 ? prev.strikes + 1 : 1;
    this.cooldowns.set(peer, { until: now + Math.min(120_000, 2000 * 2 ** (strikes - 1)), strikes });
  }

  /** Ticks without a commitment after which an owner is taken as gone: its usual lag (rewind depth and batching) plus one second. */
  private silenceTicks(): number {
    return DEFAULT_REWIND_TICKS + COMMIT_BATCH_TICKS + this.config.tickRate;
  }

  private broadcastAuditStats(): void {
    const c = this.audit.counters;
    const m: Message = { type: MsgType.AuditStats, audits: c.audits, passed: c.passed, mismatches: c.mismatches, takeovers: this.metrics.takeovers, auditedTicks: c.auditedTicks };
    for (const p of this.peers.values()) this.sendTo(p.id, m, false);
  }

  private revoke(r: TileRecord): void {
    if (r.owner !== RELAY_PEER) this.metrics.leasesRevoked++;
  }

  private adoptOwn(tile: TileId, epoch: number, snapshot: Uint8Array): void {
    this.authority.adopt(tile, epoch, snapshot, this.subscribersOf(tileKey(tile)));
  }

  /**
   * A tile's new lease to its subscribers. The lease is the directory entry it changes (a client
   * sets the tile's owner and epoch from it), so each subscriber's whole directory is not sent
   * again: that was a third of the relay's CPU at 2,000 players (one directory per subscriber
   * per handoff).
   */
  private announce(r: TileRecord): void {
    const m: Message = { type: MsgType.Lease, lease: r.lease };
    for (const id of this.subscribersOf(tileKey(r.tile))) this.sendTo(id, m, true);
  }

  /**
   * Renews every lease whose owner keeps committing. After a stall (`listening` false) the relay
   * has not read its owners' latest commitments: it renews them all rather than let a lease run
   * out for its own delay; an owner that really went silent still loses its tiles to the silence
   * check, which is judged only on what was read.
   */
  private renewLeases(listening: boolean): void {
    const now = this.currentTick;
    const due: TileRecord[] = [];
    for (const r of this.sortedTiles()) {
      if (r.handoff) continue;
      // Only an owner that keeps committing is renewed (a fresh lease has a second to start).
      const last = this.audit.lastCommittedTick(r.tile) ?? r.lease.fromTick;
      if (listening && r.owner !== RELAY_PEER && now - Math.max(last, r.lease.fromTick) > this.config.tickRate) continue;
      due.push(r);
    }
    // All in one step: one round trip to a shared lease table, however many tiles.
    const lost: { tile: TileId; owner: PeerId; epoch: number; holder: LeaseEntry }[] = [];
    this.leases.renewAll(due.map((r) => ({ tile: tileKey(r.tile), owner: r.owner, epoch: r.epoch })), (i, d) => {
      const r = due[i]!;
      if (!d.granted) {
        // The shared table answered that another node holds it (a cluster node frozen or cut off
        // past its membership TTL, its tiles taken over): lost, whatever this node still has of it.
        // Its own holder and epoch are its last signed lease's (the record's read the table, which has just learnt the new holder).
        if (d.reason !== LeaseRefusal.Unreachable && d.current && d.current.node !== this.leases.node) lost.push({ tile: r.tile, owner: r.lease.owner, epoch: r.lease.epoch, holder: d.current });
        else this.leaseRefused(r.tile, d);
        return;
      }
      r.lease = this.signLease(r.tile, r.owner, r.epoch, r.lease.fromTick);
      if (r.owner !== RELAY_PEER) this.sendTo(r.owner, { type: MsgType.Lease, lease: r.lease }, true);
    });
    if (lost.length > 0) this.dropLostTiles(lost);
  }

  /**
   * Lets go of tiles another node holds now (`renewLeases` heard so from the lease table): the
   * relay stops simulating them and forgets them, entities and all, so its players get no second,
   * diverging copy, and it neither saves nor renews them again. A tile one of its players owned is
   * revoked with the holder's lease (the player stops simulating it). Only the lease table gives a
   * tile back (a later takeover).
   */
  private dropLostTiles(lost: readonly { tile: TileId; owner: PeerId; epoch: number; holder: LeaseEntry }[]): void {
    const edge = this.config.tileEdge;
    const out: { tile: string; epoch: number; owner: PeerId; holder: string; holderEpoch: number; entities: number }[] = [];
    for (const l of lost) {
      const key = tileKey(l.tile);
      const r = this.tiles.get(key);
      if (!r) continue;
      let entities = 0;
      if (this.authority.holds(l.tile)) {
        const released = this.authority.release(l.tile);
        entities = released?.entities.length ?? 0;
        // Inputs queued for its entities would otherwise be applied should one turn up here again.
        if (released) this.authority.takeInputs(new Set(released.entities.map((e) => e.id)));
      } else if (l.owner !== RELAY_PEER) {
        // The holder's lease, at its higher epoch: the client releases a tile so revoked.
        this.sendTo(l.owner, { type: MsgType.Lease, lease: this.signLease(l.tile, l.holder.owner, l.holder.epoch, this.currentTick) }, true);
      }
      this.audit.onRelayOwned(l.tile);
      this.tiles.delete(key);
      this.tileGrid.get(l.tile.x)?.get(l.tile.y)?.delete(l.tile.z);
      this.transit.delete(key);
      this.keyframeBodies.delete(key);
      for (const [id, k] of this.avatarTiles) if (k === key) this.avatarTiles.delete(id);
      for (const [id, c] of this.committed) if (c.tile === key) this.committed.delete(id);
      this.unplaced = this.unplaced.filter((u) => tileKey(u.to ?? tileOf(u.e.state.position, edge)) !== key);
      out.push({ tile: key, epoch: l.epoch, owner: l.owner, holder: l.holder.node, holderEpoch: l.holder.epoch, entities });
    }
    this.tilesSorted = undefined;
    // Each player's directory without them (the client drops a tile no longer listed).
    for (const p of this.peers.values()) {
      p.interestAt = undefined;
      this.updateInterest(p);
    }
    for (const o of out) this.subscriberIndex.delete(o.tile);
    if (out.length > 0) this.opts.log({ level: 'warn', msg: 'tiles lost to another node', node: this.leases.node, tiles: out });
  }

  /** A tile's record; its owner and epoch are the lease table's. */
  private tileRecord(tile: TileId, lease: TileLease): TileRecord {
    const key = tileKey(tile);
    const leases = this.leases;
    return {
      tile,
      get owner() {
        return leases.get(key)!.owner;
      },
      get epoch() {
        return leases.get(key)!.epoch;
      },
      lease,
      keyframe: undefined,
      handoff: undefined,
      grantedAtTick: 0,
      queued: [],
    };
  }

  /** The lease table refused a change the relay asked for: nothing changes for the tile. */
  private leaseRefused(tile: TileId, d: Extract<LeaseDecision, { granted: false }>): void {
    this.opts.log({ level: 'error', msg: 'lease change refused', tile: tileKey(tile), reason: d.reason, current: d.current });
  }

  private signLease(tile: TileId, owner: PeerId, epoch: number, fromTick: number): TileLease {
    const body = { tile, owner, epoch, fromTick, expiresTick: this.currentTick + (this.opts.leaseTicks ?? this.config.tickRate * 4) };
    return { ...body, signature: this.opts.signer.sign(leaseSigningBytes(body)) };
  }

  // ---- entities the relay places ------------------------------------------------------------

  /** Puts an entity into whoever owns the tile at its position; creates the tile (relay-owned) if new. */
  private placeEntity(e: EntityDesc, fromTick?: number, to?: TileId): void {
    const tile = to ?? tileOf(e.state.position, this.config.tileEdge);
    const key = tileKey(tile);
    // Where it is now, for routing its player's inputs (the sender's committed states still show it in the tile it left).
    if (fromTick !== undefined) this.noteCommitted(tile, fromTick, new Map([[e.id, e.state.position]]));
    let r = this.tiles.get(key);
    if (!r) {
      const sim = TileSimulation.create(tile, this.config, this.opts.registry, [], this.authority.tick);
      const snap = sim.snapshot();
      sim.dispose();
      this.leases.grant(key, RELAY_PEER, (d) => {
        if (!d.granted) return this.leaseRefused(tile, d);
        this.authority.adopt(tile, d.entry.epoch, snap, this.subscribersOf(key));
        this.addTile(tile, this.tileRecord(tile, this.signLease(tile, RELAY_PEER, d.entry.epoch, this.authority.tick)));
      });
      r = this.tiles.get(key);
      if (!r) return this.refuse(undefined, 'route', `entity ${e.id} could not be placed in tile ${key}: no lease for it`);
      for (const p of this.peers.values()) this.updateInterest(p);
    }
    if (r.owner === RELAY_PEER && !r.handoff) {
      // A migrant's tick may be ahead of the relay's own simulation by as much as it lags the clock.
      if (!this.authority.insert(e, fromTick, tile, MAX_TRANSIT_TICKS + Math.max(0, this.currentTick - this.authority.tick))) {
        if (!this.unplaced.some((u) => u.e.id === e.id)) {
          if (!this.placingAgain) this.opts.log({ level: 'warn', msg: 'entity waits to be placed', entity: e.id, tile: key, held: this.authority.holds(tile), fromTick, simTick: this.authority.tick });
          this.unplaced.push({ e, fromTick, to, since: this.currentTick });
        }
      } else if (fromTick !== undefined) this.inputsFollowAvatar(e.id, fromTick, RELAY_PEER);
    } else {
      this.logTransit(tile, { in: e });
      // A tile in handoff: its next owner receives the spawn right after the state.
      if (r.handoff) {
        r.queued.push({ in: e });
        return;
      }
      const to = r.owner;
      if (fromTick === undefined) this.sendTo(to, { type: MsgType.Spawn, tile, entity: e }, true);
      else {
        this.sendTo(to, { type: MsgType.Migrate, from: tile, to: tile, epoch: 0, tick: fromTick, entity: e }, true);
        this.inputsFollowAvatar(e.id, fromTick, to);
      }
    }
  }

  /** Places again the entities that waited for their tile (`unplaced`), unless they turned up elsewhere meanwhile. */
  private placeUnplaced(): void {
    if (this.unplaced.length === 0) return;
    const waiting = this.unplaced;
    this.unplaced = [];
    for (const u of waiting) {
      // Arrived meanwhile by another way (the avatar map is no proof: placing noted it there already).
      if (this.authority.world.tileOfEntity(u.e.id)) continue;
      // A tick-old transit is no longer in flight: place it where it was reported, as of now.
      this.placingAgain = true;
      try {
        this.placeEntity(u.e, u.fromTick === undefined ? undefined : Math.max(u.fromTick, this.authority.tick), u.to);
      } finally {
        this.placingAgain = false;
      }
      const still = this.unplaced.find((x) => x.e.id === u.e.id);
      if (still) {
        still.since = u.since;
        still.warned = u.warned || this.currentTick - u.since > this.config.tickRate * 10;
        if (still.warned && !u.warned) this.opts.log({ level: 'error', msg: 'entity still not placed', entity: u.e.id, tile: tileKey(u.to ?? tileOf(u.e.state.position, this.config.tileEdge)), waitedTicks: this.currentTick - u.since });
      }
    }
  }

  private removeEntity(id: EntityId): void {
    if (this.authority.remove(id)) return;
    const key = this.avatarTiles.get(id);
    const t = this.locate(id);
    const r = t ? this.tiles.get(tileKey(t)) : key ? this.tiles.get(key) : undefined;
    // Logged as gone from every tile it may be in: should that owner vanish before it applies
    // the despawn, the takeover drops the entity from the owner's last keyframe.
    const targets = r && r.owner !== RELAY_PEER ? [r] : this.sortedTiles().filter((rec) => rec.owner !== RELAY_PEER);
    for (const rec of targets) {
      this.logTransit(rec.tile, { out: id });
      if (rec.handoff) rec.queued.push({ out: id });
      else this.sendTo(rec.owner, { type: MsgType.Despawn, tile: rec.tile, id }, true);
    }
    // A relay tile being handed to a player: the new owner takes the removal after the state.
    for (const rec of this.sortedTiles()) if (rec.owner === RELAY_PEER && rec.handoff && !targets.includes(rec)) rec.queued.push({ out: id });
  }

  /**
   * Fixed bodies (terrain, walls) of a peer-owned tile near one of the relay's tiles, from that
   * tile's last keyframe: so bodies in relay tiles rest on and bump into them across the owner
   * border. (Moving bodies are not ghosted from keyframes: those are up to a second old.)
   */
  private fixedGhostsFrom(from: TileId, to: TileId): GhostState[] | undefined {
    const r = this.tiles.get(tileKey(from));
    if (!r || r.owner === RELAY_PEER || !r.keyframe) return undefined;
    let cached = this.keyframeBodies.get(tileKey(from));
    if (!cached || cached.tick !== r.keyframe.tick) {
      let fixed: EntityDesc[] = [];
      try {
        const sim = TileSimulation.restore(r.keyframe.snapshot, this.config, this.opts.registry);
        fixed = sim.describeAll().filter((e) => e.body.type === 'fixed');
        sim.dispose();
      } catch (e) {
        // Checked on arrival; should it still fail, the tile simply shows no ghosts here.
        this.refuse(undefined, 'snapshot', `keyframe of ${tileKey(from)}: ${e instanceof Error ? e.message : String(e)}`);
      }
      cached = { tick: r.keyframe.tick, fixed };
      this.keyframeBodies.set(tileKey(from), cached);
    }
    const margin = this.config.ghostMargin;
    return cached.fixed
      .filter((e) => distanceToTile(e.state.position, to, this.config.tileEdge) <= margin + boundingRadius(e.body.shape))
      .map((e) => ({ id: e.id, kind: e.kind, body: e.body, state: e.state }));
  }

  private logTransit(tile: TileId, item: { in?: EntityDesc; out?: EntityId }): void {
    const key = tileKey(tile);
    const now = this.opts.now();
    const list = (this.transit.get(key) ?? []).filter((x) => now - x.at < 5000);
    list.push({ at: now, ...item });
    this.transit.set(key, list);
  }

  /** A keyframe of a vanished owner, corrected with the entities moved in and out since (by the relay). */
  private correctedSnapshot(r: TileRecord, snapshot: Uint8Array, dropMovedOn = false): Uint8Array {
    const key = tileKey(r.tile);
    const corrected = this.withTransit(r, snapshot);
    this.transit.delete(key);
    // The owner may have spawned entities past this state, some of them gone on to other tiles:
    // the resumed tile gives no id again (fault simulator, demo world 712: a ball doubled).
    const sim = TileSimulation.restore(corrected, this.config, this.opts.registry);
    try {
      sim.skipSpawnIds();
      if (dropMovedOn) {
        // An owner's last keyframe of a tile may be older than an entity's move out of it (into
        // another tile of the owner's, unseen by the relay, and on from there): a later committed
        // state of another tile shows it there (or one of the relay's tiles holds it), so it is
        // there, not here (fault simulator, demo world 923: an avatar in two tiles after a
        // handoff timed out onto a keyframe 3 s old).
        const movedOn = sim.entityIds().filter((id) => {
          if (this.authority.world.tileOfEntity(id)) return true;
          const c = this.committed.get(id);
          return c !== undefined && c.tile !== key && c.tick > sim.tick;
        });
        if (movedOn.length > 0) {
          sim.receiveRemovals(movedOn);
          sim.applyInbound();
        }
      }
      return sim.snapshot();
    } finally {
      sim.dispose();
    }
  }

  /**
   * A player-owned tile's state corrected with the entities the relay moved in and out of it
   * lately, in order: one that came in and is neither in the state nor in a relay tile is
   * added; one that went out is removed.
   */
  private withTransit(r: TileRecord, snapshot: Uint8Array): Uint8Array {
    const list = this.transit.get(tileKey(r.tile));
    if (!list || list.length === 0) return snapshot;
    const sim = TileSimulation.restore(snapshot, this.config, this.opts.registry);
    let changed = false;
    for (const item of list) {
      if (item.in && !sim.has(item.in.id) && !this.authority.world.tileOfEntity(item.in.id)) {
        sim.receiveImmigrants([{ ...item.in, state: { ...item.in.state, position: clampInto(item.in.state.position, r.tile, this.config.tileEdge) } }]);
        changed = true;
      }
      if (item.out !== undefined && sim.has(item.out)) {
        sim.receiveRemovals([item.out]);
        changed = true;
      }
      sim.applyInbound();
    }
    const out = changed ? sim.snapshot() : snapshot;
    sim.dispose();
    return out;
  }

  private locate(id: EntityId): TileId | undefined {
    const own = this.authority.world.tileOfEntity(id);
    if (own) return own;
    const key = this.avatarTiles.get(id);
    return key ? this.tiles.get(key)?.tile : undefined;
  }

  /**
   * Tells the players who joined or left since the last tick, once per tick and only when the
   * roster changed: a player who just joined gets the whole roster (`Roster`, then `RosterDelta`s
   * past `MAX_ROSTER_ENTRIES`), every other player only what changed (`RosterDelta`), encoded
   * once. A ramp of N joins costs O(N) roster entries per tick at most, not O(N²) per join.
   */
  private flushRoster(): void {
    const localChanged = this.rosterJoined.size > 0 || this.rosterLeft.size > 0;
    if (!localChanged && !this.rosterRemoteChanged) return;
    const added: RosterEntry[] = [...this.rosterJoined.values()];
    const removed: PeerId[] = [...this.rosterLeft];
    if (localChanged) {
      // Ids ascend in join order: the peers' order is (nearly) sorted already.
      this.remote.publishLocal([...this.peers.values()].sort((a, b) => a.id - b.id).map((p) => ({ peer: p.id, name: p.name, avatar: p.avatar })));
    }
    if (this.rosterRemoteChanged) {
      // A cluster's other nodes' players (none for a single relay): what changed since last time.
      this.rosterRemoteChanged = false;
      const now = new Map<PeerId, RosterEntry>();
      for (const p of this.remote.players()) {
        if (this.peers.has(p.peer) || now.has(p.peer)) continue; // a player is listed once, by its own node first
        now.set(p.peer, { peer: p.peer, name: p.name, avatar: p.avatar });
        const was = this.rosterRemote.get(p.peer);
        if (!was || was.name !== p.name || was.avatar !== p.avatar) added.push(now.get(p.peer)!);
      }
      for (const id of this.rosterRemote.keys()) if (!now.has(id)) removed.push(id);
      this.rosterRemote = now;
    }
    for (const id of removed) this.rosterSent.delete(id);
    for (const p of added) this.rosterSent.set(p.peer, p);
    added.sort((a, b) => a.peer - b.peer);
    removed.sort((a, b) => a - b);
    const joined = [...this.rosterJoined.keys()];
    this.rosterJoined.clear();
    this.rosterLeft.clear();
    const page = Math.max(1, Math.min(MAX_ROSTER_ENTRIES, this.opts.rosterPageEntries ?? MAX_ROSTER_ENTRIES));
    if (added.length > 0 || removed.length > 0) {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < Math.max(added.length, removed.length); i += page) parts.push(...this.encode({ type: MsgType.RosterDelta, added: added.slice(i, i + page), removed: removed.slice(i, i + page) }));
      const fresh = new Set(joined);
      for (const p of this.peers.values()) if (!fresh.has(p.id)) this.sendEncoded(p, parts, true);
    }
    if (joined.length > 0) {
      const all = [...this.rosterSent.values()].sort((a, b) => a.peer - b.peer);
      const parts = this.encode({ type: MsgType.Roster, players: all.slice(0, page) });
      for (let i = page; i < all.length; i += page) parts.push(...this.encode({ type: MsgType.RosterDelta, added: all.slice(i, i + page), removed: [] }));
      for (const id of joined) {
        const p = this.peers.get(id);
        if (p) this.sendEncoded(p, parts, true);
      }
    }
  }

  // ---- players of a cluster's other nodes ---------------------------------------------------

  /** Signalling or relayed traffic from a player of another node, for one of this node's. */
  private fromRemote(t: PeerTraffic): void {
    const to = this.peers.get(t.to);
    if (!to) return this.refuse(undefined, 'route', `${t.kind} from another node's player ${t.from} to unknown peer ${t.to}`);
    if (t.kind === 'signal') {
      this.metrics.signals++;
      this.sendTo(to.id, { type: MsgType.Signal, peer: t.from, data: t.data }, true);
    } else {
      this.metrics.relayed(t.from, to.id, t.payload.length);
      this.sendTo(to.id, { type: MsgType.Forwarded, from: t.from, payload: t.payload }, t.reliable);
    }
  }

  /** Every tile record in `compareTiles` order (a copy: callers may add tiles while walking it). */
  private sortedTiles(): TileRecord[] {
    this.tilesSorted ??= [...this.tiles.values()].sort((a, b) => a.tile.x - b.tile.x || a.tile.y - b.tile.y || a.tile.z - b.tile.z);
    return this.tilesSorted.slice();
  }

  /** A new tile (removed only when another node took it: `dropLostTiles`): in the map, the coordinate index and (at the next walk) the sorted list. */
  private addTile(tile: TileId, record: TileRecord): void {
    const key = tileKey(tile);
    this.tiles.set(key, record);
    let ys = this.tileGrid.get(tile.x);
    if (!ys) this.tileGrid.set(tile.x, (ys = new Map()));
    let zs = ys.get(tile.y);
    if (!zs) ys.set(tile.y, (zs = new Map()));
    zs.set(tile.z, key);
    this.tilesSorted = undefined;
  }

  // ---- sending ------------------------------------------------------------------------------

  /** Everything the relay puts into a player's tile is evidence its record is later matched with (the one place it is noted). */
  private noteRouted(m: Message): void {
    const tick = this.currentTick;
    switch (m.type) {
      case MsgType.Spawn:
        return this.evidence.arrival(tileKey(m.tile), m.entity, undefined, tick);
      case MsgType.Migrate:
        return this.evidence.arrival(tileKey(m.to), m.entity, m.tick, tick);
      case MsgType.Despawn:
        return this.evidence.removal(tileKey(m.tile), m.id, tick);
      case MsgType.EntityMail:
        return this.evidence.mail(tileKey(m.tile), m.message, tick);
      default:
        return;
    }
  }

  private encode(m: Message): Uint8Array[] {
    return encodeForWire(m, this.chunkId++, this.config.tileEdge);
  }

  /** Sends bytes encoded once for many players (messages that are no evidence: rosters, stats). */
  private sendEncoded(p: PeerState, parts: readonly Uint8Array[], reliable: boolean): void {
    if (!p.link.open) return;
    for (const bytes of parts) {
      this.metrics.messagesOut++;
      this.metrics.bytesOut += bytes.length;
      p.link.send(bytes, reliable);
    }
  }

  private sendTo(to: PeerId, m: Message, reliable: boolean): void {
    if (to === RELAY_PEER) return;
    const p = this.peers.get(to);
    if (!p || !p.link.open) return;
    this.noteRouted(m);
    // A state or delta of the relay's own tiles goes to each subscriber as the same message object
    // (built once per round, never changed after): it is encoded (and deflated) once, not once per subscriber.
    let parts: Uint8Array[];
    if (m.type === MsgType.TileState || m.type === MsgType.StateDelta) {
      if (this.lastEncoded?.m !== m) this.lastEncoded = { m, parts: this.encode(m) };
      parts = this.lastEncoded.parts;
    } else if (m.type === MsgType.Lease) {
      // A lease goes to every subscriber of its tile, and again with every directory: encoded once.
      parts = this.encodedLeases.get(m.lease) ?? [];
      if (parts.length === 0) this.encodedLeases.set(m.lease, (parts = this.encode(m)));
      else this.chunkId++; // as encoding it again would (chunk ids stay as they were)
    } else parts = this.encode(m);
    for (const bytes of parts) {
      this.metrics.messagesOut++;
      this.metrics.bytesOut += bytes.length;
      p.link.send(bytes, reliable);
    }
  }
}

/**
 * A gap between two relay ticks longer than this (ms; they run every 4 ms) means the relay was
 * not reading its sockets meanwhile: judgments by time wait for the next tick.
 */
const LISTENING_GAP_MS = 100;
/** Ticks in a row after stalls that may skip judging; the next one judges whatever the gap. */
const MAX_UNJUDGED_TICKS = 3;

/** Ticks after which the relay sends its copy of an input no record applied yet (0.75 s: past the usual commitment lag). */
const INPUT_FALLBACK_TICKS = 45;

/** The first index of ascending `xs` whose value is not below `x` (`xs.length` if none). */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The sender's tick a message carries, if it carries one. */
function sentTickOf(m: Message): number | undefined {
  switch (m.type) {
    case MsgType.Input:
    case MsgType.Pose:
    case MsgType.HandoffState:
    case MsgType.Keyframe:
    case MsgType.Migrate:
      return m.tick;
    case MsgType.Commits:
      return m.firstTick + m.hashes.length - 1;
    default:
      return undefined;
  }
}

/** Fastest an avatar can move (walking, falling, thrown), m/s: the bound on how far a reported position may be from the simulated one. */
const MAX_AVATAR_SPEED = 20;

/** The point nearest to `p` inside tile `t` (a migrant logged just outside stays in its tile). */
function clampInto(p: Vec3, t: TileId, edge: number): Vec3 {
  const c = (v: number, lo: number): number => Math.min(Math.max(v, lo + 1e-3), lo + edge - 1e-3);
  return { x: c(p.x, t.x * edge), y: c(p.y, t.y * edge), z: c(p.z, t.z * edge) };
}

/** Splits a scene into tile simulations at tick 0 (the relay's starting world). */
const TileWorldSeed = {
  split(scene: SceneDesc, config: WorldConfig, registry: BehaviourRegistry): TileSimulation[] {
    const byTile = new Map<string, { tile: TileId; entities: EntityDesc[] }>();
    for (const e of scene.entities) {
      const t = tileOf(e.state.position, config.tileEdge);
      const key = tileKey(t);
      let g = byTile.get(key);
      if (!g) byTile.set(key, (g = { tile: t, entities: [] }));
      g.entities.push(e);
    }
    return [...byTile.values()].sort((a, b) => a.tile.x - b.tile.x || a.tile.y - b.tile.y || a.tile.z - b.tile.z).map((g) => TileSimulation.create(g.tile, config, registry, g.entities, 0));
  },
};
