// Tessera's browser entry. Everything public is listed here by name.

export { ErrorCode, TesseraError, assert, unexpectedCase } from './core/errors.js';
export type { Vec3, Quat } from './core/vec.js';
export { vec3, distance, ZERO, IDENTITY, turnQuat, rotateVec, mulQuat } from './core/vec.js';
export type { TileId } from './core/tile.js';
export {
  tileId,
  tileOf,
  tileKey,
  parseTileKey,
  sameTile,
  compareTiles,
  tileBounds,
  tileCenter,
  tileContains,
  neighbours,
  distanceToTile,
  tilesWithinRadius,
  tilesOverlappingBox,
  MAX_TILE_COORD,
} from './core/tile.js';
export type { EntityId, ShapeDesc, BodyType, BodyDesc, DynamicState, PropValue, Props, EntityDesc } from './core/entity.js';
export { entityDesc, boundingRadius, FIRST_SPAWNED_ID } from './core/entity.js';
export { spawnedEntityId } from './core/ids.js';
export { SeededRng, mixSeed } from './core/rng.js';
export type { TickClock } from './core/clock.js';
export { ManualTickClock, WallTickClock, tickAtTime } from './core/clock.js';
export { StateHasher } from './core/hash.js';
export { entitiesDigest } from './core/entity-digest.js';
export { ByteReader, ByteWriter } from './core/bytes.js';
export type { WorldConfig } from './core/world-config.js';
export { resolveWorldConfig } from './core/world-config.js';
export type {
  PropType,
  PropSpec,
  InputData,
  EntityInput,
  EntityMessage,
  SpawnSpec,
  TileContext,
  KindDef,
  RegisteredKind,
} from './core/behaviour.js';
export { BehaviourRegistry, defineKind, resolveProps } from './core/behaviour.js';

export { initPhysics } from './sim/physics.js';
export type { GhostState, GhostExport } from './sim/ghost.js';
export type { Emigrant, CriticalWrite, RemovalReason, StepResult, TileSimulationOptions } from './sim/tile-simulation.js';
export type { IslandNode } from './sim/islands.js';
export { islandTargets, ISLAND_LOOKAHEAD_S, ISLAND_MIN_CLOSING } from './sim/islands.js';
export { TileSimulation } from './sim/tile-simulation.js';
export type { SceneDesc, WorldStepReport } from './sim/tile-world.js';
export { TileWorld } from './sim/tile-world.js';
export type { TileSnapshotData, TileContinuity } from './sim/snapshot-codec.js';
export { encodeTileSnapshot, decodeTileSnapshot, MAX_TILE_SNAPSHOT_BYTES, readEntity, writeEntity } from './sim/snapshot-codec.js';
export type { TickRecord, InboundBatch } from './sim/tick-record.js';
export { EMPTY_RECORD, writeTickRecords, readTickRecords, inputDataBytes } from './sim/tick-record.js';
export type { CommitWords, WindowVerdict } from './sim/replay.js';
export { commitOf, replayRecord, verifyWindow, sameCommit } from './sim/replay.js';
export { entityEvidenceKey, messageEvidenceKey } from './sim/evidence-keys.js';

export { encodeInputs, decodeInputs, MAX_INPUT_BATCH_BYTES, MAX_INPUTS_PER_BATCH } from './protocol/input-codec.js';

export {
  standardKinds,
  groundBody,
  walk,
  AVATAR_BODY,
  AVATAR_RESPAWN_DROP_M,
  Ground,
  Box,
  Ball,
  Avatar,
  Wanderer,
  Switch,
  Cannon,
  Cannonball,
  Chest,
  Train,
  Ramp,
  walkAxis,
} from './kinds/standard-kinds.js';
export { ride, platformOf, alight, carryVelocity, RIDER_PROPS } from './kinds/riding.js';
export type { BenchLayout } from './scenes/scenes.js';
export type { Scenario, ScenarioName } from './scenes/scenarios.js';
export type { BorderSceneName } from './scenes/border-scenes.js';
export { borderScene, borderSplitEdge, BORDER_FIRST_BODY } from './scenes/border-scenes.js';
export { scenario } from './scenes/scenarios.js';
export { scriptedPathScene, SCRIPTED_PATH_SCENE } from './scenes/scripted-path-scene.js';
export { cannonScene, borderRollScene, busyScene, busyDemoScene, BUSY_DEMO_FIRST_WANDERER, benchScene, demoScene, auditScene, trainScene, trainWindow, groundTiles, walls, CANNON_SCENE, ROLLING_BALL, DEMO_SCENE, AUDIT_SCENE, TRAIN_SCENE, type TrainSceneOptions } from './scenes/scenes.js';

export type { FrameInfo } from './worker/frame.js';
export { frameInfo, frameEntity, FRAME_HEADER, FRAME_STRIDE } from './worker/frame.js';
export type { LoadedWorld, EntityLook } from './worker/tile-world-host.js';
export { TileWorldHost, MAX_TICKS_PER_CALL } from './worker/tile-world-host.js';
export type { TileWorkerApi } from './worker/tile-worker-api.js';
export { connectTileWorker } from './worker/connect-tile-worker.js';

export type { Link } from './net/link.js';
export type { NetworkConditions, Scheduler } from './net/memory-network.js';
export { MemoryNetwork, VirtualScheduler } from './net/memory-network.js';
export { ClockSync } from './net/clock-sync.js';
export type { ReplicationConfig, AuthorityOutput } from './net/tile-authority.js';
export { DEFAULT_REPLICATION } from './net/tile-authority.js';
export { TileAuthority, migrantAfterTransit, MAX_TRANSIT_TICKS, DEFAULT_REWIND_TICKS, COMMIT_BATCH_TICKS, type QueuedInput, type EarlyMigrant } from './net/tile-authority.js';
export type { PlacedEntity, ReplicaEntity, ReplicaUpdate } from './net/replica-store.js';
export { ReplicaStore } from './net/replica-store.js';
export type { PeerId, TileLease, DirectoryEntry, EntityPose, PropsUpdate, RosterEntry, Message, AuditIncident, IncidentReason } from './protocol/messages.js';
export { INCIDENT_REASONS, MEMBER_ROLES } from './protocol/messages.js';
export type { MemberRole } from './protocol/messages.js';
export type { MessageRoute } from './protocol/routes.js';
export { RosterView, type RosterMessage } from './protocol/roster.js';
export { MESSAGE_ROUTES, allowedRoute } from './protocol/routes.js';
export {
  AUDIT_WINDOW_TICKS,
  AUDIT_RETAIN_TICKS,
  PROTOCOL_VERSION,
  MAX_MESSAGE_BYTES,
  CHUNK_BYTES,
  MAX_CHUNKS,
  MAX_ROSTER_ENTRIES,
  RELAY_PEER,
  MsgType,
  ProtocolError,
  POSE_MARGIN,
  leaseSigningBytes,
  encodeMessage,
  decodeMessage,
  encodeForWire,
  ChunkAssembler,
  ChunkBudget,
  RELAY_CHUNK_CAPS,
  RELAY_CHUNK_CAP_DEFAULT,
  RELAY_CHUNK_CAP_MAX,
  relayChunkCap,
} from './protocol/messages.js';
export type { ChunkLimits } from './protocol/messages.js';
export type { PeerConnection, PeerConnector } from './net/peer-connector.js';
export { MemoryPeerConnector } from './net/memory-peer-connector.js';
export type { SpeculationConfig, SpeculativeEntity } from './replica/speculative-replicas.js';
export { SpeculativeReplicas, DEFAULT_SPECULATION } from './replica/speculative-replicas.js';
export type { DocMessage, ReplicaMode, TransportMode, VisibleEntity, PeerPathStats, ClientStats, WorldClientEvents, PlayerClient, CheatDrills } from './client/player-client.js';
export type { WorldClientOptions, VisibleState } from './client/world-client.js';
export type { RawVisible } from './client/view-smoothing.js';
export { ViewSmoother } from './client/view-smoothing.js';
export { WorldClient } from './client/world-client.js';
export type { RunningCheat } from './client/owner-cheats.js';
export { OwnerCheats } from './client/owner-cheats.js';
export type { WebSocketLike, WebSocketConstructor, WebSocketLinkOptions } from './net/websocket-link.js';
export { openWebSocketLink } from './net/websocket-link.js';
export type { WebRtcOptions } from './net/webrtc-peer-connector.js';
export { WebRtcPeerConnector } from './net/webrtc-peer-connector.js';
export type { JoinOptions, WorldHandle, ConnectionStatus, StatusEvent } from './client/join-world.js';
export { joinWorld } from './client/join-world.js';
export { loadKindsModule } from './client/kinds-module.js';
export type { SessionOptions, PageToWorker, WorkerToPage, CheatCall, EntityLookEntry, SessionStatus } from './player-worker/protocol.js';
export { WorkerClient } from './player-worker/worker-client.js';
export { PlayerWorkerHost } from './player-worker/player-worker-host.js';
export { RtcBridge } from './player-worker/rtc-bridge.js';
export { BridgedPeerConnector } from './player-worker/bridged-peer-connector.js';
export { encodePoseFrame, POSE_HEADER, POSE_STRIDE } from './player-worker/pose-frame.js';
export { LeaseVerifier, nobleEd25519Check, verifyLease, type SignatureCheck } from './net/lease-verifier.js';
export type { AuthoredKind, ObjectSpec, AuthoredObject } from './authoring/world-layout.js';
export { WorldLayout, AUTHORED_KINDS, KIND_COLOURS, TEMPLATE_ENTITY_BASE, CREATED_ENTITY_BASE, ENTITY_IDS_ROOT, DELETED_ROOT, TILE_ROOT_PREFIX, LAYOUT_EDIT_ORIGIN, UNDO_STEPS_KEPT, checkObjectSpec, objectSpecProblem } from './authoring/world-layout.js';
export { authoredEntity, RAMP_PITCH } from './authoring/authored-entity.js';
export type { ChatMessage, Presence } from './authoring/social-state.js';
export { SocialState, CHAT_KEPT, MAX_CHAT_CHARS } from './authoring/social-state.js';
export { WorldDocument } from './authoring/world-document.js';
export type { TemplateJson } from './authoring/world-template.js';
export { templateFromJson, readTemplateFile, layoutAsTemplate } from './authoring/world-template.js';
export { DocSync, REMOTE_ORIGIN } from './net/doc-sync.js';
export { conditionedLink, realTimeScheduler } from './net/conditioned-link.js';
