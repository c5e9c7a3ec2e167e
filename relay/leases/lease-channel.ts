// The shared-memory channel between the relay's thread and the lease worker: one request at a
// time, its answer written into a SharedArrayBuffer the relay's thread waits on (Atomics.wait).
import type { PeerId } from '../../src/index.js';
import type { LeaseDecision, LeaseRenewal } from './lease-table.js';

/** Header words: [answered seq, answer length in bytes]. */
export const HEADER = 2;
/** Room for one answer's JSON, bytes: one decision is under 200, a `renew-all` of `RENEW_ALL_MAX_TILES` (1,000) tiles under 200 KB. */
export const ANSWER_BYTES = 256 * 1024;

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
  /** HEADER Int32 words, then ANSWER_BYTES bytes. */
  readonly shared: SharedArrayBuffer;
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
  | { readonly type: 'ready' }
  | { readonly type: 'failed' | 'down'; readonly reason: string }
  | { readonly type: 'late'; readonly op: Exclude<LeaseRequest['op'], 'renew-all' | 'close'>; readonly tile: string; readonly decision: LeaseDecision };

/**
 * Writes the answer to request `seq` and wakes the waiting thread, unless that thread has moved
 * on to a later request (then returns false: the answer is late).
 */
export function writeAnswer(header: Int32Array, body: Uint8Array, seq: number, d: LeaseDecision | readonly LeaseDecision[]): boolean {
  if (Atomics.load(header, 0) !== -seq) return false; // -seq: the relay's thread is waiting for seq
  const bytes = new TextEncoder().encode(JSON.stringify(d));
  if (bytes.length > body.length) throw new Error(`lease answer of ${bytes.length} bytes does not fit`);
  body.set(bytes);
  Atomics.store(header, 1, bytes.length);
  // Only if the waiter is still waiting for this seq (it may have timed out meanwhile).
  const won = Atomics.compareExchange(header, 0, -seq, seq) === -seq;
  Atomics.notify(header, 0);
  return won;
}
