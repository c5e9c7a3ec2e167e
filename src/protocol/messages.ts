import type { EntityInput, EntityMessage } from '../core/behaviour.js';
import { ByteReader, ByteWriter, readI16, readU16, readVarUint, writeI16, writeU16, writeVarUint } from '../core/bytes.js';
import type { EntityDesc, EntityId, Props } from '../core/entity.js';
import { ErrorCode, TesseraError } from '../core/errors.js';
import type { TileId } from '../core/tile.js';
import type { WorldConfig } from '../core/world-config.js';
import { readEntity, readProps, readTile, writeEntity, writeProps, writeTile, type TileContinuity } from '../sim/snapshot-codec.js';
import { readTickRecords, writeTickRecords, type TickRecord } from '../sim/tick-record.js';
import { deflateBytes, inflateBounded } from './compression.js';
import { readDeltaBody, writeDeltaBody } from './delta-codec.js';

/** Version of the relay/peer protocol; a peer speaking another version is refused at hello. */
export const PROTOCOL_VERSION = 8;
/** Largest message accepted on any socket or data channel, bytes (bigger payloads travel as chunks). */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Payload bytes per chunk: keeps every data-channel message far below Chromium's 256 KiB. */
export const CHUNK_BYTES = 48 * 1024;
/** Most chunks one message may be cut into (so at most 48 MiB reassembled). */
export const MAX_CHUNKS = 1024;
/** Most kind names a welcome lists (the kinds the relay's world simulates). */
export const MAX_WELCOME_KINDS = 1024;
/** Most players one `Roster` lists, and most added (or removed) in one `RosterDelta`. */
export const MAX_ROSTER_ENTRIES = 4096;

/** Audit windows are this many ticks long and start at multiples of it; owners keep the state at each start. */
export const AUDIT_WINDOW_TICKS = 5;
/**
 * How long owners keep window-start states for the relay to ask for, ticks (5 s at 60 Hz). The
 * relay asks only for windows that began at most this less a second ago: after it stalled 4 s,
 * 3 s of states left honest owners unable to answer, and they were judged for it.
 */
export const AUDIT_RETAIN_TICKS = 300;

/** A peer's id in a world, given by the relay. 0 is the relay itself. */
export type PeerId = number;
/** The relay's peer id. */
export const RELAY_PEER: PeerId = 0;

/** Message type tags (first byte of every message). Layouts and directions: `PROTOCOL.md`. */
export const MsgType = {
  /** Client → relay: join a world (protocol version, world, name, join token). */
  Hello: 1,
  /** Relay → client: the join was accepted (peer id, world config, clocks, avatar, relay key, role, kinds). */
  Welcome: 2,
  /** Client → relay: clock probe carrying the client's time. */
  Ping: 3,
  /** Relay → client: answer to a `Ping`, echoing the client's time with the relay's. */
  Pong: 4,
  /** Client → relay: the avatar's position at a tick (drives interest and ownership). */
  Pose: 5,
  /** Relay → client: owner and epoch of every tile in the client's area of interest. */
  Directory: 6,
  /** Relay → client: a signed tile lease. */
  Lease: 7,
  /** Relay → owner: the peers subscribed to one of its tiles. */
  Subscribers: 8,
  /** Both ways: WebRTC signalling data (simple-peer JSON) to or from another peer. */
  Signal: 9,
  /** Client → relay: a wire message for the relay to pass to another peer (fallback path). */
  Forward: 10,
  /** Relay → client: a message another peer sent through the relay with `Forward`. */
  Forwarded: 11,
  /** Owner → subscriber: quantised changes of a tile's entities since the last delta. */
  StateDelta: 12,
  /** Owner → relay: the exact, resumable snapshot of a tile at a tick. */
  Keyframe: 13,
  /** Subscriber → owner: ask for a full state of a tile (after a gap in the deltas). */
  KeyframeRequest: 14,
  /** Player → owner and relay (relay → owner: its copy): inputs for entities at a tick. */
  Input: 15,
  /** Relay → owner: hand a tile over to another peer under a new epoch. */
  HandoffRequest: 16,
  /** Owner → relay → new owner: the tile's snapshot at the handoff. */
  HandoffState: 17,
  /** Owner → relay → owner: an entity leaving one tile for another. */
  Migrate: 18,
  /** Owner → relay → owner: a message from one entity to another, delivered to the target's tile. */
  EntityMail: 19,
  /** Relay → owner: an entity to add to one of its tiles. */
  Spawn: 20,
  /** Relay → owner: an entity to remove from one of its tiles. */
  Despawn: 21,
  /** Relay → client: a refusal, with a `ProtocolError` code and a reason. */
  Error: 22,
  /**
   * Relay → client: the players of the world, replacing the client's list (a world of more than
   * `MAX_ROSTER_ENTRIES` players: the first ones, the rest follow in `RosterDelta`s).
   */
  Roster: 23,
  /** Any direction: one piece of a message bigger than `MAX_MESSAGE_BYTES`. */
  Chunk: 24,
  /** Owner → subscriber: every entity of a tile with its state, plus its RNG and counters. */
  TileState: 25,
  /** Owner → relay: per-tick commitments of a tile and the tick records that led to them. */
  Commits: 26,
  /** Relay → owner: send your exact state of a tile at this audit window start. */
  AuditRequest: 27,
  /** Relay → every player: a verdict against an owner (`AuditIncident`). */
  Incident: 28,
  /** Relay → every player: the relay's audit counters (every 2 s). */
  AuditStats: 29,
  /** Player ↔ relay and player ↔ player: a y-protocols sync message of the world document. */
  DocSync: 30,
  /** Relay → player: the relay's Yjs state vector after storing an update. */
  DocAck: 31,
  /** Player ↔ relay and player ↔ player: a y-protocols awareness update. */
  Presence: 32,
  /**
   * Relay → client: players who joined or changed (`added`) and who left (`removed`) since the
   * last `Roster` or `RosterDelta`, applied in order to the list the last `Roster` began.
   */
  RosterDelta: 33,
} as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];

/** A tile lease: `owner` is authoritative for `tile` from `fromTick` until `expiresTick`, under `epoch`. */
export interface TileLease {
  /** The tile leased. */
  readonly tile: TileId;
  /** The peer authoritative for the tile. */
  readonly owner: PeerId;
  /** Grows by one with every change of owner; a message with a lower epoch is stale. */
  readonly epoch: number;
  /** First tick of the lease, ticks. */
  readonly fromTick: number;
  /** Last tick of the lease, ticks; past it the owner's authority lapses unless renewed. */
  readonly expiresTick: number;
  /** Ed25519 signature by the relay over `leaseSigningBytes(lease)`. */
  readonly signature: Uint8Array;
}

/** One tile in a directory listing. */
export interface DirectoryEntry {
  /** The tile. */
  readonly tile: TileId;
  /** Its current owner (`RELAY_PEER` when the relay simulates it). */
  readonly owner: PeerId;
  /** The epoch of its current lease; messages about the tile under an older one are stale. */
  readonly epoch: number;
}

/** Quantised state of one entity in a delta. */
export interface EntityPose {
  /** The entity. */
  readonly id: EntityId;
  /** Position x, metres (dequantised: 16 bits over the tile grown by `POSE_MARGIN`). */
  readonly x: number;
  /** Position y, metres (dequantised). */
  readonly y: number;
  /** Position z, metres (dequantised). */
  readonly z: number;
  /** Unit quaternion, or undefined when unchanged/not sent. */
  readonly rotation:
    | {
        /** Quaternion x component (dequantised, smallest-three). */
        x: number;
        /** Quaternion y component. */
        y: number;
        /** Quaternion z component. */
        z: number;
        /** Quaternion w (scalar) component. */
        w: number;
      }
    | undefined;
  /** Linear velocity x, m/s (quantised to 0.01 m/s), for extrapolation; 0 when not sent. */
  readonly vx: number;
  /** Linear velocity y, m/s (quantised to 0.01 m/s). */
  readonly vy: number;
  /** Linear velocity z, m/s (quantised to 0.01 m/s). */
  readonly vz: number;
  /**
   * Angular velocity, rad/s (quantised to 0.01 rad/s, at most ±327), or undefined when zero: a
   * speculative replica corrected by deltas alone must spin a ball as its owner does, or it
   * predicts the wrong path (a ball with backspin slows, one with topspin speeds up).
   */
  readonly angvel?:
    | {
        /** About x, rad/s. */
        x: number;
        /** About y, rad/s. */
        y: number;
        /** About z, rad/s. */
        z: number;
      }
    | undefined;
}

/** The props of an entity that changed since the last delta (discrete state switches at once on replicas). */
export interface PropsUpdate {
  /** The entity whose props changed. */
  readonly id: EntityId;
  /** Its props (the keys that changed since the last delta, with their new values). */
  readonly props: Props;
}

/** A player on the relay. */
export interface RosterEntry {
  /** The player's peer id. */
  readonly peer: PeerId;
  /** Display name (at most 64 bytes on the wire). */
  readonly name: string;
  /** Id of the player's avatar entity. */
  readonly avatar: EntityId;
}

/**
 * Every message of the protocol, as a typed union discriminated by `type` (one of `MsgType`).
 * Byte layouts, directions and limits: `PROTOCOL.md`.
 */
export type Message =
  /** Client → relay: join a world. The first message on a connection. */
  | {
      /** Tag: `MsgType.Hello`. */
      type: typeof MsgType.Hello;
      /** The protocol version the client speaks; the relay refuses any but `PROTOCOL_VERSION`. */
      version: number;
      /** Name of the world to join (at most 64 bytes). */
      world: string;
      /** The player's display name (at most 64 bytes). */
      name: string;
      /** Join token (at most 1024 bytes); the relay derives the member's role from it. */
      token: string;
    }
  /** Relay → client: the join was accepted. */
  | {
      /** Tag: `MsgType.Welcome`. */
      type: typeof MsgType.Welcome;
      /** The peer id the relay gave this client. */
      peer: PeerId;
      /** Name of the world joined. */
      world: string;
      /** The world's configuration (tile edge, tick rate, seed, gravity…). */
      config: WorldConfig;
      /** The relay's clock when it sent this, ms (for clock sync). */
      serverTimeMs: number;
      /** The relay's clock time of tick 0, ms: tick = (relay time − tickZeroMs) × tickRate / 1000. */
      tickZeroMs: number;
      /** Id of the avatar entity the relay spawned for this player. */
      avatar: EntityId;
      /** The relay's Ed25519 public key (32 bytes), which signs every lease. */
      relayKey: Uint8Array;
      /** What this member may do in the world. */
      role: MemberRole;
      /** Names of the entity kinds the relay's world simulates (at most `MAX_WELCOME_KINDS`). */
      kinds: string[];
    }
  /** Client → relay: clock probe. */
  | {
      /** Tag: `MsgType.Ping`. */
      type: typeof MsgType.Ping;
      /** The client's clock when it sent the ping, ms. */
      clientTimeMs: number;
    }
  /** Relay → client: answer to a `Ping`. */
  | {
      /** Tag: `MsgType.Pong`. */
      type: typeof MsgType.Pong;
      /** The `clientTimeMs` of the ping answered, echoed, ms. */
      clientTimeMs: number;
      /** The relay's clock when it answered, ms. */
      serverTimeMs: number;
    }
  /** Client → relay: the avatar's position, for interest and ownership (bounded by the relay). */
  | {
      /** Tag: `MsgType.Pose`. */
      type: typeof MsgType.Pose;
      /** The tick the position was taken at. */
      tick: number;
      /** Avatar position x, metres (sent as `f32`). */
      x: number;
      /** Avatar position y, metres (sent as `f32`). */
      y: number;
      /** Avatar position z, metres (sent as `f32`). */
      z: number;
    }
  /** Relay → client: the tiles in the client's area of interest. */
  | {
      /** Tag: `MsgType.Directory`. */
      type: typeof MsgType.Directory;
      /** Owner and epoch of each tile (at most 4096). */
      entries: DirectoryEntry[];
    }
  /** Relay → client: a signed lease. */
  | {
      /** Tag: `MsgType.Lease`. */
      type: typeof MsgType.Lease;
      /** The lease, signed by the relay's key. */
      lease: TileLease;
    }
  /** Relay → owner: who subscribes to one of its tiles. */
  | {
      /** Tag: `MsgType.Subscribers`. */
      type: typeof MsgType.Subscribers;
      /** The owner's tile. */
      tile: TileId;
      /** The lease epoch this list is for. */
      epoch: number;
      /** The peers subscribed to the tile (the owner sends them its deltas and states). */
      peers: PeerId[];
    }
  /** Both ways: WebRTC signalling between two peers, through the relay. */
  | {
      /** Tag: `MsgType.Signal`. */
      type: typeof MsgType.Signal;
      /** The other peer: the recipient when sent to the relay, the sender when received from it. */
      peer: PeerId;
      /** Signalling data, simple-peer JSON (at most 16 KiB). */
      data: string;
    }
  /** Client → relay: pass a message to another peer (the fallback when no direct path exists). */
  | {
      /** Tag: `MsgType.Forward`. */
      type: typeof MsgType.Forward;
      /** The recipient; must be a peer of the same world. */
      to: PeerId;
      /** Whether the relay passes it on over the reliable channel (false: it may be dropped). */
      reliable: boolean;
      /** The encoded wire message to deliver. */
      payload: Uint8Array;
    }
  /** Relay → client: a message another peer sent with `Forward`. */
  | {
      /** Tag: `MsgType.Forwarded`. */
      type: typeof MsgType.Forwarded;
      /** The peer that sent it. */
      from: PeerId;
      /** The encoded wire message, as the sender gave it. */
      payload: Uint8Array;
    }
  /** Owner → subscriber: what changed in a tile since the last delta (dead-reckoned). */
  | {
      /** Tag: `MsgType.StateDelta`. */
      type: typeof MsgType.StateDelta;
      /** The tile. */
      tile: TileId;
      /** The sender's lease epoch. */
      epoch: number;
      /** The tick the delta describes. */
      tick: number;
      /** Sequence number of the delta for this tile; must grow (a gap asks for a `KeyframeRequest`). */
      seq: number;
      /** Entities re-sent because extrapolation would drift (or once a second), quantised. */
      poses: EntityPose[];
      /** Entities despawned since the last delta. */
      removed: EntityId[];
      /** Entities that moved to another tile (visible until that tile's owner reports them). */
      departed: EntityId[];
      /** Props that changed since the last delta, per entity; absent when none did. */
      props?: PropsUpdate[];
    }
  /** Owner → relay: the exact, resumable state of a tile. */
  | {
      /** Tag: `MsgType.Keyframe`. */
      type: typeof MsgType.Keyframe;
      /** The tile. */
      tile: TileId;
      /** The sender's lease epoch. */
      epoch: number;
      /** The tick of the snapshot. */
      tick: number;
      /** A tile snapshot (`encodeTileSnapshot` layout, physics included; usually chunked). */
      snapshot: Uint8Array;
    }
  /** Subscriber → owner: ask for a full state of a tile. */
  | {
      /** Tag: `MsgType.KeyframeRequest`. */
      type: typeof MsgType.KeyframeRequest;
      /** The tile whose state is wanted. */
      tile: TileId;
    }
  /** Player → owner and relay; relay → owner (its copy): inputs for entities. */
  | {
      /** Tag: `MsgType.Input`. */
      type: typeof MsgType.Input;
      /** The tick the inputs are stamped for. */
      tick: number;
      /** The inputs (at most 64; each at most 16 props), applied once per (entity, seq). */
      inputs: EntityInput[];
    }
  /** Relay → owner: hand a tile to another peer. */
  | {
      /** Tag: `MsgType.HandoffRequest`. */
      type: typeof MsgType.HandoffRequest;
      /** The tile to hand over. */
      tile: TileId;
      /** The peer taking it over. */
      to: PeerId;
      /** The new lease epoch. */
      epoch: number;
      /** The tick at which the owner releases the tile and sends its `HandoffState` (a few ticks ahead). */
      atTick: number;
    }
  /** Owner → relay → new owner: the tile's state at a handoff. */
  | {
      /** Tag: `MsgType.HandoffState`. */
      type: typeof MsgType.HandoffState;
      /** The tile handed over. */
      tile: TileId;
      /** The new lease epoch (the one of the `HandoffRequest`). */
      epoch: number;
      /** The tick of the snapshot. */
      tick: number;
      /** A tile snapshot (`encodeTileSnapshot` layout, physics included). */
      snapshot: Uint8Array;
    }
  /** Owner → relay → owner: an entity crossing from one tile into another. */
  | {
      /** Tag: `MsgType.Migrate`. */
      type: typeof MsgType.Migrate;
      /** The tile the entity leaves. */
      from: TileId;
      /** The tile it enters. */
      to: TileId;
      /** The sender's lease epoch of the `from` tile. */
      epoch: number;
      /** The tick it left at. */
      tick: number;
      /** The entity, with its state. */
      entity: EntityDesc;
    }
  /** Owner → relay → owner: a message between entities, for the target's tile. */
  | {
      /** Tag: `MsgType.EntityMail`. */
      type: typeof MsgType.EntityMail;
      /** The target entity's tile. */
      tile: TileId;
      /** A lease epoch: from an owner, its epoch of the sending entity's tile; from the relay, the target tile's. */
      epoch: number;
      /** The message (sender, target, topic, due tick, sequence, data). */
      message: EntityMessage;
    }
  /** Relay → owner: add an entity to a tile. */
  | {
      /** Tag: `MsgType.Spawn`. */
      type: typeof MsgType.Spawn;
      /** The tile it goes into. */
      tile: TileId;
      /** The entity to add. */
      entity: EntityDesc;
    }
  /** Relay → owner: remove an entity from a tile. */
  | {
      /** Tag: `MsgType.Despawn`. */
      type: typeof MsgType.Despawn;
      /** The tile that holds it. */
      tile: TileId;
      /** The entity to remove. */
      id: EntityId;
    }
  /** Relay → client: a refusal. */
  | {
      /** Tag: `MsgType.Error`. */
      type: typeof MsgType.Error;
      /** What went wrong: one of `ProtocolError`. */
      code: number;
      /** Human-readable detail (at most 1024 bytes). */
      reason: string;
    }
  /** Relay → client: the players of the world. */
  | {
      /** Tag: `MsgType.Roster`. */
      type: typeof MsgType.Roster;
      /** Players now joined, ascending by peer id (at most `MAX_ROSTER_ENTRIES`). */
      players: RosterEntry[];
    }
  /** Relay → client: what changed in the players since the last `Roster` or `RosterDelta`. */
  | {
      /** Tag: `MsgType.RosterDelta`. */
      type: typeof MsgType.RosterDelta;
      /** Players who joined, or whose entry changed (at most `MAX_ROSTER_ENTRIES`). */
      added: RosterEntry[];
      /** Peer ids of players who left (at most `MAX_ROSTER_ENTRIES`; each at most once). */
      removed: PeerId[];
    }
  /** Any direction: one piece of a message bigger than `MAX_MESSAGE_BYTES` (see `encodeForWire`). */
  | {
      /** Tag: `MsgType.Chunk`. */
      type: typeof MsgType.Chunk;
      /** Id of the chunked message, unique per sender among those in flight. */
      id: number;
      /** This chunk's index, 0 to `count` − 1. */
      index: number;
      /** How many chunks the message has (1 to `MAX_CHUNKS`). */
      count: number;
      /** This chunk's bytes (at most `CHUNK_BYTES`). */
      part: Uint8Array;
    }
  /** Owner → subscriber: the whole state of a tile, enough to rebuild a replica. */
  | {
      /** Tag: `MsgType.TileState`. */
      type: typeof MsgType.TileState;
      /** The tile. */
      tile: TileId;
      /** The sender's lease epoch. */
      epoch: number;
      /** The tick of the state. */
      tick: number;
      /** Every entity of the tile with its state (at most 100,000). */
      entities: EntityDesc[];
      /** The tile's RNG state and counters, so a replica draws the owner's random numbers. */
      continuity: TileContinuity;
    }
  /** Owner → relay: commitments and tick records of a run of ticks, for the audit. */
  | {
      /** Tag: `MsgType.Commits`. */
      type: typeof MsgType.Commits;
      /** The tile. */
      tile: TileId;
      /** The sender's lease epoch. */
      epoch: number;
      /** The tick of the first commitment. */
      firstTick: number;
      /** One commitment per tick from `firstTick` on (`commitOf`: two state-hash words and the critical digest, u32 each; at most 600). */
      hashes: [number, number, number][];
      /** The tick record of the step that led to each commitment (as many as `hashes`). */
      records: TickRecord[];
    }
  /** Relay → owner: send the exact state of a tile at an audit window start (answered by a `Keyframe`). */
  | {
      /** Tag: `MsgType.AuditRequest`. */
      type: typeof MsgType.AuditRequest;
      /** The tile audited. */
      tile: TileId;
      /** The owner's lease epoch. */
      epoch: number;
      /** The window-start tick whose state is wanted (a multiple of `AUDIT_WINDOW_TICKS`). */
      tick: number;
    }
  /** Relay → every player: a verdict against an owner. */
  | {
      /** Tag: `MsgType.Incident`. */
      type: typeof MsgType.Incident;
      /** What was found, against whom, and which tiles were taken. */
      incident: AuditIncident;
    }
  /** Relay → every player: the relay's audit counters since it started (every 2 s). */
  | {
      /** Tag: `MsgType.AuditStats`. */
      type: typeof MsgType.AuditStats;
      /** Audit windows re-executed. */
      audits: number;
      /** Windows whose re-execution matched the owner's commitments. */
      passed: number;
      /** Windows that did not match. */
      mismatches: number;
      /** Tiles taken over after their owner left, went silent or was judged. */
      takeovers: number;
      /** Ticks re-executed by the auditor, ticks. */
      auditedTicks: number;
    }
  /** A y-protocols sync message (step 1, step 2 or update) of the world document. */
  | {
      /** Tag: `MsgType.DocSync`. */
      type: typeof MsgType.DocSync;
      /** The encoded y-protocols sync message (never empty). */
      payload: Uint8Array;
    }
  /** The relay stored every update up to this Yjs state vector (its acknowledgement). */
  | {
      /** Tag: `MsgType.DocAck`. */
      type: typeof MsgType.DocAck;
      /** The relay's encoded Yjs state vector after storing (at most 64 KiB). */
      stateVector: Uint8Array;
    }
  /** A y-protocols awareness update: who is online, their name, colour and where they are. */
  | {
      /** Tag: `MsgType.Presence`. */
      type: typeof MsgType.Presence;
      /** The encoded awareness update (never empty; ephemeral, never stored). */
      payload: Uint8Array;
    };

/**
 * What a member of a world may do, from its join token: `creator` edits the layout; `player`
 * (the default with a token) writes its own profile and chat; `viewer` as a player, and owns no
 * tiles. In wire order (append only).
 */
export const MEMBER_ROLES = ['creator', 'player', 'viewer'] as const;
/** What a member of a world may do: one of `MEMBER_ROLES` (sent in `Welcome` as its index there). */
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** Every incident reason, in wire order (a reason's index is its byte: append only). */
export const INCIDENT_REASONS = [
  'state-mismatch',
  'critical-concealed',
  'altered-input',
  'invented-input',
  'no-audit-answer',
  'bad-audit-state',
  'lease-expired',
  'repeated-input',
  'dropped-input',
  'mistimed-input',
  'invented-arrival',
  'invented-removal',
  'invented-message',
  'forged-record',
] as const;

/**
 * Why the relay took an owner's tiles. Findings against the evidence rule: `state-mismatch`,
 * `critical-concealed`, `bad-audit-state` (re-execution); `altered-input`, `invented-input`,
 * `repeated-input`, `dropped-input`, `mistimed-input` (the relay's copies of the players'
 * inputs); `invented-arrival`, `invented-removal`, `invented-message` (record items the relay
 * did not route and no tile of the owner's could have produced); `forged-record` (a record item,
 * or a reported migration, that the re-executed tile it came from did not produce). Liveness:
 * `no-audit-answer`, `lease-expired` (commitments stopped).
 */
export type IncidentReason = (typeof INCIDENT_REASONS)[number];

/** A verdict of the relay against an owner, told to every player (and raised as a typed event). */
export interface AuditIncident {
  /** What the relay found (see `IncidentReason`). */
  readonly reason: IncidentReason;
  /** The owner that lost its tiles. */
  readonly offender: PeerId;
  /** The tile where it was found, and the ticks of the window that showed it. */
  readonly tile: TileId;
  /** First tick of the window that showed it. */
  readonly fromTick: number;
  /** Last tick of the window that showed it. */
  readonly toTick: number;
  /** The tiles taken from the offender (all of its leases). */
  readonly tiles: readonly TileId[];
  /** Tick of the verified state the tiles were resumed from. */
  readonly resumedFromTick: number;
}



/** Error codes carried by `MsgType.Error`. */
export const ProtocolError = {
  /** A message was malformed, not allowed from the sender, or otherwise refused. */
  BadMessage: 1,
  /** The join was refused (unknown world, bad token, world full) or no hello came in time. */
  Unauthorized: 2,
  /** A message carried an epoch older than the tile's current one (reserved: not sent by the relay today). */
  StaleEpoch: 3,
  /** The sender does not hold the tile's lease (reserved: not sent by the relay today). */
  NotOwner: 4,
  /** The sender passed its message rate or byte budget. */
  RateLimited: 5,
  /** The message named a peer the relay does not know (reserved: not sent by the relay today). */
  UnknownPeer: 6,
  /** The hello's protocol version is not `PROTOCOL_VERSION`. */
  WrongVersion: 7,
  /** A chunked message passed a size or count bound. */
  TooLarge: 8,
} as const;

// ---- position / rotation quantisation --------------------------------------------------------

/** Deltas quantise positions to 16 bits over the tile grown by this many metres on each side. */
export { POSE_MARGIN } from './delta-codec.js';


/** The bytes a lease signature covers. */
export function leaseSigningBytes(l: Omit<TileLease, 'signature'>): Uint8Array {
  const w = new ByteWriter(48);
  w.u32(0x4553414c); // "LASE"
  writeTile(w, l.tile);
  w.u32(l.owner).u32(l.epoch).f64(l.fromTick).f64(l.expiresTick);
  return w.finish();
}

// ---- encode ----------------------------------------------------------------------------------

function writeConfig(w: ByteWriter, c: WorldConfig): void {
  w.f64(c.tileEdge).u32(c.tickRate).u32(c.seed).f64(c.ghostMargin).f64(c.gravity.x).f64(c.gravity.y).f64(c.gravity.z).f64(c.floorY).f64(c.aoiRadius);
  w.f64(c.spawnPoint.x).f64(c.spawnPoint.y).f64(c.spawnPoint.z);
}
function readConfig(r: ByteReader): WorldConfig {
  return { tileEdge: r.f64(), tickRate: r.u32(), seed: r.u32(), ghostMargin: r.f64(), gravity: { x: r.f64(), y: r.f64(), z: r.f64() }, floorY: r.f64(), aoiRadius: r.f64(), spawnPoint: { x: r.f64(), y: r.f64(), z: r.f64() } };
}

function writeMessageBody(w: ByteWriter, m: EntityMessage): void {
  w.f64(m.from).f64(m.to).str(m.topic).f64(m.dueTick).f64(m.seq);
  writeProps(w, m.data);
}

/**
 * Room to start encoding `m` in: the size of the long lists (a directory, a subscriber list)
 * up front, so they are not copied over and over as the writer doubles; 64 bytes otherwise.
 */
function initialBytes(m: Message): number {
  switch (m.type) {
    case MsgType.Directory:
      return 8 + m.entries.length * 20; // type, count; per entry a tile (3 × i32), owner and epoch (2 × u32)
    case MsgType.Subscribers:
      return 24 + m.peers.length * 4; // type, tile, epoch, count; a u32 per peer
    default:
      return 64;
  }
}

/**
 * Encodes a message. `tileEdge` (metres, the world's) quantises delta positions. Throws
 * `bad-input` if it would exceed `limit` (send big ones with `encodeForWire`).
 */
export function encodeMessage(m: Message, tileEdge: number, limit = MAX_MESSAGE_BYTES): Uint8Array {
  const w = ByteWriter.pooled(initialBytes(m));
  w.u8(m.type);
  switch (m.type) {
    case MsgType.Hello:
      w.u32(m.version).str(m.world).str(m.name).str(m.token);
      break;
    case MsgType.Welcome:
      w.u32(m.peer).str(m.world);
      writeConfig(w, m.config);
      w.f64(m.serverTimeMs).f64(m.tickZeroMs).f64(m.avatar).bytes(m.relayKey).u8(MEMBER_ROLES.indexOf(m.role));
      w.u32(m.kinds.length);
      for (const k of m.kinds) w.str(k);
      break;
    case MsgType.Ping:
      w.f64(m.clientTimeMs);
      break;
    case MsgType.Pong:
      w.f64(m.clientTimeMs).f64(m.serverTimeMs);
      break;
    case MsgType.Pose:
      w.f64(m.tick).f32(m.x).f32(m.y).f32(m.z);
      break;
    case MsgType.Directory:
      w.u32(m.entries.length);
      for (const e of m.entries) {
        writeTile(w, e.tile);
        w.u32(e.owner).u32(e.epoch);
      }
      break;
    case MsgType.Lease: {
      const l = m.lease;
      writeTile(w, l.tile);
      w.u32(l.owner).u32(l.epoch).f64(l.fromTick).f64(l.expiresTick).bytes(l.signature);
      break;
    }
    case MsgType.Subscribers:
      writeTile(w, m.tile);
      w.u32(m.epoch).u32(m.peers.length);
      for (const p of m.peers) w.u32(p);
      break;
    case MsgType.Signal:
      w.u32(m.peer).str(m.data);
      break;
    case MsgType.Forward:
      w.u32(m.to).u8(m.reliable ? 1 : 0).bytes(m.payload);
      break;
    case MsgType.Forwarded:
      w.u32(m.from).bytes(m.payload);
      break;
    case MsgType.StateDelta:
      writeDeltaBody(w, m, tileEdge);
      break;
    case MsgType.Keyframe:
      writeTile(w, m.tile);
      w.u32(m.epoch).f64(m.tick).bytes(m.snapshot);
      break;
    case MsgType.KeyframeRequest:
      writeTile(w, m.tile);
      break;
    case MsgType.Input:
      w.f64(m.tick).u32(m.inputs.length);
      for (const i of m.inputs) {
        w.f64(i.entity).u32(i.seq);
        writeProps(w, i.data);
      }
      break;
    case MsgType.HandoffRequest:
      writeTile(w, m.tile);
      w.u32(m.to).u32(m.epoch).f64(m.atTick);
      break;
    case MsgType.HandoffState:
      writeTile(w, m.tile);
      w.u32(m.epoch).f64(m.tick).bytes(m.snapshot);
      break;
    case MsgType.Migrate:
      writeTile(w, m.from);
      writeTile(w, m.to);
      w.u32(m.epoch).f64(m.tick);
      writeEntity(w, m.entity);
      break;
    case MsgType.EntityMail:
      writeTile(w, m.tile);
      w.u32(m.epoch);
      writeMessageBody(w, m.message);
      break;
    case MsgType.Spawn:
      writeTile(w, m.tile);
      writeEntity(w, m.entity);
      break;
    case MsgType.Despawn:
      writeTile(w, m.tile);
      w.f64(m.id);
      break;
    case MsgType.Error:
      w.u32(m.code).str(m.reason);
      break;
    case MsgType.Roster:
      w.u32(m.players.length);
      for (const p of m.players) w.u32(p.peer).str(p.name).f64(p.avatar);
      break;
    case MsgType.RosterDelta:
      w.u32(m.added.length);
      for (const p of m.added) w.u32(p.peer).str(p.name).f64(p.avatar);
      w.u32(m.removed.length);
      for (const id of m.removed) w.u32(id);
      break;
    case MsgType.TileState:
      writeTile(w, m.tile);
      w.u32(m.epoch).f64(m.tick);
      for (const x of m.continuity.rng) w.u32(x);
      w.f64(m.continuity.spawnCounter).f64(m.continuity.messageSeq).u32(m.entities.length);
      writeStateEntities(w, m.entities);
      break;
    case MsgType.Commits:
      writeTile(w, m.tile);
      w.u32(m.epoch).f64(m.firstTick);
      writeU16(w, m.hashes.length);
      for (const [a, b, c] of m.hashes) w.u32(a >>> 0).u32(b >>> 0).u32(c >>> 0);
      writeTickRecords(w, m.records);
      break;
    case MsgType.AuditRequest:
      writeTile(w, m.tile);
      w.u32(m.epoch).f64(m.tick);
      break;
    case MsgType.Incident: {
      const i = m.incident;
      w.u8(INCIDENT_REASONS.indexOf(i.reason)).u32(i.offender);
      writeTile(w, i.tile);
      w.f64(i.fromTick).f64(i.toTick).f64(i.resumedFromTick);
      writeU16(w, i.tiles.length);
      for (const t of i.tiles) writeTile(w, t);
      break;
    }
    case MsgType.AuditStats:
      w.f64(m.audits).f64(m.passed).f64(m.mismatches).f64(m.takeovers).f64(m.auditedTicks);
      break;
    case MsgType.DocSync:
    case MsgType.Presence:
      w.bytes(m.payload);
      break;
    case MsgType.DocAck:
      w.bytes(m.stateVector);
      break;
    case MsgType.Chunk:
      w.u32(m.id);
      writeU16(w, m.index);
      writeU16(w, m.count);
      w.bytes(m.part);
      break;
  }
  if (w.length > limit) throw new TesseraError(ErrorCode.BadInput, `message type ${m.type} is ${w.length} bytes, over the ${limit}-byte limit`);
  return w.finishPooled();
}

/** A full state's entities smaller than this are sent as they are (deflate would not pay). */
const DEFLATE_FROM_BYTES = 512;

/**
 * A full state's entities: `u8 form` then, form 0, the entities as they are; form 1, `varuint
 * length` and the entities deflated (to the end of the message), when that is smaller.
 */
function writeStateEntities(w: ByteWriter, entities: readonly EntityDesc[]): void {
  const raw = new ByteWriter(256 * Math.max(1, entities.length));
  for (const e of entities) writeEntity(raw, e);
  const bytes = raw.finish();
  const packed = bytes.length >= DEFLATE_FROM_BYTES ? deflateBytes(bytes) : undefined;
  if (packed && packed.length < bytes.length) {
    w.u8(1);
    writeVarUint(w, bytes.length);
    w.raw(packed);
  } else {
    w.u8(0);
    w.raw(bytes);
  }
}

/** Reads `n` entities written by `writeStateEntities`; a deflated section inflates to its declared size at most (`inflateBounded`). */
function readStateEntities(r: ByteReader, n: number): EntityDesc[] {
  const form = r.u8();
  if (form > 1) r.fail(`bad entity section form ${form}`);
  let from = r;
  if (form === 1) {
    const size = readVarUint(r);
    const fail = (reason: string): never => r.fail(reason);
    from = new ByteReader(inflateBounded(r.raw(r.remaining), size, fail), ErrorCode.BadInput, 'full state entities');
  }
  const entities: EntityDesc[] = [];
  for (let i = 0; i < n; i++) {
    const e = readEntity(from);
    checkId(from, e.id);
    const { position: p, rotation: q, linvel: v, angvel: a } = e.state;
    checkFinite(from, p.x, p.y, p.z, q.x, q.y, q.z, q.w, v.x, v.y, v.z, a.x, a.y, a.z);
    entities.push(e);
  }
  if (form === 1) from.end();
  return entities;
}

// ---- decode ----------------------------------------------------------------------------------

const MAX_LIST = 4096;

function checkFinite(r: ByteReader, ...vs: number[]): void {
  for (const v of vs) if (!Number.isFinite(v)) r.fail('non-finite number');
}
function checkTick(r: ByteReader, t: number): number {
  if (!Number.isSafeInteger(t) || t < 0) r.fail(`tick ${t} is not a non-negative integer`);
  return t;
}
function checkId(r: ByteReader, id: number): number {
  if (!Number.isSafeInteger(id) || id < 0) r.fail(`entity id ${id} is not a non-negative safe integer`);
  return id;
}

/**
 * Decodes one message, validating sizes, counts, numbers and ids. Throws `bad-input` naming
 * the problem; never returns a partially read message.
 */
export function decodeMessage(bytes: Uint8Array, tileEdge: number, limit = MAX_MESSAGE_BYTES): Message {
  if (bytes.length > limit) throw new TesseraError(ErrorCode.BadInput, `message of ${bytes.length} bytes exceeds the ${limit}-byte limit`);
  const r = new ByteReader(bytes, ErrorCode.BadInput, 'message');
  const type = r.u8();
  let m: Message;
  switch (type) {
    case MsgType.Hello:
      m = { type, version: r.u32(), world: r.str(64), name: r.str(64), token: r.str(1024) };
      break;
    case MsgType.Welcome: {
      const peer = r.u32();
      const world = r.str(64);
      const config = readConfig(r);
      const serverTimeMs = r.f64();
      const tickZeroMs = r.f64();
      const avatar = checkId(r, r.f64());
      const relayKey = r.bytes(64).slice();
      const role = MEMBER_ROLES[r.u8()];
      if (role === undefined) return r.fail('unknown member role');
      const kindCount = r.count(MAX_WELCOME_KINDS, 'kinds');
      const kinds: string[] = [];
      for (let i = 0; i < kindCount; i++) kinds.push(r.str(64));
      checkFinite(r, serverTimeMs, tickZeroMs, config.tileEdge);
      m = { type, peer, world, config, serverTimeMs, tickZeroMs, avatar, relayKey, role, kinds };
      break;
    }
    case MsgType.Ping: {
      const clientTimeMs = r.f64();
      checkFinite(r, clientTimeMs);
      m = { type, clientTimeMs };
      break;
    }
    case MsgType.Pong: {
      const clientTimeMs = r.f64();
      const serverTimeMs = r.f64();
      checkFinite(r, clientTimeMs, serverTimeMs);
      m = { type, clientTimeMs, serverTimeMs };
      break;
    }
    case MsgType.Pose: {
      const tick = checkTick(r, r.f64());
      const x = r.f32();
      const y = r.f32();
      const z = r.f32();
      checkFinite(r, x, y, z);
      m = { type, tick, x, y, z };
      break;
    }
    case MsgType.Directory: {
      const n = r.count(MAX_LIST, 'directory entry');
      const entries: DirectoryEntry[] = [];
      for (let i = 0; i < n; i++) entries.push({ tile: readTile(r), owner: r.u32(), epoch: r.u32() });
      m = { type, entries };
      break;
    }
    case MsgType.Lease: {
      const tile = readTile(r);
      const owner = r.u32();
      const epoch = r.u32();
      const fromTick = checkTick(r, r.f64());
      const expiresTick = checkTick(r, r.f64());
      const signature = r.bytes(128).slice();
      m = { type, lease: { tile, owner, epoch, fromTick, expiresTick, signature } };
      break;
    }
    case MsgType.Subscribers: {
      const tile = readTile(r);
      const epoch = r.u32();
      const n = r.count(MAX_LIST, 'subscriber');
      const peers: PeerId[] = [];
      for (let i = 0; i < n; i++) peers.push(r.u32());
      m = { type, tile, epoch, peers };
      break;
    }
    case MsgType.Signal:
      m = { type, peer: r.u32(), data: r.str(16 * 1024) };
      break;
    case MsgType.Forward: {
      const to = r.u32();
      const rel = r.u8();
      if (rel > 1) r.fail('bad reliable flag');
      m = { type, to, reliable: rel === 1, payload: r.bytes(limit).slice() };
      break;
    }
    case MsgType.Forwarded:
      m = { type, from: r.u32(), payload: r.bytes(limit).slice() };
      break;
    case MsgType.StateDelta:
      m = { type, ...readDeltaBody(r, tileEdge) } as Message;
      break;
    case MsgType.Keyframe: {
      const tile = readTile(r);
      const epoch = r.u32();
      const tick = checkTick(r, r.f64());
      m = { type, tile, epoch, tick, snapshot: r.bytes(Number.MAX_SAFE_INTEGER).slice() };
      break;
    }
    case MsgType.KeyframeRequest:
      m = { type, tile: readTile(r) };
      break;
    case MsgType.Input: {
      const tick = checkTick(r, r.f64());
      const n = r.count(64, 'input');
      const inputs: EntityInput[] = [];
      for (let i = 0; i < n; i++) {
        const entity = checkId(r, r.f64());
        const seq = r.u32();
        const data = readProps(r, 16);
        for (const v of Object.values(data)) if (typeof v === 'number') checkFinite(r, v);
        inputs.push({ entity, seq, data });
      }
      m = { type, tick, inputs };
      break;
    }
    case MsgType.HandoffRequest:
      m = { type, tile: readTile(r), to: r.u32(), epoch: r.u32(), atTick: checkTick(r, r.f64()) };
      break;
    case MsgType.HandoffState: {
      const tile = readTile(r);
      const epoch = r.u32();
      const tick = checkTick(r, r.f64());
      m = { type, tile, epoch, tick, snapshot: r.bytes(Number.MAX_SAFE_INTEGER).slice() };
      break;
    }
    case MsgType.Migrate: {
      const from = readTile(r);
      const to = readTile(r);
      const epoch = r.u32();
      const tick = checkTick(r, r.f64());
      const entity = readEntity(r);
      checkId(r, entity.id);
      m = { type, from, to, epoch, tick, entity };
      break;
    }
    case MsgType.EntityMail: {
      const tile = readTile(r);
      const epoch = r.u32();
      const from = checkId(r, r.f64());
      const to = checkId(r, r.f64());
      const topic = r.str(64);
      const dueTick = checkTick(r, r.f64());
      const seq = r.f64();
      const data = readProps(r, 16);
      m = { type, tile, epoch, message: { from, to, topic, dueTick, seq, data } };
      break;
    }
    case MsgType.Spawn:
      m = { type, tile: readTile(r), entity: readEntity(r) };
      break;
    case MsgType.Despawn:
      m = { type, tile: readTile(r), id: checkId(r, r.f64()) };
      break;
    case MsgType.Error:
      m = { type, code: r.u32(), reason: r.str(1024) };
      break;
    case MsgType.Roster: {
      const n = r.count(MAX_ROSTER_ENTRIES, 'player');
      const players: RosterEntry[] = [];
      for (let i = 0; i < n; i++) players.push({ peer: r.u32(), name: r.str(64), avatar: checkId(r, r.f64()) });
      m = { type, players };
      break;
    }
    case MsgType.RosterDelta: {
      const n = r.count(MAX_ROSTER_ENTRIES, 'added player');
      const added: RosterEntry[] = [];
      const seen = new Set<PeerId>();
      for (let i = 0; i < n; i++) {
        const p = { peer: r.u32(), name: r.str(64), avatar: checkId(r, r.f64()) };
        if (seen.has(p.peer)) r.fail(`player ${p.peer} added twice in one roster delta`);
        seen.add(p.peer);
        added.push(p);
      }
      const k = r.count(MAX_ROSTER_ENTRIES, 'removed player');
      const removed: PeerId[] = [];
      for (let i = 0; i < k; i++) {
        const id = r.u32();
        if (seen.has(id)) r.fail(`player ${id} both added and removed in one roster delta`);
        seen.add(id);
        removed.push(id);
      }
      m = { type, added, removed };
      break;
    }
    case MsgType.TileState: {
      const tile = readTile(r);
      const epoch = r.u32();
      const tick = checkTick(r, r.f64());
      const rng: [number, number, number, number] = [r.u32(), r.u32(), r.u32(), r.u32()];
      const spawnCounter = r.f64();
      const messageSeq = r.f64();
      for (const c of [spawnCounter, messageSeq]) if (!Number.isSafeInteger(c) || c < 0) r.fail(`tile counter ${c} is not a non-negative integer`);
      const entities = readStateEntities(r, r.count(100_000, 'entity'));
      m = { type, tile, epoch, tick, entities, continuity: { rng, spawnCounter, messageSeq } };
      break;
    }
    case MsgType.Commits: {
      const tile = readTile(r);
      const epoch = r.u32();
      const firstTick = checkTick(r, r.f64());
      const n = readU16(r);
      if (n > 600) r.fail(`${n} commits in one batch (at most 600)`);
      const hashes: [number, number, number][] = [];
      for (let i = 0; i < n; i++) hashes.push([r.u32(), r.u32(), r.u32()]);
      const records = readTickRecords(r);
      // Each hash but the first closes the step its record describes.
      if (records.length !== n) r.fail(`${records.length} tick records for ${n} commits`);
      m = { type, tile, epoch, firstTick, hashes, records };
      break;
    }
    case MsgType.AuditRequest:
      m = { type, tile: readTile(r), epoch: r.u32(), tick: checkTick(r, r.f64()) };
      break;
    case MsgType.Incident: {
      const code = r.u8();
      const reason = INCIDENT_REASONS[code];
      if (!reason) return r.fail(`unknown incident reason ${code}`);
      const offender = r.u32();
      const tile = readTile(r);
      const fromTick = checkTick(r, r.f64());
      const toTick = checkTick(r, r.f64());
      const resumedFromTick = checkTick(r, r.f64());
      const n = readU16(r);
      if (n > MAX_LIST) r.fail(`${n} tiles in an incident`);
      const tiles: TileId[] = [];
      for (let i = 0; i < n; i++) tiles.push(readTile(r));
      m = { type, incident: { reason, offender, tile, fromTick, toTick, tiles, resumedFromTick } };
      break;
    }
    case MsgType.AuditStats: {
      const v = [r.f64(), r.f64(), r.f64(), r.f64(), r.f64()];
      for (const x of v) if (!Number.isSafeInteger(x) || x < 0) r.fail(`audit counter ${x} is not a count`);
      m = { type, audits: v[0]!, passed: v[1]!, mismatches: v[2]!, takeovers: v[3]!, auditedTicks: v[4]! };
      break;
    }
    case MsgType.DocSync:
      m = { type, payload: r.bytes(limit).slice() };
      if (m.payload.length === 0) r.fail('empty document sync message');
      break;
    case MsgType.Presence:
      m = { type, payload: r.bytes(limit).slice() };
      if (m.payload.length === 0) r.fail('empty presence message');
      break;
    case MsgType.DocAck:
      m = { type, stateVector: r.bytes(64 * 1024).slice() };
      break;
    case MsgType.Chunk: {
      const id = r.u32();
      const index = readU16(r);
      const count = readU16(r);
      if (count === 0 || count > MAX_CHUNKS || index >= count) r.fail(`bad chunk ${index}/${count}`);
      m = { type, id, index, count, part: r.bytes(CHUNK_BYTES).slice() };
      break;
    }
    default:
      return r.fail(`unknown message type ${type}`);
  }
  r.end();
  return m;
}

/**
 * Encodes a message, cut into `Chunk` messages when it is larger than `MAX_MESSAGE_BYTES`.
 * `id` must be unique per sender among chunked messages in flight.
 */
export function encodeForWire(m: Message, id: number, tileEdge: number): Uint8Array[] {
  const whole = encodeMessage(m, tileEdge, Number.MAX_SAFE_INTEGER);
  if (whole.length <= MAX_MESSAGE_BYTES) return [whole];
  const count = Math.ceil(whole.length / CHUNK_BYTES);
  if (count > MAX_CHUNKS) throw new TesseraError(ErrorCode.BadInput, `message of ${whole.length} bytes needs ${count} chunks, over ${MAX_CHUNKS}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(encodeMessage({ type: MsgType.Chunk, id: id >>> 0, index: i, count, part: whole.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES) }, tileEdge));
  return out;
}

const MiB = 1024 * 1024;

/**
 * Largest message a player may send the relay in chunks, by type, bytes (after reassembly).
 * From what the code legitimately sends: tile snapshots run at ≈ 1.8 KB per body (a 1000-body
 * tile is 1.8 MB), so 8 MiB holds a tile of ≈ 4,500 bodies; commits carry ≤ 600 ticks of
 * records; document updates over 1 MiB are refused anyway; one entity or one piece of mail is
 * at most 256 props. Every other type: `RELAY_CHUNK_CAP_DEFAULT`. Table in PROTOCOL.md.
 */
export const RELAY_CHUNK_CAPS: Readonly<Partial<Record<MsgType, number>>> = {
  [MsgType.Keyframe]: 8 * MiB,
  [MsgType.HandoffState]: 8 * MiB,
  [MsgType.Commits]: 4 * MiB,
  [MsgType.DocSync]: MiB + 1024,
  [MsgType.Migrate]: 512 * 1024,
  [MsgType.EntityMail]: 512 * 1024,
  [MsgType.Forward]: MAX_MESSAGE_BYTES + 1024,
};
/** Largest chunked message of any type not in `RELAY_CHUNK_CAPS` the relay takes from a player, bytes. */
export const RELAY_CHUNK_CAP_DEFAULT = 256 * 1024;
/** The largest of the relay's chunk caps (what a message whose type is not known yet may reach). */
export const RELAY_CHUNK_CAP_MAX = 8 * MiB;

/** The relay's cap on a chunked message of this type (first byte), bytes. */
export function relayChunkCap(type: number): number {
  return RELAY_CHUNK_CAPS[type as MsgType] ?? RELAY_CHUNK_CAP_DEFAULT;
}

/** Bytes of chunked messages in progress, shared by several assemblers (every connection of a relay). */
export class ChunkBudget {
  private usedBytes = 0;
  constructor(
    /** Most bytes all the sharing assemblers may hold at once, bytes. */
    readonly limit: number,
  ) {}

  /** Bytes held now. */
  get used(): number {
    return this.usedBytes;
  }

  /** Reserves `n` bytes; false (nothing reserved) when that would pass the limit. */
  take(n: number): boolean {
    if (this.usedBytes + n > this.limit) return false;
    this.usedBytes += n;
    return true;
  }

  /** Gives `n` reserved bytes back. */
  give(n: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - n);
  }
}

/** Bounds of a `ChunkAssembler`. */
export interface ChunkLimits {
  /** Most messages in progress at once (default 8). */
  readonly maxPending?: number;
  /**
   * A new message past `maxPending`: `drop-oldest` (default; right for lossy links, where a
   * message may never complete) drops the oldest in progress, `refuse` refuses the new one
   * (unless an old one is stale, see `staleMs`).
   */
  readonly whenFull?: 'drop-oldest' | 'refuse';
  /** Largest reassembled message of any type, bytes (default 48 MiB: `MAX_CHUNKS` × `CHUNK_BYTES`). */
  readonly maxBytes?: number;
  /** Largest reassembled message by type (its first byte), bytes; at most `maxBytes` (default: `maxBytes` for every type). */
  readonly maxBytesOf?: (type: number) => number;
  /** Most bytes held across the messages in progress (default: no bound beyond `maxPending` × `maxBytes`). */
  readonly maxBufferedBytes?: number;
  /** A budget shared with other assemblers (all of a relay's connections). */
  readonly shared?: ChunkBudget;
  /** Clock, ms. With it, a message that got no chunk for `staleMs` (default 10 s) gives way to a new one. */
  readonly now?: () => number;
  /** How long a message in progress may go without a chunk before a new one may displace it, ms (default 10,000; needs `now`). */
  readonly staleMs?: number;
}

interface ChunkStream {
  readonly count: number;
  readonly parts: (Uint8Array | undefined)[];
  got: number;
  bytes: number;
  /** The message's cap, bytes: `maxBytes` until its first chunk (which holds the type) is in. */
  cap: number;
  last: number;
}

/**
 * Reassembles chunked messages from one sender (one per link). Bounded: messages in progress,
 * the size of each (by type), and the bytes held in all of them (per assembler, and in a budget
 * shared by several); a refused message's remaining chunks are refused too. Throws `bad-input`
 * naming the bound; call `clear()` when the link closes (it returns shared bytes).
 */
export class ChunkAssembler {
  private readonly pending = new Map<number, ChunkStream>();
  /** Ids of messages refused lately (their further chunks are refused without being held). */
  private readonly refusedIds = new Set<number>();
  private buffered = 0;
  private readonly maxPending: number;
  private readonly maxBytes: number;
  private readonly maxBuffered: number;

  constructor(private readonly limits: ChunkLimits = {}) {
    this.maxPending = limits.maxPending ?? 8;
    this.maxBytes = limits.maxBytes ?? CHUNK_BYTES * MAX_CHUNKS;
    this.maxBuffered = limits.maxBufferedBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Messages in progress. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Bytes held in messages in progress. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Takes a chunk; returns the whole message's bytes once complete. Throws `bad-input` on inconsistent chunks or past a bound. */
  add(c: { id: number; index: number; count: number; part: Uint8Array }): Uint8Array | undefined {
    if (this.refusedIds.has(c.id)) throw new TesseraError(ErrorCode.BadInput, `chunk ${c.index} of refused message ${c.id}`);
    const now = this.limits.now?.() ?? 0;
    let p = this.pending.get(c.id);
    if (!p) {
      const most = Math.ceil(this.maxBytes / CHUNK_BYTES);
      if (c.count > most) this.refuse(c.id, `chunked message ${c.id} of ${c.count} chunks is over ${this.maxBytes} bytes`);
      if (this.pending.size >= this.maxPending) this.makeRoom(c.id, now);
      p = { count: c.count, parts: new Array<Uint8Array | undefined>(c.count), got: 0, bytes: 0, cap: this.maxBytes, last: now };
      this.pending.set(c.id, p);
    }
    if (p.count !== c.count) this.refuse(c.id, `chunk ${c.id}: count changed from ${p.count} to ${c.count}`);
    p.last = now;
    if (c.index === 0 && p.parts[0] === undefined && this.limits.maxBytesOf) {
      // The first chunk starts with the message's type: its own cap applies from now on.
      const type = c.part[0] ?? -1;
      const cap = Math.min(this.maxBytes, this.limits.maxBytesOf(type));
      if (p.count > Math.ceil(cap / CHUNK_BYTES) || p.bytes + c.part.length > cap) this.refuse(c.id, `chunked message ${c.id} of type ${type} (${p.count} chunks) is over its ${cap}-byte cap`);
      p.cap = cap;
    }
    if (p.parts[c.index] === undefined) {
      const n = c.part.length;
      if (p.bytes + n > p.cap) this.refuse(c.id, `chunked message ${c.id} exceeds ${p.cap} bytes`);
      if (this.buffered + n > this.maxBuffered) this.refuse(c.id, `chunked messages in progress would hold over ${this.maxBuffered} bytes`);
      if (this.limits.shared && !this.limits.shared.take(n)) this.refuse(c.id, `chunked messages in progress on every connection would hold over ${this.limits.shared.limit} bytes`);
      p.parts[c.index] = c.part;
      p.got++;
      p.bytes += n;
      this.buffered += n;
    }
    if (p.got < p.count) return undefined;
    this.release(c.id, p);
    const out = new Uint8Array(p.bytes);
    let o = 0;
    for (const part of p.parts) {
      out.set(part!, o);
      o += part!.length;
    }
    return out;
  }

  /** Drops every message in progress (the link closed), returning their bytes to the shared budget. */
  clear(): void {
    for (const [id, p] of [...this.pending]) this.release(id, p);
    this.refusedIds.clear();
  }

  /** Room for one more message in progress: a stale one goes, or (drop-oldest) the oldest; else the new one is refused. */
  private makeRoom(id: number, now: number): void {
    const stale = this.limits.now ? now - (this.limits.staleMs ?? 10_000) : Number.NEGATIVE_INFINITY;
    let oldest: [number, ChunkStream] | undefined;
    for (const e of this.pending) if (!oldest || e[1].last < oldest[1].last) oldest = e;
    if (oldest && (oldest[1].last <= stale || (this.limits.whenFull ?? 'drop-oldest') === 'drop-oldest')) {
      this.release(oldest[0], oldest[1]);
      return;
    }
    this.refuse(id, `${this.pending.size} chunked messages already in progress`);
  }

  private release(id: number, p: ChunkStream): void {
    if (this.pending.get(id) !== p) return;
    this.pending.delete(id);
    this.buffered -= p.bytes;
    this.limits.shared?.give(p.bytes);
  }

  private refuse(id: number, reason: string): never {
    const p = this.pending.get(id);
    if (p) this.release(id, p);
    this.refusedIds.add(id);
    // Remember the last few only: ids are per sender and grow.
    if (this.refusedIds.size > 32) this.refusedIds.delete(this.refusedIds.values().next().value!);
    throw new TesseraError(ErrorCode.BadInput, reason);
  }
}
