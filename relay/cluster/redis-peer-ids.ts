import type { Redis } from 'ioredis';
import type { ReserveIds } from './peer-ids.js';

/** The world's player id counter: `<prefix>peer-ids`, grown by `INCRBY` (one atomic step, whichever node asks). */
export function peerIdsKey(prefix: string): string {
  return `${prefix}peer-ids`;
}

/** Reserves blocks of the world's player id counter in Redis (for `BlockPeerIds`). */
export function redisReserveIds(redis: Redis, prefix: string): ReserveIds {
  return (size) => redis.incrby(peerIdsKey(prefix), size);
}
