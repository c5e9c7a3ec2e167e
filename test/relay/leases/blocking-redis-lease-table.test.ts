import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RELAY_PEER, tileKey } from '../../../src/index.js';
import { BlockingRedisLeaseTable } from '../../../relay/leases/blocking-redis-lease-table.js';
import type { LeaseDecision } from '../../../relay/leases/lease-table.js';
import { Harness, withSeed } from '../../harness/harness.js';
import { initPhysics } from '../../harness/imports.js';
import { describeWithRedis, startRedis, type TestRedis } from '../redis-server.js';

/** The table decides before the call returns (the relay core relies on that). */
function now(start: (decided: (d: LeaseDecision) => void) => void): LeaseDecision {
  let out: LeaseDecision | undefined;
  start((d) => (out = d));
  if (!out) throw new Error('not decided at once');
  return out;
}

describeWithRedis('BlockingRedisLeaseTable (real redis-server)', () => {
  let redis: TestRedis;
  let admin: Redis;
  const tables: BlockingRedisLeaseTable[] = [];
  const open = async (node: string, prefix: string, url = redis.url): Promise<BlockingRedisLeaseTable> => {
    const t = await BlockingRedisLeaseTable.open({ url, node, prefix });
    tables.push(t);
    return t;
  };
  /** Script calls Redis has run (EVALSHA, and EVAL the first time a script is loaded). */
  const scriptCalls = async (): Promise<number> => {
    let n = 0;
    for (const m of (await admin.info('commandstats')).matchAll(/cmdstat_(evalsha|eval):calls=(\d+)/g)) n += Number(m[2]);
    return n;
  };
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const t of tables) await t.close();
    admin?.disconnect();
    await redis?.stop();
  });

  it('decides every change in Redis before the call returns; a stale node is refused', async () => {
    const a = await open('a', 'sync:');
    const b = await open('b', 'sync:');
    expect(now((d) => a.grant('0,0,0', RELAY_PEER, d))).toEqual({ granted: true, entry: { node: 'a', owner: RELAY_PEER, epoch: 1 } });
    expect(now((d) => b.grant('0,0,0', 3, d))).toMatchObject({ granted: false, reason: 'held', current: { node: 'a', epoch: 1 } });
    expect(now((d) => b.transfer('0,0,0', 1, 3, 2, d))).toEqual({ granted: true, entry: { node: 'b', owner: 3, epoch: 2 } });
    expect(now((d) => a.renew('0,0,0', RELAY_PEER, 1, d))).toMatchObject({ granted: false, reason: 'not-holder' });
    expect(now((d) => a.transfer('0,0,0', 1, 4, 2, d))).toMatchObject({ granted: false, reason: 'stale-epoch', current: { node: 'b', owner: 3, epoch: 2 } });
    expect(a.get('0,0,0')).toEqual({ node: 'b', owner: 3, epoch: 2 });
    expect(await admin.hgetall('sync:lease:0,0,0')).toEqual({ e: '2', n: 'b', o: '3' });
  });

  it('renewAll decides every tile in one script call: holders confirmed, others refused with the current lease', async () => {
    const a = await open('a', 'all:');
    const b = await open('b', 'all:');
    for (let x = 0; x < 5; x++) expect(now((d) => a.grant(`${x},0,0`, 1, d)).granted).toBe(true);
    expect(now((d) => b.transfer('3,0,0', 1, 9, 2, d)).granted).toBe(true);
    const calls = await scriptCalls();
    const got: [number, LeaseDecision][] = [];
    a.renewAll(
      [0, 1, 2, 3, 4].map((x) => ({ tile: `${x},0,0`, owner: 1, epoch: 1 })).concat([{ tile: '0,0,0', owner: 2, epoch: 1 }]),
      (i, d) => got.push([i, d]),
    );
    expect(got.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5]); // all decided before the call returned, in order
    expect(got.filter(([, d]) => d.granted).map(([i]) => i)).toEqual([0, 1, 2, 4]);
    expect(got[3]![1]).toEqual({ granted: false, reason: 'not-holder', current: { node: 'b', owner: 9, epoch: 2 } });
    expect(got[5]![1]).toMatchObject({ granted: false, reason: 'not-holder' });
    expect((await scriptCalls()) - calls).toBe(1);
    expect(a.get('3,0,0')).toEqual({ node: 'b', owner: 9, epoch: 2 });
  });

  it('the relay core renews all its tiles with one script call a second', () =>
    withSeed(17, async () => {
      await initPhysics();
      const table = await open('relay-1', 'renew:');
      const h = new Harness({ seed: 17, relay: { leases: table } });
      const tiles = h.relay.directory().length;
      expect(tiles).toBeGreaterThan(3);
      h.run(1500); // past the first renewal: scripts loaded
      const calls = await scriptCalls();
      h.run(5000);
      const made = (await scriptCalls()) - calls;
      // Five seconds: five renewal rounds (one more if a round falls on both ends), not five times every tile.
      expect(made).toBeGreaterThanOrEqual(4);
      expect(made).toBeLessThanOrEqual(6);
      expect(h.logs.filter((l) => l.msg === 'lease change refused')).toEqual([]);
      h.relay.close();
    }));

  it('the relay core runs on it: handoffs and a takeover go through Redis, whose leases match the relay’s directory', () =>
    withSeed(14, async () => {
      await initPhysics();
      const table = await open('relay-1', 'core:');
      const h = new Harness({ seed: 14, relay: { leases: table } });
      // The relay holds every starting tile in Redis, at epoch 1.
      const start = h.relay.directory();
      expect(start.length).toBeGreaterThan(0);
      const inRedis = async (): Promise<Record<string, { e: string; n: string; o: string }>> => {
        const out: Record<string, { e: string; n: string; o: string }> = {};
        for (const d of h.relay.directory()) out[tileKey(d.tile)] = (await admin.hgetall(`core:lease:${tileKey(d.tile)}`)) as { e: string; n: string; o: string };
        return out;
      };
      const directory = (): Record<string, { e: string; n: string; o: string }> => Object.fromEntries(h.relay.directory().map((d) => [tileKey(d.tile), { e: String(d.epoch), n: 'relay-1', o: String(d.owner) }]));
      expect(await inRedis()).toEqual(directory());
      const a = h.addClient('alice');
      const b = h.addClient('bob');
      h.run(2000);
      const owner = [a, b].find((c) => c.client.stats().ownedTiles.some((t) => tileKey(t) === '0,0,0'))!;
      expect(owner).toBeDefined();
      const handed = (await admin.hgetall('core:lease:0,0,0')) as { e: string; n: string; o: string };
      expect(handed).toEqual({ e: '2', n: 'relay-1', o: String(owner.client.peerId) });
      // The owner crashes: the relay takes the tile back under a newer epoch, in Redis too.
      owner.crash();
      expect(h.runUntil(() => h.relay.directory().find((d) => tileKey(d.tile) === '0,0,0')!.owner === RELAY_PEER, 1500)).toBeGreaterThanOrEqual(0);
      h.run(500);
      expect(await inRedis()).toEqual(directory());
      expect(Number((await admin.hget('core:lease:0,0,0', 'e'))!)).toBeGreaterThan(2);
      expect(h.logs.filter((l) => l.msg === 'lease change refused')).toEqual([]);
      // A second node on the same Redis gets none of these tiles: they are held.
      const other = await open('relay-2', 'core:');
      const h2 = new Harness({ seed: 15, relay: { leases: other } });
      expect(h2.relay.directory()).toEqual([]);
      expect(h2.logs.filter((l) => l.msg === 'lease change refused').length).toBe(start.length);
      h.relay.close();
      h2.relay.close();
    }));

  it('a handoff Redis refuses leaves the tile where it was: a relay tile it had let go of, the relay simulates again', () =>
    withSeed(16, async () => {
      await initPhysics();
      const own = await startRedis();
      const table = await BlockingRedisLeaseTable.open({ url: own.url, node: 'relay-1', prefix: 'refused:' });
      tables.push(table);
      const h = new Harness({ seed: 16, relay: { leases: table } });
      const entities = h.relay.relayEntityCount();
      const tiles = h.relay.directory().length;
      await own.stop(true);
      await new Promise((r) => setTimeout(r, 100));
      // A player arrives: the relay hands it the spawn tile, and Redis cannot be asked.
      const a = h.addClient('alice');
      h.run(3000);
      expect(h.logs.filter((l) => l.msg === 'lease change refused' && l['reason'] === 'unreachable').length).toBeGreaterThan(0);
      expect(a.client.stats().ownedTiles).toEqual([]);
      expect(h.relay.directory().every((d) => d.owner === RELAY_PEER && d.epoch === 1)).toBe(true);
      expect(h.relay.directory().length).toBe(tiles);
      // Every tile still runs at the relay, nothing lost: the avatar joined the relay's world.
      expect(h.relay.ownWorld.tileList().length).toBe(tiles);
      expect(h.relay.ownWorld.tick).toBe(h.relay.currentTick);
      expect(h.relay.relayEntityCount()).toBe(entities + 1);
      h.relay.close();
    }));

  it('refuses at once while Redis is down and grants again once it is back; an unreachable Redis fails open() with a clear error', async () => {
    const own = await startRedis();
    const statuses: boolean[] = [];
    const t = await BlockingRedisLeaseTable.open({ url: own.url, node: 'a', prefix: 'down:', onStatus: (s) => statuses.push(s.up) });
    tables.push(t);
    expect(now((d) => t.grant('0,0,0', 1, d)).granted).toBe(true);
    await own.stop(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(now((d) => t.transfer('0,0,0', 1, 2, 2, d))).toEqual({ granted: false, reason: 'unreachable', current: { node: 'a', owner: 1, epoch: 1 } });
    expect(now((d) => t.renew('0,0,0', 1, 1, d))).toMatchObject({ granted: false, reason: 'unreachable' });
    const all: LeaseDecision[] = [];
    t.renewAll([{ tile: '0,0,0', owner: 1, epoch: 1 }, { tile: '5,0,0', owner: 1, epoch: 1 }], (_, d) => all.push(d));
    expect(all).toEqual([
      { granted: false, reason: 'unreachable', current: { node: 'a', owner: 1, epoch: 1 } },
      { granted: false, reason: 'unreachable', current: undefined },
    ]);
    expect(statuses).toEqual([false]);
    await expect(BlockingRedisLeaseTable.open({ url: own.url, node: 'b', connectTimeoutMs: 500 })).rejects.toThrow(`Redis at ${own.url} is unreachable`);
    // Back on the same port (nothing kept: a new, empty Redis), the node grants again.
    const again = await startRedis(['--port', String(own.port)]);
    const until = Date.now() + 5000;
    while (statuses.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(statuses).toEqual([false, true]);
    expect(now((d) => t.grant('1,0,0', 1, d))).toMatchObject({ granted: true, entry: { epoch: 1 } });
    await again.stop();
  });

  it('after an answer that came too late, asks Redis again once that answer is in (a slow Redis is not a lost one)', async () => {
    const own = await startRedis();
    const statuses: boolean[] = [];
    const t = await BlockingRedisLeaseTable.open({ url: own.url, node: 'a', prefix: 'slow:', answerTimeoutMs: 100, onStatus: (s) => statuses.push(s.up) });
    tables.push(t);
    try {
      process.kill(own.pid, 'SIGSTOP');
      expect(now((d) => t.grant('0,0,0', 1, d))).toMatchObject({ granted: false, reason: 'unreachable' });
      expect(statuses).toEqual([false]);
      process.kill(own.pid, 'SIGCONT');
      // The late grant arrives (and is learnt); the connection never dropped, and the table asks again.
      const until = Date.now() + 10_000;
      while (statuses.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(statuses).toEqual([false, true]);
      expect(t.get('0,0,0')).toEqual({ node: 'a', owner: 1, epoch: 1 });
      expect(now((d) => t.renew('0,0,0', 1, 1, d))).toMatchObject({ granted: true });
    } finally {
      await own.stop(true);
    }
  });
});
