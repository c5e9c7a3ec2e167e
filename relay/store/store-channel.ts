// What goes between the relay's thread and the store worker (`RedisWorldStore`): one request at a
// time, answered through a `SyncCaller` (relay/sync-call/sync-call.ts) the relay's thread waits on.
import type { SyncCallEnd, WorkerStatusEvent } from '../sync-call/sync-call.js';
import type { CompactionPolicy, TileCheckpoint } from './world-storage.js';

/** What the store worker is started with. */
export interface StoreWorkerData {
  /** `redis://host:port`. */
  readonly url: string;
  /** A world's keys start with `<root><world>:` (the cluster's prefix). */
  readonly root: string;
  /** How long the first connection may take, ms. */
  readonly connectTimeoutMs: number;
  /** A command Redis has not answered in this time fails in the worker, ms. */
  readonly commandTimeoutMs: number;
  /** When an append starts a compaction. */
  readonly compaction: CompactionPolicy;
  /** This cluster node's id: saves are fenced by its leases (none: unfenced). */
  readonly node?: string;
  /** Where answers go. */
  readonly channel: SyncCallEnd;
}

/** One call the relay's thread makes of the store worker. */
export type StoreCall =
  | { readonly op: 'save'; readonly world: string; readonly tiles: readonly TileCheckpoint[]; readonly savedAtMs: number; readonly applied?: Readonly<Record<string, string>> }
  | { readonly op: 'create-world'; readonly world: string; readonly template?: Uint8Array }
  | { readonly op: 'append'; readonly world: string; readonly update: Uint8Array }
  | { readonly op: 'load' | 'load-document' | 'compact' | 'log-size'; readonly world: string };

/** What goes to the worker: a call numbered by `seq`, or `close`. */
export type StoreRequest = (StoreCall & { readonly seq: number }) | { readonly op: 'close'; readonly seq: number };

/** The worker's answer to one call: its value, or why it failed. */
export type StoreAnswer = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

/** What the store worker tells the relay's thread outside answers. */
export type StoreWorkerEvent =
  | WorkerStatusEvent
  /** Call `seq` ended after the relay's thread had stopped waiting for it. */
  | { readonly type: 'late'; readonly seq: number }
  /** A compaction an append started ended. */
  | { readonly type: 'compacted'; readonly world: string; readonly before: number; readonly after: number }
  | { readonly type: 'compaction-failed'; readonly world: string; readonly reason: string };
