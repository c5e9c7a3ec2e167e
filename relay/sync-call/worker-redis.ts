// The Redis connection of a worker behind a `SyncCaller` (the lease worker, the store worker).
import { Redis, type RedisOptions } from 'ioredis';
import type { MessagePort } from 'node:worker_threads';
import type { WorkerStatusEvent } from './sync-call.js';

/**
 * Connects to `url` for a worker: commands fail at once while the connection is down (no
 * offline queue), and the relay's thread hears `ready` (at the first connection and every
 * reconnection), `failed` (the first connection could not be made) and `down` (the connection's errors).
 * `more` adds connection options (a command timeout).
 */
export function connectWorkerRedis(url: string, connectTimeoutMs: number, port: MessagePort, more: RedisOptions = {}): Redis {
  const post = (e: WorkerStatusEvent): void => port.postMessage(e);
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: connectTimeoutMs, ...more });
  redis.on('error', (e: Error) => post({ type: 'down', reason: e.message }));
  redis.on('ready', () => post({ type: 'ready' }));
  // 'ready' comes from the event above (once: a second one, arriving later, would hide a status change).
  redis.connect().catch((e: unknown) => post({ type: 'failed', reason: e instanceof Error ? e.message : String(e) }));
  return redis;
}
