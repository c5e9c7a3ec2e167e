import { expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Failover, type FailoverOptions } from '../../../relay/cluster/failover.js';
import type { ClusterMember } from '../../../relay/cluster/node-load.js';
import { RedisLeaseTable } from '../../../relay/leases/redis-lease-table.js';
import { decision, type LeaseEntry } from '../../../relay/leases/lease-table.js';
import { RedisWorldData } from '../../../relay/store/redis-world-data.js';
import { describeWithRedis, redisForSuite } from '../redis-server.js';

const live = (...nodes: string[]): ClusterMember[] => nodes.map((node) => ({ node, load: { players: 0, tiles: 0, cpu: 0 } }));

describeWithRedis('Failover against Redis (real redis-server, nodes simulated by their keys)', () => {
  const redis = redisForSuite();
  const connect = (): Redis => redis.connect();

  /** A failover of `node` that sees `members()` as given and records what it hears and adopts. */
  const failover = (prefix: string, node: string, members: () => ClusterMember[], ttlMs?: number): { f: Failover; redis: Redis; heard: [string, LeaseEntry][]; adopted: Parameters<FailoverOptions['adopt']>[0][number][] } => {
    const redis = connect();
    const heard: [string, LeaseEntry][] = [];
    const adopted: Parameters<FailoverOptions['adopt']>[0][number][] = [];
    const f = new Failover({
      redis,
      node,
      prefix,
      members: async () => members(),
      heard: (t, e) => heard.push([t, e]),
      adopt: (tiles) => {
        adopted.push(...tiles);
        return tiles.map(() => true);
      },
      log: () => undefined,
      ...(ttlMs !== undefined ? { ttlMs } : {}),
    });
    return { f, redis, heard, adopted };
  };

  it("takes a dead holder's tiles with its checkpoints, only once its key is gone; two survivors racing take each tile once", async () => {
    const prefix = 'tessera:fo:';
    const admin = connect();
    const l1 = new RedisLeaseTable({ redis: connect(), node: 'n1', prefix });
    const tiles = ['0,0,0', '1,0,0', '2,0,0', '0,0,1'];
    for (const t of tiles) expect((await decision((d) => l1.grant(t, 0, d))).granted).toBe(true);
    const store = new RedisWorldData({ redis: connect(), node: 'n1' });
    await store.save('fo', tiles.slice(0, 3).map((t, i) => { const [x, y, z] = t.split(',').map(Number) as [number, number, number]; return { tile: { x, y, z }, tick: 100 + i, snapshot: new Uint8Array([i]), epoch: 1 }; }), 1);
    await admin.set(`${prefix}node:n1`, '{}', 'PX', 60_000);
    let members = live('n1', 'n2', 'n3');
    const a = failover(prefix, 'n2', () => members);
    const b = failover(prefix, 'n3', () => members);
    // n1 lives: nothing to take.
    expect(await a.f.pass()).toEqual([]);
    // The others see n1 gone while its key is still there (a beat they missed): the script refuses.
    members = live('n2', 'n3');
    expect(await a.f.pass()).toEqual([]);
    expect(a.adopted).toEqual([]);
    for (const t of tiles) expect(await admin.hget(`${prefix}lease:${t}`, 'n')).toBe('n1');
    // Its key expires: both look at once; each tile is taken once, at epoch 2, all by one node (kept together).
    await admin.del(`${prefix}node:n1`);
    const [ta, tb] = await Promise.all([a.f.pass(), b.f.pass()]);
    const taken = [...ta, ...tb];
    expect(taken.map((t) => t.tile).sort()).toEqual([...tiles].sort());
    expect(new Set(taken.map((t) => t.epoch))).toEqual(new Set([2]));
    expect(ta.length === 0 || tb.length === 0).toBe(true);
    const taker = ta.length > 0 ? a : b;
    const name = ta.length > 0 ? 'n2' : 'n3';
    for (const t of tiles) expect(await admin.hgetall(`${prefix}lease:${t}`)).toEqual({ e: '2', n: name, o: '0' });
    expect(taker.heard.map(([t, e]) => [t, e.node, e.epoch]).sort()).toEqual(tiles.map((t) => [t, name, 2]).sort());
    // Each with its checkpoint (the one never saved, without).
    const byTile = new Map(taker.adopted.map((x) => [`${x.tile.x},${x.tile.y},${x.tile.z}`, x]));
    expect(byTile.get('0,0,0')?.checkpoint?.tick).toBe(100);
    expect(byTile.get('2,0,0')?.checkpoint?.snapshot).toEqual(new Uint8Array([2]));
    expect(byTile.get('0,0,1')?.checkpoint).toBeUndefined();
    // n1's saves are fenced off now; a later look takes nothing more.
    expect((await store.save('fo', [{ tile: { x: 0, y: 0, z: 0 }, tick: 200, snapshot: new Uint8Array([9]), epoch: 1 }], 2)).length).toBe(1);
    expect([...(await a.f.pass()), ...(await b.f.pass())]).toEqual([]);
  });

  it('after its connection comes back (Redis restarted), a node takes nothing over for a TTL: the live nodes beat again first', async () => {
    const prefix = 'tessera:quiet:';
    const admin = connect();
    const l1 = new RedisLeaseTable({ redis: connect(), node: 'q1', prefix });
    expect((await decision((d) => l1.grant('5,0,0', 0, d))).granted).toBe(true);
    const a = failover(prefix, 'q2', () => live('q2'), 400);
    await a.redis.ping(); // connected once
    // q1's key is gone (lapsed while Redis was down) as q2 reconnects.
    a.redis.emit('ready');
    const quietFrom = performance.now();
    expect(await a.f.pass()).toEqual([]);
    // Had q1 beaten again meanwhile it would keep its tile; it does not: taken once the TTL is over, not before.
    let taken: Awaited<ReturnType<Failover['pass']>> = [];
    while (taken.length === 0) {
      taken = await a.f.pass();
      if (taken.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(performance.now() - quietFrom).toBeGreaterThanOrEqual(400);
    expect(taken.map((t) => [t.tile, t.from, t.epoch])).toEqual([['5,0,0', 'q1', 2]]);
    expect(await admin.hget(`${prefix}lease:5,0,0`, 'n')).toBe('q2');
  });
});
