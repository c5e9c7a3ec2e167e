import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisWorldStore, type RedisWorldStoreOptions } from '../../../relay/store/redis-world-store.js';
import type { TileCheckpoint } from '../../../relay/store/world-store.js';
import type { StoredDocument } from '../../../relay/doc/world-doc-host.js';
import { describeWithRedis, startRedis, type TestRedis } from '../redis-server.js';
import { keysOf, updatesOf } from './doc-updates.js';

/** The keys of map `m` in a stored document. */
const storedKeys = (stored: StoredDocument | undefined): string[] => keysOf(stored?.updates ?? [], stored?.template);

function tiles(n: number, tick: number, bytes = 64): TileCheckpoint[] {
  return Array.from({ length: n }, (_, i) => ({ tile: { x: i % 10, y: 0, z: Math.floor(i / 10) }, tick, snapshot: new Uint8Array(bytes).fill((i + tick) & 0xff) }));
}

/** Waits for `cond` (polled), at most `ms`: tests wait on what they expect, not on time. */
async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeWithRedis('RedisWorldStore (real redis-server)', () => {
  let redis: TestRedis;
  let admin: Redis;
  const stores: RedisWorldStore[] = [];
  const open = async (opts: Partial<RedisWorldStoreOptions> = {}): Promise<RedisWorldStore> => {
    const s = await RedisWorldStore.open({ url: redis.url, ...opts });
    stores.push(s);
    return s;
  };
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    admin?.disconnect();
    await redis?.stop();
  });

  it('round trip: checkpoints (one hash field per tile), the template (content-addressed), the document and applied', async () => {
    const s = await open();
    expect(s.load('rt')).toEqual([]);
    expect(s.loadDocument('rt')).toBeUndefined();
    const template = updatesOf('tpl', 1)[0]!;
    const made = s.createWorld('rt', template);
    expect(made.created).toBe(true);
    expect(s.createWorld('rt', updatesOf('other', 1)[0]!)).toEqual({ created: false, template: made.template });
    const saved = tiles(12, 40);
    s.save('rt', saved, 1234, { a: '7|sig' });
    saved[3] = { ...saved[3]!, tick: 41, snapshot: new Uint8Array([1, 2, 3]) };
    s.save('rt', [saved[3]!], 1235);
    const sorted = [...saved].sort((a, b) => a.tile.x - b.tile.x || a.tile.y - b.tile.y || a.tile.z - b.tile.z);
    expect(s.load('rt')).toEqual(sorted);
    for (const u of updatesOf('rt', 5)) s.appendUpdate('rt', u);
    const doc = s.loadDocument('rt');
    expect(doc?.template).toEqual(template);
    expect(doc?.applied).toEqual({ a: '7|sig' });
    expect(doc?.updates).toHaveLength(5);
    expect(storedKeys(doc)).toEqual(['rt-0', 'rt-1', 'rt-2', 'rt-3', 'rt-4', 'tpl-0']);
    expect(s.logSize('rt')).toEqual({ count: 5, bytes: doc!.updates.reduce((n, u) => n + u.length, 0) });
    const c = s.compact('rt');
    expect(c.after).toBeGreaterThan(0);
    expect(s.logSize('rt')).toEqual({ count: 1, bytes: c.after });
    expect(storedKeys(s.loadDocument('rt'))).toEqual(['rt-0', 'rt-1', 'rt-2', 'rt-3', 'rt-4', 'tpl-0']);
    expect(await admin.hlen('tessera:rt:checkpoints')).toBe(12);
    expect(await admin.exists(`tessera:rt:template:${made.template}`)).toBe(1);
  });

  it('what one node stored, another node on the same Redis reads: every acknowledged update and checkpoint', async () => {
    const a = await open();
    const b = await open();
    a.createWorld('shared');
    const saved = tiles(30, 99, 2048);
    a.save('shared', saved, Date.now());
    const ups = updatesOf('a', 40);
    for (const u of ups) a.appendUpdate('shared', u); // each acknowledged when it returns
    expect(b.createWorld('shared')).toEqual({ created: false, template: undefined });
    expect(b.load('shared')).toHaveLength(30);
    expect(b.load('shared')).toEqual(a.load('shared'));
    expect(b.loadDocument('shared')?.updates).toEqual(ups);
  });

  it('appends from two nodes interleaved with compactions (asked for and started by appends) lose nothing', async () => {
    const a = await open({ compaction: { maxUpdates: 20, maxBytes: 1 << 30 } });
    const b = await open({ compaction: { maxUpdates: 25, maxBytes: 1 << 30 } });
    a.createWorld('race');
    const fromA = updatesOf('a', 300);
    const fromB = updatesOf('b', 300);
    for (let i = 0; i < 300; i++) {
      a.appendUpdate('race', fromA[i]!);
      b.appendUpdate('race', fromB[i]!);
      if (i % 37 === 0) (i % 2 === 0 ? a : b).compact('race');
    }
    const expected = [...Array.from({ length: 300 }, (_, i) => `a-${i}`), ...Array.from({ length: 300 }, (_, i) => `b-${i}`)].sort();
    expect(storedKeys(b.loadDocument('race'))).toEqual(expected);
    // Background compactions end; the log is then short, and still holds everything.
    await until(() => a.logSize('race').count <= 26);
    expect(storedKeys(a.loadDocument('race'))).toEqual(expected);
    expect(Number(await admin.hget('tessera:race:doc', 'gen'))).toBeGreaterThan(8);
  });

  it('kill -9 of Redis (appendonly yes, appendfsync always) and a restart keep every acknowledged update and checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-store-aof-'));
    const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    let own = await startRedis(args);
    try {
      const s = await RedisWorldStore.open({ url: own.url });
      s.createWorld('aof');
      s.save('aof', tiles(5, 7), 1);
      const ups = updatesOf('k', 50);
      for (const u of ups) s.appendUpdate('aof', u);
      await own.stop(true); // kill -9 right after the last acknowledgement
      expect(() => s.appendUpdate('aof', updatesOf('lost', 1)[0]!)).toThrow(/Redis world store at .*: append of world "aof" failed/);
      own = await startRedis(['--port', String(own.port), ...args]);
      const again = await RedisWorldStore.open({ url: own.url });
      expect(again.loadDocument('aof')?.updates).toEqual(ups);
      expect(again.load('aof')).toEqual(tiles(5, 7));
      await again.close();
      // The first store reconnects by itself and stores again.
      await until(() => {
        try {
          s.appendUpdate('aof', ups[0]!);
          return true;
        } catch {
          return false;
        }
      });
      await s.close();
    } finally {
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a call Redis does not answer fails in bounded time with a clear error; the next fails at once; all works again once Redis answers', async () => {
    const own = await startRedis();
    const s = await RedisWorldStore.open({ url: own.url, timeoutMs: 300 });
    try {
      s.createWorld('hang');
      s.appendUpdate('hang', updatesOf('h', 1)[0]!);
      process.kill(own.pid, 'SIGSTOP');
      let t0 = performance.now();
      expect(() => s.appendUpdate('hang', updatesOf('h2', 1)[0]!)).toThrow(/append of world "hang" failed: no answer within 300 ms/);
      const waited = performance.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(299);
      expect(waited).toBeLessThan(3000);
      t0 = performance.now();
      expect(() => s.save('hang', tiles(1, 1), 1)).toThrow(/save of world "hang" not tried: Redis has not yet answered an earlier call \(append of world "hang"\)/);
      expect(performance.now() - t0).toBeLessThan(50);
      process.kill(own.pid, 'SIGCONT');
      await until(() => {
        try {
          s.save('hang', tiles(1, 2), 2);
          return true;
        } catch {
          return false;
        }
      });
      expect(s.load('hang')).toEqual(tiles(1, 2));
      // The append that timed out was done by Redis after all: stored, not acknowledged (the relay sends it again).
      expect(storedKeys(s.loadDocument('hang'))).toEqual(['h-0', 'h2-0']);
      // Redis gone: a call fails at once, and open() fails clearly.
      await own.stop(true);
      t0 = performance.now();
      expect(() => s.appendUpdate('hang', updatesOf('h3', 1)[0]!)).toThrow(/Redis world store at redis:\/\/127\.0\.0\.1:\d+: append of world "hang" failed/);
      expect(performance.now() - t0).toBeLessThan(1000);
      await expect(RedisWorldStore.open({ url: own.url, connectTimeoutMs: 500 })).rejects.toThrow(`Redis at ${own.url} is unreachable`);
      await expect(RedisWorldStore.open({ url: 'http://127.0.0.1:6379' })).rejects.toThrow('must start with redis:// or rediss://');
    } finally {
      await own.stop(true);
      await s.close();
    }
  });

  it('a store whose worker ended fails every call at once, saying so', async () => {
    const s = await RedisWorldStore.open({ url: redis.url });
    s.createWorld('ended');
    const worker = (s as unknown as { worker: Worker }).worker;
    // The store's own 'exit' listener came first: it has heard of the end when this one runs.
    const exited = new Promise((r) => worker.once('exit', r));
    await worker.terminate();
    await exited;
    const t0 = performance.now();
    expect(() => s.appendUpdate('ended', updatesOf('e', 1)[0]!)).toThrow('append of world "ended" not tried: its worker exited');
    expect(performance.now() - t0).toBeLessThan(50);
    await s.close();
  });
});
