// The thread behind `BlockingRedisLeaseTable`: it holds the Redis connection and runs the lease
// scripts (through `RedisLeaseTable`), and answers each request through the `SyncCaller` the
// relay's thread is waiting on.
import { parentPort, workerData } from 'node:worker_threads';
import { RedisLeaseTable } from './redis-lease-table.js';
import type { LeaseDecision } from './lease-table.js';
import { answerSyncCall } from '../sync-call/sync-call.js';
import { connectWorkerRedis } from '../sync-call/worker-redis.js';
import type { LeaseRequest, LeaseWorkerData, LeaseWorkerEvent } from './lease-channel.js';

const data = workerData as LeaseWorkerData;
const port = parentPort!;
const post = (e: LeaseWorkerEvent): void => port.postMessage(e);

// The connection's own errors: the relay hears of them as refusals (`unreachable`) and `down` events.
const redis = connectWorkerRedis(data.url, data.connectTimeoutMs, port);
const table = new RedisLeaseTable({ redis, node: data.node, prefix: data.prefix });

port.on('message', (req: LeaseRequest) => {
  const answer = (d: LeaseDecision): void => {
    // A late answer (the relay stopped waiting) is sent as an event so its view still learns it.
    if (req.op !== 'renew-all' && req.op !== 'close' && !answerSyncCall(data.channel, req.seq, d)) post({ type: 'late', op: req.op, tile: req.tile, decision: d });
  };
  switch (req.op) {
    case 'renew-all': {
      // One script call; one answer with every decision, written once they are all in.
      const all: LeaseDecision[] = new Array<LeaseDecision>(req.renewals.length);
      let left = req.renewals.length;
      return table.renewAll(req.renewals, (i, d) => {
        all[i] = d;
        if (--left > 0) return;
        if (!answerSyncCall(data.channel, req.seq, all)) all.forEach((late, j) => post({ type: 'late', op: 'renew', tile: req.renewals[j]!.tile, decision: late }));
      });
    }
    case 'grant':
      return table.grant(req.tile, req.owner, answer);
    case 'transfer':
      return table.transfer(req.tile, req.fromEpoch, req.owner, req.epoch, answer);
    case 'renew':
      return table.renew(req.tile, req.owner, req.epoch, answer);
    case 'release':
      return table.release(req.tile, req.owner, req.epoch, answer);
    case 'close':
      redis.disconnect();
      data.channel.port.close();
      port.close();
      return;
  }
});
