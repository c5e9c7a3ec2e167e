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
  readonly peer: PeerId;
  readonly path: 'p2p' | 'relay' | 'connecting';
}

/** `stats()` of a client. */
export interface ClientStats {
  readonly peer: PeerId;
  readonly tick: number;
  /** Round trip to the relay, ms. */
  readonly rttMs: number;
  /** Estimated relay clock minus local clock, ms, and the bound on its error. */
  readonly clockOffsetMs: number;
  readonly clockErrorMs: number;
  readonly peers: readonly PeerPathStats[];
  /** Bytes per second, averaged over the last second. */
  readonly bytesUpPerS: number;
  readonly bytesDownPerS: number;
  readonly ownedTiles: readonly TileId[];
  readonly refused: number;
  /** The relay's audit counters, as it last told them (windows re-executed, passed, mismatched; takeovers). */
  readonly audit: { readonly audits: number; readonly passed: number; readonly mismatches: number; readonly takeovers: number; readonly auditedTicks: number };
  /** Verdicts against owners this client has been told of. */
  readonly incidents: number;
  /** Speculative replicas: prediction error against owners' states (cm), rollbacks and replayed ticks per second. */
  readonly replicas: { readonly mode: ReplicaMode; readonly predictionErrorP50Cm: number; readonly predictionErrorP99Cm: number; readonly rollbacksPerS: number; readonly replayedTicksPerS: number; readonly ownerRewinds: number };
}

/** Events a client raises. */
export interface WorldClientEvents {
  joined: { peer: PeerId; avatar: EntityId; config: WorldConfig; role: MemberRole };
  roster: { players: readonly RosterEntry[] };
  lease: { lease: TileLease };
  error: { reason: string };
  closed: { reason: string };
  /** A state delta of an owned tile left for a subscriber (for latency measurements). */
  deltaSent: { tile: TileId; tick: number; to: PeerId; atMs: number };
  /** A state delta was applied to a replica; `direct` when it came over a peer-to-peer path. */
  deltaApplied: { tile: TileId; tick: number; from: PeerId; direct: boolean; atMs: number };
  /** The relay judged an owner (audit mismatch, concealed critical state, silence) and took its tiles. */
  incident: AuditIncident;
  /** A message of the world document (sync, acknowledgement, presence), from the relay or a direct peer. */
  doc: { from: PeerId; direct: boolean; message: DocMessage };
  /** A direct path to a peer opened (document sync starts over it). */
  peerOpen: { peer: PeerId };
}

/** Messages of the world document that the client passes to its `doc` listeners. */
export type DocMessage = Extract<Message, { type: typeof MsgType.DocSync | typeof MsgType.DocAck | typeof MsgType.Presence }>;


/** The cheat a drill keeps running every tick, if any. */
export type RunningCheat =
  | { readonly kind: 'hold'; readonly entity: EntityId; readonly position: Vec3 }
  | { readonly kind: 'nudge'; readonly entity: EntityId; readonly metres: number }
  | { readonly kind: 'speed'; readonly entity: EntityId; readonly metresPerSecond: number };

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
  reportedPosition(id: EntityId): { position: Vec3; tick: number } | undefined;
  /** Owner and epoch of every tile this client knows of. */
  tiles(): { tile: TileId; owner: PeerId; epoch: number }[];
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
