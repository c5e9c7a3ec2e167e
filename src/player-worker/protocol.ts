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
  readonly relay: string;
  readonly world: string;
  readonly name?: string;
  readonly token?: string;
  readonly transport: TransportMode;
  readonly replication?: ReplicationConfig;
  readonly replicaMode?: ReplicaMode;
  readonly speculation?: Partial<SpeculationConfig>;
  readonly conditions?: Partial<NetworkConditions> & { seed?: number };
  readonly timeoutMs: number;
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
  | { readonly op: 'teleport'; readonly entity: EntityId; readonly position: Vec3 }
  | { readonly op: 'setProp'; readonly entity: EntityId; readonly props: Readonly<Record<string, PropValue>> }
  | { readonly op: 'hold'; readonly entity: EntityId; readonly position: Vec3 }
  | { readonly op: 'nudge'; readonly entity: EntityId; readonly metres: number }
  | { readonly op: 'speed'; readonly entity: EntityId; readonly metresPerSecond: number }
  | { readonly op: 'stop' };

/** What a page sends its worker. */
export type PageToWorker =
  | { readonly t: 'open'; readonly session: number; readonly options: SessionOptions }
  | { readonly t: 'close'; readonly session: number }
  | { readonly t: 'input'; readonly session: number; readonly data: InputData }
  | { readonly t: 'doc'; readonly session: number; readonly to: PeerId; readonly message: DocMessage }
  | { readonly t: 'raw'; readonly session: number; readonly peer: PeerId; readonly message: Message; readonly reliable: boolean }
  | { readonly t: 'cheat'; readonly session: number; readonly call: CheatCall }
  | { readonly t: 'listen'; readonly session: number; readonly event: keyof WorldClientEvents }
  // WebRTC runs on the page: what happens to a connection the worker asked for.
  | { readonly t: 'rtc-signal-out'; readonly conn: number; readonly data: string }
  | { readonly t: 'rtc-open'; readonly conn: number }
  | { readonly t: 'rtc-data'; readonly conn: number; readonly bytes: Uint8Array }
  | { readonly t: 'rtc-closed'; readonly conn: number };

/** The look of an entity (sent once per entity, not every frame). */
export type EntityLookEntry = readonly [id: EntityId, kind: string, body: BodyDesc];

/** What the page mirrors besides poses, refreshed a few times a second. */
export interface SessionStatus {
  readonly stats: ClientStats;
  readonly tiles: { tile: TileId; owner: PeerId; epoch: number }[];
  readonly directPeers: PeerId[];
  readonly role: MemberRole | undefined;
}

/** What a worker sends its page. */
export type WorkerToPage =
  | { readonly t: 'event'; readonly session: number; readonly name: keyof WorldClientEvents; readonly e: unknown }
  | { readonly t: 'frame'; readonly session: number; readonly frame: Float64Array; readonly looks: EntityLookEntry[]; readonly status: SessionStatus | undefined }
  // WebRTC on behalf of the worker.
  | { readonly t: 'rtc-connect'; readonly conn: number; readonly self: PeerId; readonly remote: PeerId; readonly initiator: boolean }
  | { readonly t: 'rtc-signal-in'; readonly conn: number; readonly data: string }
  | { readonly t: 'rtc-send'; readonly conn: number; readonly bytes: Uint8Array; readonly reliable: boolean }
  | { readonly t: 'rtc-destroy'; readonly conn: number };

/** Events a page always hears; the frequent ones (`deltaSent`, `deltaApplied`) only once listened to. */
export const ALWAYS_FORWARDED: readonly (keyof WorldClientEvents)[] = ['joined', 'roster', 'lease', 'error', 'closed', 'incident', 'doc', 'peerOpen'];
