import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../module-worker.js';
import { tileKey, tileOf, type EntityDesc, type EntityId, type EntityInput, type EntityMessage, type Message, type PeerId, type TileId, type Vec3 } from '../../src/index.js';
import type { StateDigest, RelayTiles, RelayTilesCommand, RelayTilesCut, RelayTilesFactory, RelayTilesSetup } from './relay-tiles.js';

/** An event from the worker, in the order the worker's commands produced them. */
export type RelayTilesWorkerEvent =
  | { readonly e: 'send'; readonly to: PeerId; readonly message: Message; readonly reliable: boolean }
  | { readonly e: 'dropped'; readonly reason: string }
  | { readonly e: 'released'; readonly tile: TileId; readonly state: { tick: number; snapshot: Uint8Array } | undefined }
  | { readonly e: 'removeMissed'; readonly id: EntityId }
  | { readonly e: 'undelivered'; readonly message: EntityMessage }
  | { readonly e: 'cut'; readonly id: number; readonly cut: RelayTilesCut };

/** What the worker reports of its tiles after a batch of commands. */
export interface RelayTilesViewReport {
  /** The last batch of commands this report includes. */
  readonly batch: number;
  readonly tick: number;
  readonly stepped: number;
  /** Per entity: id, tile x, y, z, position x, y, z. */
  readonly entities: Float64Array;
  /** `TileState` digests changed since the last report: tile key, tick, digest. */
  readonly digests: readonly [string, number, string][];
}

/** One message from the worker. */
export type RelayTilesWorkerReply = { readonly batch: number; readonly events: readonly RelayTilesWorkerEvent[]; readonly view: RelayTilesViewReport | undefined } | { readonly failed: string } | { readonly ready: true };

/**
 * The relay's tiles on a worker thread (`relay-tiles-worker`), stepped with the very same
 * `src/sim` code: the relay's event loop only posts commands and routes what comes back, so a
 * busy tile (or a starved machine) never holds its signalling, leases or relayed traffic. The
 * relay reads a view the worker refreshes after each batch; what the relay itself changed
 * (tiles given and taken back, entities placed and removed) shows in it at once.
 */
export class ThreadRelayTiles implements RelayTiles {
  private readonly worker: Worker;
  private queue: RelayTilesCommand[] = [];
  private flushQueued = false;
  private closed = false;
  private viewTick: number;
  private stepped = 0;
  private entities = new Map<EntityId, { tile: TileId; position: Vec3 }>();
  private readonly digests = new Map<string, { tick: number; digest: string }>();
  private readonly held = new Set<string>();
  private readonly cuts = new Map<number, (cut: RelayTilesCut | undefined) => void>();
  private nextCut = 1;
  /** Batches posted so far (the next one gets this number). */
  private batch = 1;
  /** The batch carrying the step in flight, until the worker answers it. */
  private stepBatch: number | undefined;
  /** The newest tick asked for while a step was in flight. */
  private stepTarget: number | undefined;
  /** What the relay changed in the view itself, by batch: re-applied over reports that predate it. */
  private ownChanges: { batch: number; apply: (entities: Map<EntityId, { tile: TileId; position: Vec3 }>) => void }[] = [];

  constructor(
    private readonly setup: RelayTilesSetup,
    kindsUrl: string | undefined,
    private readonly fail: (reason: string) => void,
  ) {
    this.viewTick = setup.startTick;
    this.worker = startModuleWorker(import.meta.url, 'relay-tiles-worker', { config: setup.config, replication: setup.replication, startTick: setup.startTick, kindsUrl });
    this.worker.unref();
    this.worker.on('message', (m: RelayTilesWorkerReply) => this.onReply(m));
    this.worker.on('error', (e: Error) => this.failed(`relay tiles worker failed: ${e.message}`));
    this.worker.on('exit', (code) => this.failed(`relay tiles worker exited (code ${code})`));
  }

  get tick(): number {
    return this.viewTick;
  }
  get entityCount(): number {
    return this.entities.size;
  }
  takeStepped(): number {
    const n = this.stepped;
    this.stepped = 0;
    return n;
  }
  holds(tile: TileId): boolean {
    return this.held.has(tileKey(tile));
  }
  tileOfEntity(id: EntityId): TileId | undefined {
    return this.entities.get(id)?.tile;
  }
  positionOf(id: EntityId): Vec3 | undefined {
    return this.entities.get(id)?.position;
  }
  stateDigest(tile: TileId): StateDigest | undefined {
    return this.digests.get(tileKey(tile));
  }

  adopt(tile: TileId, epoch: number, snapshot: Uint8Array, subscribers: PeerId[]): void {
    this.held.add(tileKey(tile));
    this.post({ c: 'adopt', tile, epoch, snapshot, subscribers });
  }
  release(tile: TileId): void {
    this.held.delete(tileKey(tile));
    // From now on the relay does not simulate it: what it holds is the next owner's (the view
    // drops every entity of a tile not held when a report comes in).
    this.post({ c: 'release', tile });
  }
  setSubscribers(tile: TileId, epoch: number, peers: PeerId[]): void {
    this.post({ c: 'subscribers', tile, epoch, peers });
  }
  sendKeyframeTo(tile: TileId, peer: PeerId): void {
    this.post({ c: 'keyframeTo', tile, peer });
  }
  addInputs(tick: number, inputs: readonly EntityInput[]): void {
    this.post({ c: 'inputs', tick, inputs });
  }
  insert(entity: EntityDesc, fromTick?: number): void {
    const tile = this.tileOfPosition(entity.state.position);
    if (this.held.has(tileKey(tile))) this.change((m) => m.set(entity.id, { tile, position: entity.state.position }));
    this.post({ c: 'insert', entity, fromTick });
  }
  remove(id: EntityId): void {
    this.change((m) => m.delete(id));
    this.post({ c: 'remove', id });
  }
  deliver(m: EntityMessage): void {
    this.post({ c: 'deliver', message: m });
  }
  setFixedBodies(tile: TileId, fixed: readonly EntityDesc[] | undefined): void {
    this.post({ c: 'fixed', tile, fixed });
  }
  stepTo(targetTick: number): void {
    // One step in flight at most: a worker that falls behind (starting, starved) catches up in
    // bites without a queue of steps building up in front of the relay's other commands (a
    // release for a handoff waits for one bite, not for all of them).
    this.stepTarget = Math.max(this.stepTarget ?? targetTick, targetTick);
    if (this.stepBatch !== undefined) return;
    this.stepBatch = this.batch;
    this.post({ c: 'step', target: this.stepTarget });
    this.stepTarget = undefined;
  }
  cut(done: (cut: RelayTilesCut | undefined) => void): void {
    if (this.closed) return done(undefined);
    const id = this.nextCut++;
    this.cuts.set(id, done);
    this.post({ c: 'cut', id });
  }
  close(): void {
    this.closed = true;
    void this.worker.terminate();
    const waiting = [...this.cuts.values()];
    this.cuts.clear();
    for (const done of waiting) done(undefined);
  }

  private tileOfPosition(p: Vec3): TileId {
    return tileOf(p, this.setup.config.tileEdge);
  }

  /** Applies a change of the relay's own to the view now, and again over reports older than it. */
  private change(apply: (entities: Map<EntityId, { tile: TileId; position: Vec3 }>) => void): void {
    apply(this.entities);
    this.ownChanges.push({ batch: this.batch, apply });
  }

  /** Commands go in one batch per turn of the event loop, in call order. */
  private post(cmd: RelayTilesCommand): void {
    if (this.closed) return;
    this.queue.push(cmd);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      const commands = this.queue;
      this.queue = [];
      if (this.closed || commands.length === 0) return;
      this.worker.postMessage({ batch: this.batch, commands });
      this.batch++;
    });
  }

  private onReply(m: RelayTilesWorkerReply): void {
    if (this.closed) return;
    if ('failed' in m) return this.failed(m.failed);
    if ('ready' in m) return;
    if (this.stepBatch !== undefined && m.batch >= this.stepBatch) {
      this.stepBatch = undefined;
      if (this.stepTarget !== undefined) this.stepTo(this.stepTarget);
    }
    const ev = this.setup.events;
    for (const e of m.events) {
      switch (e.e) {
        case 'send':
          ev.send(e.to, e.message, e.reliable);
          break;
        case 'dropped':
          ev.dropped(e.reason);
          break;
        case 'released':
          ev.released(e.tile, e.state);
          break;
        case 'removeMissed':
          ev.removeMissed(e.id);
          break;
        case 'undelivered':
          ev.undelivered(e.message);
          break;
        case 'cut': {
          const done = this.cuts.get(e.id);
          this.cuts.delete(e.id);
          done?.(e.cut);
          break;
        }
      }
    }
    if (m.view) this.applyView(m.view);
  }

  private applyView(v: RelayTilesViewReport): void {
    this.viewTick = v.tick;
    this.stepped += v.stepped;
    const entities = new Map<EntityId, { tile: TileId; position: Vec3 }>();
    const a = v.entities;
    for (let i = 0; i + 6 < a.length; i += 7) {
      const tile = { x: a[i + 1]!, y: a[i + 2]!, z: a[i + 3]! };
      // Commands still in flight (a tile taken back meanwhile) are the relay's newer word.
      if (!this.held.has(tileKey(tile))) continue;
      entities.set(a[i]!, { tile, position: { x: a[i + 4]!, y: a[i + 5]!, z: a[i + 6]! } });
    }
    // What the relay changed after the batches this report covers still stands.
    this.ownChanges = this.ownChanges.filter((c) => c.batch > v.batch);
    for (const c of this.ownChanges) c.apply(entities);
    this.entities = entities;
    for (const [key, tick, digest] of v.digests) this.digests.set(key, { tick, digest });
  }

  private failed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    void this.worker.terminate();
    this.fail(reason);
    const waiting = [...this.cuts.values()];
    this.cuts.clear();
    for (const done of waiting) done(undefined);
  }
}

/** The relay's tiles on a worker thread; `kindsUrl` names the world's kinds module (standard kinds without). */
export function threadRelayTiles(kindsUrl: string | undefined, fail: (reason: string) => void): RelayTilesFactory {
  return (setup) => new ThreadRelayTiles(setup, kindsUrl, fail);
}
