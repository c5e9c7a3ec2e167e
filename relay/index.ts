// Tessera's relay entry (Node only): the relay server, its logic, tokens and lease signing.

export type { RelayServerOptions, RelayServer } from './server.js';
export { startRelay, SCENES } from './server.js';
export type { RelayCoreOptions, LeaseSigner, RelayLog } from './relay-core.js';
export { RelayCore } from './relay-core.js';
export type { AuditDesk, AuditConfig, AuditCounters } from './audit/audit-desk.js';
export type { Auditor, AuditJob, AuditOutcome } from './audit/auditor.js';
export type { WorldDocHost, StoredDocument } from './doc/world-doc-host.js';
export type { TileCheckpoint } from './store/world-store.js';
export { RelayMetrics } from './metrics.js';
export { RateLimiter, ByteBudget, FloodMeter } from './rate-limiter.js';
export type { ConnectionGuardOptions, CloseReason } from './connection-guard.js';
export { DEFAULT_GUARD_OPTIONS, configureConnectionGuard } from './connection-guard.js';
export { ed25519Signer } from './lease-signer.js';
export type { TokenClaims } from './tokens.js';
export { makeToken, checkToken } from './tokens.js';
export type { WsLinkOptions } from './ws-link.js';
export { wsLink } from './ws-link.js';
export { PROTOCOL_VERSION as RELAY_PROTOCOL_VERSION } from '../src/index.js';
