// What goes between the relay's thread and the lease worker: one request at a time, answered
// through a `SyncCaller` (relay/sync-call/sync-call.ts) the relay's thread waits on.
import type { PeerId } from '../../src/index.js';
import type { SyncCallEnd, WorkerStatusEvent } from '../sync-call/sync-call.js';
import type { LeaseDecision, LeaseRenewal } from './lease-table.js';

/** What the worker is started with. */
export interface LeaseWorkerData {
  /** `redis://host:port`. */
  readonly url: string;
  /** This node's id. */
  readonly node: string;
  /** Key prefix. */
  readonly prefix: string;
  /** How long the first connection may take, ms. */
  readonly connectTimeoutMs: number;
  /** Where answers go. */
  readonly channel: SyncCallEnd;
}

/** One lease change asked of the worker, numbered by `seq`. */
export type LeaseRequest =
  | { readonly op: 'grant'; readonly seq: number; readonly tile: string; readonly owner: PeerId }
  | { readonly op: 'transfer'; readonly seq: number; readonly tile: string; readonly fromEpoch: number; readonly owner: PeerId; readonly epoch: number }
  | { readonly op: 'renew' | 'release'; readonly seq: number; readonly tile: string; readonly owner: PeerId; readonly epoch: number }
  | { readonly op: 'renew-all'; readonly seq: number; readonly tile: ''; readonly renewals: readonly LeaseRenewal[] }
  | { readonly op: 'close'; readonly seq: number; readonly tile: '' };

/** What the worker tells the relay's thread outside answers. */
export type LeaseWorkerEvent =
  | WorkerStatusEvent
  | { readonly type: 'late'; readonly op: Exclude<LeaseRequest['op'], 'renew-all' | 'close'>; readonly tile: string; readonly decision: LeaseDecision };
