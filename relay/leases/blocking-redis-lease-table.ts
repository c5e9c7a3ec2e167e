import type { Worker } from 'node:worker_threads';
import type { PeerId } from '../../src/index.js';
import { LeaseRefusal, type LeaseDecided, type LeaseDecision, type LeaseEntry, type LeaseRenewal, type LeaseTable, type RenewalsDecided } from './lease-table.js';
import { RENEW_ALL_MAX_TILES } from './redis-lease-table.js';
import type { LeaseRequest, LeaseWorkerData, LeaseWorkerEvent } from './lease-channel.js';
import { startWorker, SyncCaller, workerExit, workerReady } from '../sync-call/sync-call.js';

/** How a node reaches the cluster's lease table. */
export interface BlockingRedisLeaseTableOptions {
  /** `redis://host:port`. */
  readonly url: string;
  /** This node's id, unique in the cluster. */
  readonly node: string;
  /** Key prefix (default `tessera:`). */
  readonly prefix?: string;
  /** Longest wait for one script's answer before the change is refused as `unreachable`, ms (default 250). */
  readonly answerTimeoutMs?: number;
  /** Longest wait for the first connection, ms (default 3000): past it `open` fails. */
  readonly connectTimeoutMs?: number;
  /** Hears the connection going down and coming back. */
  readonly onStatus?: (status: { readonly up: boolean; readonly reason?: string }) => void;
}

/**
 * The Redis lease table for the relay core, which decides leases synchronously: every change
 * is still decided by the Lua script in Redis (`RedisLeaseTable`, run on a worker thread that
 * holds the connection), and this thread waits for the answer (Atomics.wait, a fraction of a
 * millisecond on a local network) before `decided` runs, so the core acts on a grant only once
 * Redis said yes, at the point where it asked. While Redis is unreachable every change is
 * refused at once (`unreachable`) until the connection is back; one that takes longer than
 * `answerTimeoutMs` is refused too, and so is every change until its late answer comes (which
 * still updates this node's view, should Redis have granted it after all: the grant itself
 * takes no effect here). Call `close()`.
 */
export class BlockingRedisLeaseTable implements LeaseTable {
  /** This node's id. */
  readonly node: string;
  private readonly worker: Worker;
  private readonly caller: SyncCaller;
  private readonly timeoutMs: number;
  private readonly seen = new Map<string, LeaseEntry>();
  private up = true;
  private readonly onStatus: BlockingRedisLeaseTableOptions['onStatus'];

  private constructor(worker: Worker, caller: SyncCaller, opts: BlockingRedisLeaseTableOptions) {
    this.node = opts.node;
    this.worker = worker;
    this.caller = caller;
    this.timeoutMs = opts.answerTimeoutMs ?? 250;
    this.onStatus = opts.onStatus;
    worker.on('message', (e: LeaseWorkerEvent) => this.onEvent(e));
  }

  /** Connects to Redis (on a worker thread); rejects with a clear error when it cannot be reached. */
  static async open(opts: BlockingRedisLeaseTableOptions): Promise<BlockingRedisLeaseTable> {
    const caller = SyncCaller.create();
    const data: LeaseWorkerData = { url: opts.url, node: opts.node, prefix: opts.prefix ?? 'tessera:', connectTimeoutMs: opts.connectTimeoutMs ?? 3000, channel: caller.end };
    const worker = startWorker(import.meta.url, 'lease-worker', data, [caller.end.port]);
    await workerReady(worker, opts.url).catch((e: unknown) => {
      caller.close();
      throw e;
    });
    return new BlockingRedisLeaseTable(worker, caller, opts);
  }

  /** The tile's lease as this node last saw it. */
  get(tile: string): LeaseEntry | undefined {
    return this.seen.get(tile);
  }

  /** Asks Redis to grant a tile nobody holds; decided before this returns. */
  grant(tile: string, owner: PeerId, decided: LeaseDecided): void {
    decided(this.ask({ op: 'grant', seq: 0, tile, owner }));
  }

  /** Asks Redis to move the tile from `fromEpoch` to `owner` at `epoch`; decided before this returns. */
  transfer(tile: string, fromEpoch: number, owner: PeerId, epoch: number, decided: LeaseDecided): void {
    decided(this.ask({ op: 'transfer', seq: 0, tile, fromEpoch, owner, epoch }));
  }

  /** Asks Redis whether `owner` still holds the tile at `epoch`; decided before this returns. */
  renew(tile: string, owner: PeerId, epoch: number, decided: LeaseDecided): void {
    decided(this.ask({ op: 'renew', seq: 0, tile, owner, epoch }));
  }

  /** Asks Redis to confirm every holder: one script call (per 1,000 tiles), all decided before this returns. */
  renewAll(renewals: readonly LeaseRenewal[], decided: RenewalsDecided): void {
    for (let from = 0; from < renewals.length; from += RENEW_ALL_MAX_TILES) {
      const part = renewals.slice(from, from + RENEW_ALL_MAX_TILES);
      const answers = this.call({ op: 'renew-all', seq: 0, tile: '', renewals: part }) as LeaseDecision[] | undefined;
      part.forEach((r, i) => {
        const d = answers?.[i] ?? { granted: false, reason: LeaseRefusal.Unreachable, current: this.seen.get(r.tile) };
        if (answers) this.learn(r.tile, 'renew', d);
        decided(from + i, d);
      });
    }
  }

  /** Asks Redis to let `owner` give the tile up; decided before this returns. */
  release(tile: string, owner: PeerId, epoch: number, decided: LeaseDecided): void {
    decided(this.ask({ op: 'release', seq: 0, tile, owner, epoch }));
  }

  /**
   * Records a lease this node was granted in Redis outside this table (a takeover script run on
   * another connection, `Failover`): this node's view holds it from now on, unless it already
   * saw a newer epoch.
   */
  heard(tile: string, entry: LeaseEntry): void {
    const mine = this.seen.get(tile);
    if (!mine || mine.epoch <= entry.epoch) this.seen.set(tile, entry);
  }

  /** Closes the connection and ends the worker. */
  async close(): Promise<void> {
    this.worker.postMessage({ op: 'close', seq: 0, tile: '' } satisfies LeaseRequest);
    await workerExit(this.worker);
    this.caller.close();
  }

  private ask(req: Exclude<LeaseRequest, { op: 'renew-all' | 'close' }>): LeaseDecision {
    const tile = req.tile;
    const d = this.call(req) as LeaseDecision | undefined;
    if (!d) return { granted: false, reason: LeaseRefusal.Unreachable, current: this.seen.get(tile) };
    this.learn(tile, req.op, d);
    return d;
  }

  /** Sends one request to the worker and waits for its answer: undefined when Redis could not answer (unreachable, or too slow). */
  private call(req: LeaseRequest): unknown {
    if (!this.up) return undefined;
    const reply = this.caller.call<LeaseDecision | LeaseDecision[]>((seq) => this.worker.postMessage({ ...req, seq }), this.timeoutMs);
    if (!reply.answered) {
      this.setUp(false, `no answer from Redis within ${this.timeoutMs} ms`);
      return undefined;
    }
    const answer = reply.answer;
    const first = Array.isArray(answer) ? answer[0] : answer;
    if (first && !first.granted && first.reason === LeaseRefusal.Unreachable) {
      this.setUp(false, 'Redis refused the connection');
      return undefined;
    }
    return answer;
  }

  private learn(tile: string, op: LeaseRequest['op'], d: LeaseDecision): void {
    const entry = d.granted ? (op === 'release' ? undefined : d.entry) : d.current;
    if (entry) this.seen.set(tile, entry);
    else this.seen.delete(tile);
  }

  private onEvent(e: LeaseWorkerEvent): void {
    if (e.type === 'ready') this.setUp(true);
    else if (e.type === 'down' || e.type === 'failed') this.setUp(false, e.reason);
    else if (e.type === 'late' && (e.decision.granted || e.decision.reason !== LeaseRefusal.Unreachable)) {
      this.learnLate(e.tile, e.op, e.decision);
      // Redis answers, if slowly: ask it again (only a reconnection would say so otherwise, and the connection never dropped).
      this.setUp(true);
    }
  }

  /** A late answer: the current lease it carries is newer than what this node saw before it asked. */
  private learnLate(tile: string, op: LeaseRequest['op'], d: LeaseDecision): void {
    const mine = this.seen.get(tile);
    if (d.granted && op === 'release') {
      if (mine && mine.epoch <= d.entry.epoch) this.seen.delete(tile);
      return;
    }
    const entry = d.granted ? d.entry : d.current;
    if (entry && (!mine || entry.epoch >= mine.epoch)) this.seen.set(tile, entry);
  }

  private setUp(up: boolean, reason?: string): void {
    if (this.up === up) return;
    this.up = up;
    this.onStatus?.(reason === undefined ? { up } : { up, reason });
  }
}
