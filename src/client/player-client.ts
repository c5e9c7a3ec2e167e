import type { InputData } from '../core/behaviour.js';
import type { EntityId, PropValue } from '../core/entity.js';
import type { TileId } from '../core/tile.js';
import type { Vec3 } from '../core/vec.js';
import type { WorldConfig } from '../core/world-config.js';
import type { PlacedEntity } from '../net/replica-store.js';
import type { AuditIncident, MemberRole, Message, MsgType, PeerId, RosterEntry, TileLease } from '../protocol/messages.js';

/** How peer traffic travels: direct when possible (`auto`), direct only, or always through the relay. */
export type TransportMode = 'auto' | 'webrtc' | 'relay';

/** How replicas of other owners' tiles move between updates. */
export type ReplicaMode = 'speculative' | 'extrapolated' | 'interpolated';

/** What an application sees of an entity; for replicas the position is extrapolated from the owner's last state to now. */
export interface VisibleEntity extends PlacedEntity {
  /** Who simulates it: this client, another peer, or the relay (0). */
  readonly owner: PeerId;
}

/** Path and traffic to one peer. */
export interface PeerPathStats {
  /** The other peer. */
  readonly peer: PeerId;
  /** `p2p` over an open direct connection, `connecting` while one is being made, else `relay`. */
  readonly path: 'p2p' | 'relay' | 'connecting';
}

/** `stats()` of a client. */
export interface ClientStats {
  /** This client's peer id. */
  readonly peer: PeerId;
  /** The shared timeline's current tick. */
  readonly tick: number;
  /** Round trip to the relay, ms. */
  readonly rttMs: number;
  /** Estimated relay clock minus local clock, ms, and the bound on its error. */
  readonly clockOffsetMs: number;
  /** Bound on the error of `clockOffsetMs`, ms. */
  readonly clockErrorMs: number;
  /** Path to every peer this client exchanges traffic with. */
  readonly peers: readonly PeerPathStats[];
  /** Bytes per second, averaged over the last second. */
  readonly bytesUpPerS: number;
  /** Bytes received per second, averaged over the last second. */
  readonly bytesDownPerS: number;
  /** Tiles this client leases and simulates. */
  readonly ownedTiles: readonly TileId[];
  /** Messages refused since joining (bad lease signature, replayed or late delta, input too far ahead…). */
  readonly refused: number;
  /** The relay's audit counters, as it last told them (windows re-executed, passed, mismatched; takeovers). */
  readonly audit: {
    /** Windows re-executed by auditors. */
    readonly audits: number;
    /** Windows whose replay matched the owner's commits. */
    readonly passed: number;
    /** Windows whose replay differed from the owner's commits. */
    readonly mismatches: number;
    /** Tiles taken from an owner after a verdict. */
    readonly takeovers: number;
    /** Ticks covered by audited windows. */
    readonly auditedTicks: number;
  };
  /** Verdicts against owners this client has been told of. */
  readonly incidents: number;
  /** Speculative replicas: prediction error against owners' states (cm), rollbacks and replayed ticks per second. */
  readonly replicas: {
    /** How replicas are shown (`SessionOptions.replicaMode`). */
    readonly mode: ReplicaMode;
    /** Median distance between predicted and owner-reported positions, cm. */
    readonly predictionErrorP50Cm: number;
    /** 99th-percentile distance between predicted and owner-reported positions, cm. */
    readonly predictionErrorP99Cm: number;
    /** Rollbacks of speculative replicas per second (over the last update interval). */
    readonly rollbacksPerS: number;
    /** Ticks re-simulated after rollbacks, per second. */
    readonly replayedTicksPerS: number;
    /** Times this client's own tiles were rewound to apply late inputs (since joining). */
    readonly ownerRewinds: number;
    /**
     * Times replicas fell more than 15 ticks behind the clock (a stalled page) and jumped to the
     * present along their velocities instead of replaying (since joining).
     */
    readonly jumps: number;
  };
}

/** Events a client raises. */
export interface WorldClientEvents {
  /** The relay welcomed this client. */
  joined: {
    /** This client's peer id. */
    peer: PeerId;
    /** The entity id of this player's avatar. */
    avatar: EntityId;
    /** The world's config. */
    config: WorldConfig;
    /** What this member may do, from its join token. */
    role: MemberRole;
  };
  /** The list of players changed. */
  roster: {
    /** Every player now in the world. */
    players: readonly RosterEntry[];
  };
  /** A tile lease was granted or changed owner (checked against the relay's signature). */
  lease: {
    /** The new lease. */
    lease: TileLease;
  };
  /** Something was refused or went wrong; the client carries on. */
  error: {
    /** Human-readable cause. */
    reason: string;
  };
  /** The connection to the relay closed; the client is done. */
  closed: {
    /** Human-readable cause. */
    reason: string;
  };
  /** A state delta of an owned tile left for a subscriber (for latency measurements). */
  deltaSent: {
    /** The owned tile. */
    tile: TileId;
    /** The tick the delta describes. */
    tick: number;
    /** The subscriber it was sent to. */
    to: PeerId;
    /** When it was sent, local clock ms. */
    atMs: number;
  };
  /** A state delta was applied to a replica; `direct` when it came over a peer-to-peer path. */
  deltaApplied: {
    /** The replicated tile. */
    tile: TileId;
    /** The tick the delta describes. */
    tick: number;
    /** The owner that sent it. */
    from: PeerId;
    /** True when it came over a direct peer-to-peer path, false via the relay. */
    direct: boolean;
    /** When it was applied, local clock ms. */
    atMs: number;
  };
  /** The relay judged an owner (audit mismatch, concealed critical state, silence) and took its tiles. */
  incident: AuditIncident;
  /** A message of the world document (sync, acknowledgement, presence), from the relay or a direct peer. */
  doc: {
    /** The sender (the relay is `RELAY_PEER`). */
    from: PeerId;
    /** True when it came over a direct peer-to-peer path. */
    direct: boolean;
    /** The document message. */
    message: DocMessage;
  };
  /** A direct path to a peer opened (document sync starts over it). */
  peerOpen: {
    /** The peer now reachable directly. */
    peer: PeerId;
  };
}

/** Messages of the world document that the client passes to its `doc` listeners. */
export type DocMessage = Extract<
  Message,
  {
    /** One of the world-document tags: `MsgType.DocSync`, `MsgType.DocAck` or `MsgType.Presence`. */
    type: typeof MsgType.DocSync | typeof MsgType.DocAck | typeof MsgType.Presence;
  }
>;

/** The cheat a drill keeps running every tick, if any. */
export type RunningCheat =
  | {
      /** Keeps `entity` at `position` every tick. */
      readonly kind: 'hold';
      /** The entity held. */
      readonly entity: EntityId;
      /** Where it is held, world metres. */
      readonly position: Vec3;
    }
  | {
      /** Shifts `entity` by `metres` along x every tick. */
      readonly kind: 'nudge';
      /** The entity shifted. */
      readonly entity: EntityId;
      /** Shift per tick, metres. */
      readonly metres: number;
    }
  | {
      /** Forces `entity`'s horizontal speed whenever it moves. */
      readonly kind: 'speed';
      /** The entity sped up. */
      readonly entity: EntityId;
      /** The forced horizontal speed, m/s. */
      readonly metresPerSecond: number;
    };

/**
 * Cheat drills on the tiles this player owns — what a modified browser could do — so people and
 * tests can watch the relay's audit catch them. Nothing here is sent to anyone.
 */
export interface CheatDrills {
  /** The cheat running every tick, if any. */
  readonly active: RunningCheat | undefined;
  /** Moves an entity of an owned tile once, at the next tick. */
  teleport(entity: EntityId, position: Vec3): void;
  /** Overwrites props once (a critical one is what the audit never misses). */
  setProp(entity: EntityId, props: Readonly<Record<string, PropValue>>): void;
  /** Keeps an entity at `position` every tick. */
  hold(entity: EntityId, position: Vec3): void;
  /** Shifts an entity by `metres` along x every tick. */
  nudge(entity: EntityId, metres?: number): void;
  /** Makes an entity move horizontally at `metresPerSecond` whenever it moves at all. */
  speed(entity: EntityId, metresPerSecond: number): void;
  /** Stops the running cheat. */
  stop(): void;
}

/**
 * What an application holds of a joined player: `WorldClient` runs it on the calling thread (the
 * seeded harness, Node); `WorkerClient` is the page's handle on a client whose simulation, relay
 * connection and replicas run in a Web Worker (the browser default). Every query is synchronous
 * and answers from the last frame the worker published (at most one display frame old).
 */
export interface PlayerClient {
  /** True once the relay welcomed this client. */
  readonly joined: boolean;
  /** This client's peer id (−1 before joining). */
  readonly peerId: PeerId;
  /** The entity id of this player's avatar (−1 before joining). */
  readonly avatar: EntityId;
  /** The world's config (after joining). */
  readonly worldConfig: WorldConfig | undefined;
  /** What this member may do, from its join token (after joining). */
  readonly role: MemberRole | undefined;
  /** The tick this client's own tiles stand at. */
  readonly simTick: number;
  /** Cheat drills on owned tiles (for watching the audit catch them). */
  readonly cheats: CheatDrills;
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof WorldClientEvents>(event: K, listener: (e: WorldClientEvents[K]) => void): () => void;
  /** Players in the world. */
  players(): readonly RosterEntry[];
  /** The shared timeline's current tick, from the estimated relay clock. */
  currentTick(): number;
  /** The shared timeline's present moment in ticks, with a fraction. `atMs`: local epoch ms (default now). */
  currentTickExact(atMs?: number): number;
  /** Sends an input for this player's avatar (e.g. `{ moveX: 1 }`), to whoever owns its tile. */
  send(data: InputData): void;
  /** Every entity this client can see, smoothed; `atMs` (local epoch ms, default now) must not go back between calls. */
  entities(atMs?: number): VisibleEntity[];
  /** The owner-reported (or own) position of an entity, without extrapolation, with the tick it is from. */
  reportedPosition(id: EntityId): {
    /** Position as last reported by its owner (or simulated here), world metres. */
    position: Vec3;
    /** The tick that position is from. */
    tick: number;
  } | undefined;
  /** Owner and epoch of every tile this client knows of. */
  tiles(): {
    /** The tile. */
    tile: TileId;
    /** The peer leasing it (the relay is `RELAY_PEER`). */
    owner: PeerId;
    /** The lease epoch, raised on every change of owner. */
    epoch: number;
  }[];
  /** Counters and paths for a HUD or a test. */
  stats(): ClientStats;
  /** Diagnostics: sends `message` to `peer` as it is (tests prove peers refuse what the protocol forbids). */
  sendRaw(peer: PeerId, message: Message, reliable?: boolean): void;
  /** Sends a world-document message to the relay or over an open direct path; false when there is none. */
  sendDoc(to: PeerId, message: DocMessage): boolean;
  /** Peers this client has an open direct path to, in id order. */
  directPeers(): PeerId[];
  /** Leaves the world: closes every connection. */
  close(): void;
}
