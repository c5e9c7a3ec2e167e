import type { Worker } from 'node:worker_threads';
import type { StoredDocument } from '../doc/world-doc-host.js';
import type { RelayLog } from '../relay-core.js';
import { startWorker, SyncCaller, workerExit, workerReady } from '../sync-call/sync-call.js';
import type { StoreAnswer, StoreCall, StoreRequest, StoreWorkerData, StoreWorkerEvent } from './store-channel.js';
import type { CompactionPolicy, RefusedCheckpoint, TileCheckpoint, WorldStorage } from './world-storage.js';

/** How a relay reaches the Redis its world is kept in. */
export interface RedisWorldStoreOptions {
  /** `redis://host:port` (the cluster's). */
  readonly url: string;
  /** A world's keys start with `<root><world>:` (default `tessera:`, the cluster's prefix). */
  readonly root?: string;
  /** Longest wait for an append's or a save's answer, ms (default 1000): past it the call throws. */
  readonly timeoutMs?: number;
  /** Longest wait for a load, a world's creation or a compaction, ms (default 10,000). */
  readonly slowTimeoutMs?: number;
  /** Longest wait for the first connection, ms (default 3000): past it `open` fails. */
  readonly connectTimeoutMs?: number;
  /** When an append starts a compaction (default 500 updates or 4 MiB). */
  readonly compaction?: CompactionPolicy;
  /** Hears the connection going down and coming back, and background compactions. */
  readonly log?: RelayLog;
  /**
   * This cluster node's id: its saves are fenced by lease (a tile's checkpoint is written only
   * while this node holds the tile at the checkpoint's epoch in the same Redis). Omit for
   * unfenced saves (tools that only read, tests).
   */
  readonly node?: string;
}

/**
 * The world's storage in the cluster's Redis (`RedisWorldData`, run on a worker thread that
 * holds the connection), synchronous to the relay's thread as `WorldStore` is: each call waits
 * (Atomics.wait) for Redis's answer, so `appendUpdate` returns only once Redis has the update
 * (durable with `appendonly yes` and `appendfsync always`). Any node on the same Redis reads
 * what every other node stored. A call Redis does not answer in time throws (`timeoutMs`), as
 * does any call while Redis is unreachable; after a timeout, calls throw at once until Redis has
 * answered the late one (the relay's thread is never held twice by a Redis that hangs). A call
 * that timed out may still have been done by Redis (an append then stored and not acknowledged:
 * the relay appends it again, and a document update stored twice changes nothing). Call `close()`.
 */
export class RedisWorldStore implements WorldStorage {
  private readonly timeoutMs: number;
  private readonly slowTimeoutMs: number;
  /** A call that timed out and whose late end has not been heard yet. */
  private stuck: { seq: number; what: string } | undefined;
  /** Why the worker ended, if it did before `close()`. */
  private ended: string | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly caller: SyncCaller,
    /** The Redis this store is in. */
    readonly url: string,
    opts: RedisWorldStoreOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.slowTimeoutMs = opts.slowTimeoutMs ?? 10_000;
    const log = opts.log;
    // A worker that failed ends every later call at once, with its reason (not a wait on nobody).
    worker.on('error', (e: Error) => {
      this.ended = `its worker failed: ${e.message}`;
      log?.({ level: 'error', msg: 'world store worker failed', url, reason: e.message });
    });
    worker.on('exit', (code) => (this.ended ??= `its worker exited (code ${code})`));
    worker.on('message', (e: StoreWorkerEvent) => {
      if (e.type === 'late') {
        if (this.stuck && e.seq >= this.stuck.seq) this.stuck = undefined;
      } else if (e.type === 'ready') log?.({ level: 'info', msg: 'world store redis reachable', url });
      else if (e.type === 'down') log?.({ level: 'error', msg: 'world store redis unreachable: saves and document edits fail', url, reason: e.reason });
      else if (e.type === 'compacted') log?.({ level: 'info', msg: 'document log compacted', world: e.world, before: e.before, after: e.after });
      else if (e.type === 'compaction-failed') log?.({ level: 'warn', msg: 'document log compaction failed', world: e.world, reason: e.reason });
    });
  }

  /** Connects to Redis (on a worker thread); rejects with `Redis at URL is unreachable` when it cannot. */
  static async open(opts: RedisWorldStoreOptions): Promise<RedisWorldStore> {
    if (!/^rediss?:\/\/[^/]/.test(opts.url)) throw new Error(`the world store's URL must start with redis:// or rediss://, got ${JSON.stringify(opts.url)}`);
    const caller = SyncCaller.create();
    const timeoutMs = opts.timeoutMs ?? 1000;
    const data: StoreWorkerData = {
      url: opts.url,
      root: opts.root ?? 'tessera:',
      connectTimeoutMs: opts.connectTimeoutMs ?? 3000,
      // Past the slowest wait, so every call the relay gave up on still ends in the worker.
      commandTimeoutMs: Math.max(timeoutMs, opts.slowTimeoutMs ?? 10_000) * 2,
      compaction: opts.compaction ?? { maxUpdates: 500, maxBytes: 4 * 1024 * 1024 },
      channel: caller.end,
      ...(opts.node !== undefined ? { node: opts.node } : {}),
    };
    const worker = startWorker(import.meta.url, 'store-worker', data, [caller.end.port]);
    await workerReady(worker, opts.url).catch((e: unknown) => {
      caller.close();
      throw e;
    });
    return new RedisWorldStore(worker, caller, opts.url, opts);
  }

  /**
   * Writes every tile's checkpoint and `applied` in one step (all or none); fenced (`node`
   * given), only the tiles this node holds at their checkpoint's epoch, answering the others.
   */
  save(world: string, tiles: readonly TileCheckpoint[], savedAtMs: number, applied?: Readonly<Record<string, string>>): readonly RefusedCheckpoint[] {
    return this.call({ op: 'save', world, tiles, savedAtMs, ...(applied ? { applied } : {}) }, this.timeoutMs) as RefusedCheckpoint[];
  }

  /** Creates the world's document on `template` unless another node (or run) did first. */
  createWorld(world: string, template?: Uint8Array): { created: boolean; template: string | undefined } {
    return this.call({ op: 'create-world', world, ...(template ? { template } : {}) }, this.slowTimeoutMs) as { created: boolean; template: string | undefined };
  }

  /** The world's document, read at one instant: template, every stored update, `applied`. */
  loadDocument(world: string): StoredDocument | undefined {
    return this.call({ op: 'load-document', world }, this.slowTimeoutMs) as StoredDocument | undefined;
  }

  /** Appends an update; returns once Redis has it; throws (the update is then not acknowledged) when it could not be stored in time. */
  appendUpdate(world: string, update: Uint8Array): void {
    this.call({ op: 'append', world, update }, this.timeoutMs);
  }

  /** Folds the log into one update, keeping every update another node appends meanwhile. */
  compact(world: string): { before: number; after: number } {
    return this.call({ op: 'compact', world }, this.slowTimeoutMs) as { before: number; after: number };
  }

  /** Number of stored updates of a world and their bytes (what Redis holds now). */
  logSize(world: string): { count: number; bytes: number } {
    return this.call({ op: 'log-size', world }, this.slowTimeoutMs) as { count: number; bytes: number };
  }

  /** Every stored tile of a world, whichever node saved it. */
  load(world: string): TileCheckpoint[] {
    return this.call({ op: 'load', world }, this.slowTimeoutMs) as TileCheckpoint[];
  }

  /** Closes the connection and ends the worker. */
  async close(): Promise<void> {
    if (this.ended) return this.caller.close();
    this.ended = 'the store is closed';
    this.worker.postMessage({ op: 'close', seq: 0 } satisfies StoreRequest);
    await workerExit(this.worker);
    this.caller.close();
  }

  private call(req: StoreCall, timeoutMs: number): unknown {
    const what = `${req.op} of world ${JSON.stringify(req.world)}`;
    if (this.ended) throw new Error(`Redis world store at ${this.url}: ${what} not tried: ${this.ended}`);
    if (this.stuck) throw new Error(`Redis world store at ${this.url}: ${what} not tried: Redis has not yet answered an earlier call (${this.stuck.what}) it took over ${this.timeoutMs} ms for`);
    const reply = this.caller.call<StoreAnswer>((seq) => this.worker.postMessage({ ...req, seq }), timeoutMs);
    if (!reply.answered) {
      this.stuck = { seq: this.caller.lastSeq, what };
      throw new Error(`Redis world store at ${this.url}: ${what} failed: no answer within ${timeoutMs} ms`);
    }
    if (!reply.answer.ok) throw new Error(`Redis world store at ${this.url}: ${what} failed: ${reply.answer.error}`);
    return reply.answer.value;
  }
}
