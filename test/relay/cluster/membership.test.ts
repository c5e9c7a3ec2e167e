import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Membership } from '../../../relay/cluster/membership.js';
import { assignTiles } from '../../../relay/cluster/assignment.js';
import { describeWithRedis, startRedis, type TestRedis } from '../redis-server.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describeWithRedis('Membership (real redis-server)', () => {
  let redis: TestRedis;
  const conns: Redis[] = [];
  const members: Membership[] = [];
  const failures: Error[] = [];
  const join = async (node: string, prefix: string, ttlMs: number, players = 0): Promise<Membership> => {
    const c = new Redis(redis.url, { enableOfflineQueue: false, lazyConnect: true });
    await c.connect();
    conns.push(c);
    const m = new Membership({ redis: c, node, prefix, ttlMs, heartbeatMs: ttlMs / 4, load: () => ({ players, tiles: 0, cpu: 0.1 }), onBeatFailed: (e) => failures.push(e) });
    members.push(m);
    await m.start();
    return m;
  };
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const m of members) m.stop();
    for (const c of conns) c.disconnect();
    await redis?.stop();
  });

  it('a node that stops heartbeating is gone for the others within its TTL; one that leaves, at once; the tiles move with them', async () => {
    const TTL = 1000;
    const a = await join('a', 'm1:', TTL);
    const b = await join('b', 'm1:', TTL, 2);
    const c = await join('c', 'm1:', TTL);
    expect((await a.members()).map((m) => m.node)).toEqual(['a', 'b', 'c']);
    expect((await c.members()).find((m) => m.node === 'b')?.load).toEqual({ players: 2, tiles: 0, cpu: 0.1 });
    const tiles = Array.from({ length: 12 }, (_, i) => `${i},0,0`);
    const before = assignTiles(tiles, await a.members(), new Map());
    // Beats keep the nodes alive well past one TTL.
    await sleep(TTL * 1.5);
    expect((await b.members()).map((m) => m.node)).toEqual(['a', 'b', 'c']);
    // c stops beating (as if killed): its last beat was written at most one heartbeat ago, so
    // it is still a member now, and gone for everyone once a TTL has passed since that beat.
    await c.beat();
    c.stop();
    expect((await a.members()).map((m) => m.node)).toEqual(['a', 'b', 'c']);
    await sleep(TTL + 50);
    expect((await a.members()).map((m) => m.node)).toEqual(['a', 'b']);
    expect((await b.members()).map((m) => m.node)).toEqual(['a', 'b']);
    // Only c's tiles move, to a and b; a had fewer players than b, so takes more.
    const after = assignTiles(tiles, await b.members(), before);
    const moved = tiles.filter((t) => before.get(t) !== after.get(t));
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((t) => before.get(t) === 'c')).toBe(true);
    expect([...after.values()].every((n) => n === 'a' || n === 'b')).toBe(true);
    // c comes back: it is a member again at its first beat.
    await c.start();
    expect((await a.members()).map((m) => m.node)).toEqual(['a', 'b', 'c']);
    // A drained node leaves at once.
    await b.leave();
    expect((await a.members()).map((m) => m.node)).toEqual(['a', 'c']);
    expect(failures).toEqual([]);
  });

  it('reports a beat it could not write, and keeps beating', async () => {
    const own = await startRedis();
    const conn = new Redis(own.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    conn.on('error', () => undefined); // the client's own reports of the lost connection; the membership reports below
    await conn.connect();
    const seen: Error[] = [];
    const m = new Membership({ redis: conn, node: 'x', ttlMs: 400, heartbeatMs: 50, load: () => ({ players: 0, tiles: 0, cpu: 0 }), onBeatFailed: (e) => seen.push(e) });
    await m.start();
    await own.stop(true);
    await sleep(300);
    m.stop();
    conn.disconnect();
    expect(seen.length).toBeGreaterThan(1);
  });
});
