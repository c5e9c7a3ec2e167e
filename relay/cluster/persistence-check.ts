import type { Redis } from 'ioredis';

/** What a node found of Redis's persistence at start. */
export type PersistenceCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string };

/** The redis.conf line a cluster's Redis needs (docs/relay.md, "Running a cluster"). */
export const APPENDONLY_LINE = 'appendonly yes';

/**
 * Whether Redis keeps its data across a restart in its append-only file. Without it, a restarted
 * Redis has lost every tile's epoch: the next grants start again from epoch 1, and a lease older
 * players still hold could be signed a second time. Read with `CONFIG GET appendonly`; a Redis
 * that refuses CONFIG (a managed service may) is reported as unknown, not as off.
 */
export function checkPersistence(redis: Redis): Promise<PersistenceCheck> {
  return checkConfig(redis, 'appendonly', 'yes', APPENDONLY_LINE, "a Redis restart loses every tile's epoch and epochs start again from 1 (leases could be signed twice)");
}

/** The redis.conf line a cluster that keeps its world in Redis needs, so that nothing acknowledged is lost on a crash. */
export const APPENDFSYNC_LINE = 'appendfsync always';

/**
 * Whether Redis writes its append-only file to disk before it answers (`appendfsync always`):
 * with `everysec` (Redis's default) a machine crash may lose the last second of document edits
 * the relay had acknowledged. Read with `CONFIG GET appendfsync`.
 */
export function checkFsync(redis: Redis): Promise<PersistenceCheck> {
  return checkConfig(redis, 'appendfsync', 'always', APPENDFSYNC_LINE, 'on a machine crash up to a second of acknowledged document edits may be lost');
}

/** Reads `CONFIG GET key`: ok when it is `wanted`, else why not and the line (`key wanted`) to put in redis.conf. */
async function checkConfig(redis: Redis, key: string, wanted: string, line: string, consequence: string): Promise<PersistenceCheck> {
  let reply: unknown;
  try {
    reply = await redis.config('GET', key);
  } catch (e) {
    return { ok: false, reason: `could not read CONFIG GET ${key} (${e instanceof Error ? e.message : String(e)}): make sure Redis runs with '${line}'` };
  }
  const value = Array.isArray(reply) ? reply[1] : undefined;
  if (value === wanted) return { ok: true };
  return { ok: false, reason: `Redis runs with ${key} ${String(value ?? 'unknown')}: ${consequence}. Put '${line}' in redis.conf (or run redis-server --${key} ${wanted})` };
}
