import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { BlockPeerIds, avatarOf } from '../../../relay/cluster/peer-ids.js';
import { redisReserveIds } from '../../../relay/cluster/redis-peer-ids.js';
import { Harness, withSeed } from '../../harness/harness.js';
import { initPhysics } from '../../harness/imports.js';
import { describeWithRedis, startRedis, type TestRedis } from '../redis-server.js';

/** A counter in memory that answers when told to (`flush`), or fails while `down`. */
function fakeCounter(): { reserve: (n: number) => Promise<number>; flush: () => Promise<void>; asked: number; down: boolean } {
  let value = 0;
  const waiting: (() => void)[] = [];
  const c = {
    asked: 0,
    down: false,
    reserve: (n: number) =>
      new Promise<number>((resolve, reject) => {
        c.asked++;
        waiting.push(() => (c.down ? reject(new Error('down')) : resolve((value += n))));
      }),
    flush: async () => {
      while (waiting.length > 0) waiting.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    },
  };
  return c;
}

describe('BlockPeerIds', () => {
  it('gives ids from reserved blocks without waiting; the next block is asked for at half the current one', async () => {
    const c = fakeCounter();
    const ids = new BlockPeerIds({ reserve: c.reserve, blockSize: 4 });
    const started = ids.start();
    await c.flush();
    await started;
    expect([ids.next(), ids.next()]).toEqual([1, 2]);
    expect(c.asked).toBe(2); // half used: the next block is on its way
    expect([ids.next(), ids.next()]).toEqual([3, 4]);
    await c.flush();
    expect([ids.next(), ids.next(), ids.next()]).toEqual([5, 6, 7]);
  });

  it('has no id while the counter is unreachable and its blocks are used up, then gives again', async () => {
    const c = fakeCounter();
    const errors: string[] = [];
    const ids = new BlockPeerIds({ reserve: c.reserve, blockSize: 2, onError: (e) => errors.push(e.message) });
    const started = ids.start();
    await c.flush();
    await started;
    c.down = true;
    expect([ids.next(), ids.next()]).toEqual([1, 2]);
    await c.flush();
    expect(ids.next()).toBeUndefined();
    await c.flush();
    expect(errors).toEqual(['down', 'down']);
    c.down = false;
    expect(ids.next()).toBeUndefined(); // asks again
    await c.flush();
    expect(ids.next()).toBe(3);
  });
});

describeWithRedis('player ids across a cluster (real redis-server)', () => {
  let redis: TestRedis;
  const conns: Redis[] = [];
  const conn = (): Redis => {
    const r = new Redis(redis.url);
    conns.push(r);
    return r;
  };
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of conns) c.disconnect();
    await redis?.stop();
  });

  it('two nodes taking blocks of one counter concurrently never give the same id', async () => {
    const a = new BlockPeerIds({ reserve: redisReserveIds(conn(), 'race:'), blockSize: 8 });
    const b = new BlockPeerIds({ reserve: redisReserveIds(conn(), 'race:'), blockSize: 8 });
    await Promise.all([a.start(), b.start()]);
    const given: number[] = [];
    while (given.length < 1000) {
      for (const ids of [a, b]) {
        const id = ids.next();
        if (id !== undefined) given.push(id);
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(new Set(given).size).toBe(given.length);
    expect(Math.min(...given)).toBe(1);
  });

  it('two relay cores on one Redis give their players different ids and avatars', () =>
    withSeed(21, async () => {
      await initPhysics();
      const source = async (): Promise<BlockPeerIds> => {
        const ids = new BlockPeerIds({ reserve: redisReserveIds(conn(), 'cores:'), blockSize: 4 });
        await ids.start();
        return ids;
      };
      const h1 = new Harness({ seed: 21, relay: { peerIds: await source() } });
      const h2 = new Harness({ seed: 22, relay: { peerIds: await source() } });
      const clients = [h1.addClient('a1'), h2.addClient('b1'), h1.addClient('a2'), h2.addClient('b2')];
      h1.run(500);
      h2.run(500);
      const peers = clients.map((c) => c.client.peerId);
      expect(peers.every((p) => p > 0)).toBe(true);
      expect(new Set(peers).size).toBe(4);
      expect(clients.map((c) => c.client.avatar)).toEqual(peers.map(avatarOf));
      h1.relay.close();
      h2.relay.close();
    }));
});
