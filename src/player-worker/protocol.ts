// What crosses between a page and its player worker (postMessage, structured clone; byte
// payloads and pose frames are transferred, not copied).
import type { InputData } from '../core/behaviour.js';
import type { EntityId, BodyDesc, PropValue } from '../core/entity.js';
import type { TileId } from '../core/tile.js';
import type { Vec3 } from '../core/vec.js';
import type { NetworkConditions } from '../net/memory-network.js';
import type { ReplicationConfig } from '../net/tile-authority.js';
import type { Message, MemberRole, PeerId } from '../protocol/messages.js';
import type { SpeculationConfig } from '../replica/speculative-replicas.js';
import type { ClientStats, DocMessage, ReplicaMode, TransportMode, WorldClientEvents } from '../client/player-client.js';

/** How a page asks its worker to run one client (one connection to the relay). */
export interface SessionOptions {
  /** WebSocket URL of the relay the worker connects to (`ws://` or `wss://`). */
  readonly relay: string;
  /** Name of the world to join on that relay. */
  readonly world: string;
  /** Display name shown to other players in the roster. */
  readonly name?: string;
  /** Join token from the world's creator (decides the member's role); omitted on an open relay. */
  readonly token?: string;
  /** How peer traffic travels: direct when possible, direct only, or always via the relay. */
  readonly transport: TransportMode;
  /** How owned tiles replicate to subscribers (default `DEFAULT_REPLICATION`). */
  readonly replication?: ReplicationConfig;
  /** How other owners' tiles are shown between updates (default `speculative`). */
  readonly replicaMode?: ReplicaMode;
  /** Overrides of the speculative replicas' limits (rewind depth, replay budget). */
  readonly speculation?: Partial<SpeculationConfig>;
  /** Simulated network conditions applied to the relay link (tests, demos); `seed` seeds their randomness (default 1). */
  readonly conditions?: Partial<NetworkConditions> & {
    /** Seed of the conditioned link's random drops and jitter. */
    seed?: number;
  };
  /** How long opening the relay WebSocket may take before the session fails, ms. */
  readonly timeoutMs: number;
  /** Interval between the worker's `update()` calls of its client, ms. */
  readonly updateEveryMs: number;
  /** URL of the module defining the world's kinds (default: the standard kinds). */
  readonly kinds?: string;
  /** True when the page can make WebRTC connections for the worker (workers cannot). */
  readonly rtc: boolean;
  /** How often the worker publishes a pose frame, ms. */
  readonly frameEveryMs: number;
}

/** A cheat drill asked of the worker's client. */
export type CheatCall =
  | {
      /** Move `entity` once to `position` (see `CheatDrills.teleport`). */
      readonly op: 'teleport';
      /** The entity of an owned tile to move. */
      readonly entity: EntityId;
      /** Where it goes, world metres. */
      readonly position: Vec3;
    }
  | {
      /** Overwrite props of `entity` once (see `CheatDrills.setProp`). */
      readonly op: 'setProp';
      /** The entity of an owned tile whose props change. */
      readonly entity: EntityId;
      /** Prop names and the values written over them. */
      readonly props: Readonly<Record<string, PropValue>>;
    }
  | {
      /** Keep `entity` at `position` every tick (see `CheatDrills.hold`). */
      readonly op: 'hold';
      /** The entity of an owned tile to pin. */
      readonly entity: EntityId;
      /** Where it is held, world metres. */
      readonly position: Vec3;
    }
  | {
      /** Shift `entity` along x every tick (see `CheatDrills.nudge`). */
      readonly op: 'nudge';
      /** The entity of an owned tile to shift. */
      readonly entity: EntityId;
      /** Shift per tick, metres. */
      readonly metres: number;
    }
  | {
      /** Make `entity` move at a set horizontal speed (see `CheatDrills.speed`). */
      readonly op: 'speed';
      /** The entity of an owned tile to speed up. */
      readonly entity: EntityId;
      /** The forced horizontal speed, m/s. */
      readonly metresPerSecond: number;
    }
  | {
      /** Stop the running cheat. */
      readonly op: 'stop';
    };

/** What a page sends its worker. */
export type PageToWorker =
  | {
      /** Start a client session with `options`. */
      readonly t: 'open';
      /** The page's id for the client session this message is about. */
      readonly session: number;
      /** How to connect and run the client. */
      readonly options: SessionOptions;
    }
  | {
      /** Close the session's client and stop its timers. */
      readonly t: 'close';
      /** The page's id for the client session this message is about. */
      readonly session: number;
    }
  | {
      /** Send an input for the player's avatar. */
      readonly t: 'input';
      /** The page's id for the client session this message is about. */
      readonly session: number;
      /** The input (e.g. `{ moveX: 1 }`). */
      readonly data: InputData;
    }
  | {
      /** Send a world-document message to a peer. */
      readonly t: 'doc';
      /** The page's id for the client session this message is about. */
      readonly session: number;
      /** The receiving peer (the relay is `RELAY_PEER`). */
      readonly to: PeerId;
      /** The document message (sync, acknowledgement or presence). */
      readonly message: DocMessage;
    }
  | {
      /** Diagnostics: send a protocol message as it is (see `PlayerClient.sendRaw`). */
      readonly t: 'raw';
      /** The page's id for the client session this message is about. */
      readonly session: number;
      /** The receiving peer. */
      readonly peer: PeerId;
      /** The message, unchecked. */
      readonly message: Message;
      /** True to send it on the reliable channel. */
      readonly reliable: boolean;
    }
  | {
      /** Run a cheat drill on an owned tile. */
      readonly t: 'cheat';
      /** The page's id for the client session this message is about. */
      readonly session: number;
      /** Which drill, with its arguments. */
      readonly call: CheatCall;
    }
  | {
      /** Start forwarding a client event that is not in `ALWAYS_FORWARDED`. */
      readonly t: 'listen';
      /** The page's id for the client session this message is about. */
      readonly session: number;
      /** The event to forward from now on. */
      readonly event: keyof WorldClientEvents;
    }
  // WebRTC runs on the page: what happens to a connection the worker asked for.
  | {
      /** The page's peer connection produced a signal to pass to the remote peer. */
      readonly t: 'rtc-signal-out';
      /** Id of the WebRTC connection, chosen by the worker in `rtc-connect`. */
      readonly conn: number;
      /** The signal, JSON (SDP offer/answer or ICE candidate). */
      readonly data: string;
    }
  | {
      /** The connection's data channel opened. */
      readonly t: 'rtc-open';
      /** Id of the WebRTC connection, chosen by the worker in `rtc-connect`. */
      readonly conn: number;
    }
  | {
      /** Bytes arrived on the connection. */
      readonly t: 'rtc-data';
      /** Id of the WebRTC connection, chosen by the worker in `rtc-connect`. */
      readonly conn: number;
      /** The received payload (transferred). */
      readonly bytes: Uint8Array;
    }
  | {
      /** The connection closed or failed. */
      readonly t: 'rtc-closed';
      /** Id of the WebRTC connection, chosen by the worker in `rtc-connect`. */
      readonly conn: number;
    };

/** The look of an entity (sent once per entity, not every frame). */
export type EntityLookEntry = readonly [id: EntityId, kind: string, body: BodyDesc];

/** What the page mirrors besides poses, refreshed a few times a second. */
export interface SessionStatus {
  /** The client's counters (`PlayerClient.stats()`). */
  readonly stats: ClientStats;
  /** Owner and lease epoch of every tile the client knows of (`PlayerClient.tiles()`). */
  readonly tiles: {
    /** The tile. */
    tile: TileId;
    /** The peer leasing it (the relay is `RELAY_PEER`). */
    owner: PeerId;
    /** The lease epoch, raised on every change of owner. */
    epoch: number;
  }[];
  /** Peers the client has an open direct path to. */
  readonly directPeers: PeerId[];
  /** What this member may do, from its join token (undefined before joining). */
  readonly role: MemberRole | undefined;
}

/** What a worker sends its page. */
export type WorkerToPage =
  | {
      /** A client event, forwarded to the page's listeners. */
      readonly t: 'event';
      /** The page's id for the client session this message is about. */
      readonly session: number;
      /** The event's name. */
      readonly name: keyof WorldClientEvents;
      /** The event's payload (`WorldClientEvents[name]`). */
      readonly e: unknown;
    }
  | {
      /** A pose frame, published every `frameEveryMs`. */
      readonly t: 'frame';
      /** The page's id for the client session this message is about. */
      readonly session: number;
      /** Poses of every visible entity (layout: `POSE_HEADER`, then `POSE_STRIDE` numbers per entity; transferred). */
      readonly frame: Float64Array;
      /** Looks of entities the page has not been sent before. */
      readonly looks: EntityLookEntry[];
      /** Stats and tiles, when due (a few times a second), else undefined. */
      readonly status: SessionStatus | undefined;
    }
  // WebRTC on behalf of the worker.
  | {
      /** Open a WebRTC connection to a peer. */
      readonly t: 'rtc-connect';
      /** Id of the WebRTC connection, chosen by the worker. */
      readonly conn: number;
      /** This client's peer id. */
      readonly self: PeerId;
      /** The peer to connect to. */
      readonly remote: PeerId;
      /** True when this side makes the offer. */
      readonly initiator: boolean;
    }
  | {
      /** A signal from the remote peer (relayed by the relay) for the connection. */
      readonly t: 'rtc-signal-in';
      /** Id of the WebRTC connection, chosen by the worker. */
      readonly conn: number;
      /** The signal, JSON (SDP offer/answer or ICE candidate). */
      readonly data: string;
    }
  | {
      /** Send bytes on the connection. */
      readonly t: 'rtc-send';
      /** Id of the WebRTC connection, chosen by the worker. */
      readonly conn: number;
      /** The payload (transferred). */
      readonly bytes: Uint8Array;
      /** True for the reliable, ordered channel; false for the unreliable one. */
      readonly reliable: boolean;
    }
  | {
      /** Close the connection. */
      readonly t: 'rtc-destroy';
      /** Id of the WebRTC connection, chosen by the worker. */
      readonly conn: number;
    };

/** Events a page always hears; the frequent ones (`deltaSent`, `deltaApplied`) only once listened to. */
export const ALWAYS_FORWARDED: readonly (keyof WorldClientEvents)[] = ['joined', 'roster', 'lease', 'error', 'closed', 'incident', 'doc', 'peerOpen'];
