// The thread behind `RedisWorldStore`: it holds the Redis connection, runs each call (through
// `RedisWorldData`), answers through the `SyncCaller` the relay's thread is waiting on, and
// compacts a world's document log in the background when an append finds it due.
import { parentPort, workerData } from 'node:worker_threads';
import { answerSyncCall } from '../sync-call/sync-call.js';
import { connectWorkerRedis } from '../sync-call/worker-redis.js';
import { RedisWorldData } from './redis-world-data.js';
import type { StoreAnswer, StoreCall, StoreRequest, StoreWorkerData, StoreWorkerEvent } from './store-channel.js';

const data = workerData as StoreWorkerData;
const port = parentPort!;
const post = (e: StoreWorkerEvent): void => port.postMessage(e);
const redis = connectWorkerRedis(data.url, data.connectTimeoutMs, port, { commandTimeout: data.commandTimeoutMs });
const store = new RedisWorldData({ redis, prefixOf: (world) => `${data.root}${world}:`, compaction: data.compaction, ...(data.node !== undefined ? { node: data.node } : {}) });
/** Worlds being compacted by this worker (one compaction per world at a time). */
const compacting = new Set<string>();

function compactLater(world: string): void {
  if (compacting.has(world)) return;
  compacting.add(world);
  store.compact(world).then(
    (r) => post({ type: 'compacted', world, ...r }),
    (e: unknown) => post({ type: 'compaction-failed', world, reason: e instanceof Error ? e.message : String(e) }),
  ).finally(() => compacting.delete(world));
}

async function run(req: StoreCall): Promise<unknown> {
  switch (req.op) {
    case 'save':
      return store.save(req.world, req.tiles, req.savedAtMs, req.applied);
    case 'create-world':
      return store.createWorld(req.world, req.template);
    case 'append': {
      const size = await store.appendUpdate(req.world, req.update);
      if (store.due(size)) compactLater(req.world);
      return size;
    }
    case 'load':
      return store.load(req.world);
    case 'load-document':
      return store.loadDocument(req.world);
    case 'compact':
      return store.compact(req.world);
    case 'log-size':
      return store.logSize(req.world);
  }
}

port.on('message', (req: StoreRequest) => {
  if (req.op === 'close') {
    redis.disconnect();
    data.channel.port.close();
    port.close();
    return;
  }
  run(req)
    .then(
      (value): StoreAnswer => ({ ok: true, value }),
      (e: unknown): StoreAnswer => ({ ok: false, error: e instanceof Error ? e.message : String(e) }),
    )
    .then((answer) => {
      if (!answerSyncCall(data.channel, req.seq, answer)) post({ type: 'late', seq: req.seq });
    });
});
