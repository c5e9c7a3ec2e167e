import { expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisWorldData } from '../../../relay/store/redis-world-data.js';
import { RedisWorldStore } from '../../../relay/store/redis-world-store.js';
import { RedisLeaseTable } from '../../../relay/leases/redis-lease-table.js';
import { decision } from '../../../relay/leases/lease-table.js';
import type { TileCheckpoint } from '../../../relay/store/world-storage.js';
import { describeWithRedis, redisForSuite } from '../redis-server.js';

const cp = (x: number, tick: number, epoch: number | undefined, byte: number): TileCheckpoint => ({ tile: { x, y: 0, z: 0 }, tick, snapshot: new Uint8Array([byte, byte]), ...(epoch !== undefined ? { epoch } : {}) });

describeWithRedis('saves fenced by lease epoch (real redis-server)', () => {
  const redis = redisForSuite();
  const connect = (): Redis => redis.connect();

  it("a node writes a tile's checkpoint only while it holds the tile at that epoch; a stale node's save is refused and changes nothing", async () => {
    const prefixOf = (w: string): string => `tessera:${w}:`;
    const l1 = new RedisLeaseTable({ redis: connect(), node: 'n1', prefix: prefixOf('fence') });
    const l2 = new RedisLeaseTable({ redis: connect(), node: 'n2', prefix: prefixOf('fence') });
    const s1 = new RedisWorldData({ redis: connect(), node: 'n1', prefixOf });
    const s2 = new RedisWorldData({ redis: connect(), node: 'n2', prefixOf });
    expect((await decision((d) => l1.grant('0,0,0', 0, d))).granted).toBe(true);
    expect((await decision((d) => l1.grant('1,0,0', 0, d))).granted).toBe(true);
    // n1 holds both at epoch 1: both written, and `applied`.
    expect(await s1.save('fence', [cp(0, 10, 1, 1), cp(1, 10, 1, 1)], 1000, { a: '1' })).toEqual([]);
    expect((await s1.load('fence')).map((c) => [c.tile.x, c.tick])).toEqual([[0, 10], [1, 10]]);
    // Tile 0 goes to n2 at epoch 2 (as a takeover would); n2 saves it.
    expect((await decision((d) => l2.transfer('0,0,0', 1, 0, 2, d))).granted).toBe(true);
    expect(await s2.save('fence', [cp(0, 20, 2, 2)], 2000)).toEqual([]);
    // n1, stale, saves both again: tile 0 is refused (n2 holds it at 2), tile 1 written.
    const refused = await s1.save('fence', [cp(0, 30, 1, 3), cp(1, 30, 1, 3)], 3000, { a: '3' });
    expect(refused).toEqual([{ tile: { x: 0, y: 0, z: 0 }, epoch: 1, holder: { node: 'n2', epoch: 2 } }]);
    const stored = await s1.load('fence');
    expect(stored.map((c) => [c.tile.x, c.tick, c.snapshot[0]])).toEqual([[0, 20, 2], [1, 30, 3]]);
    // A checkpoint of the right node at an older epoch, or with no epoch, is refused too.
    expect((await s2.save('fence', [cp(0, 40, 1, 4)], 4000)).map((r) => r.holder)).toEqual([{ node: 'n2', epoch: 2 }]);
    expect((await s2.save('fence', [cp(0, 40, undefined, 4)], 4000)).map((r) => r.epoch)).toEqual([-1]);
    // Every tile refused: `applied` and `saved-at` are left as the last real save wrote them.
    const admin = connect();
    expect(await admin.hget('tessera:fence:doc', 'saved-at')).toBe('3000');
    expect((await s1.load('fence'))[0]!.tick).toBe(20);
    // An unfenced store (a tool) writes everything.
    const free = new RedisWorldData({ redis: connect(), prefixOf });
    expect(await free.save('fence', [cp(0, 50, undefined, 5)], 5000)).toEqual([]);
    expect((await free.load('fence'))[0]!.tick).toBe(50);
  });

  it('RedisWorldStore (the relay thread\'s, through its worker) answers the refused tiles', async () => {
    const prefix = 'tessera:sync:';
    const l1 = new RedisLeaseTable({ redis: connect(), node: 'a', prefix });
    const l2 = new RedisLeaseTable({ redis: connect(), node: 'b', prefix });
    expect((await decision((d) => l1.grant('2,0,0', 0, d))).granted).toBe(true);
    const store = await RedisWorldStore.open({ url: redis.url, node: 'a' });
    try {
      expect(store.save('sync', [cp(2, 5, 1, 9)], 1)).toEqual([]);
      expect((await decision((d) => l2.transfer('2,0,0', 1, 0, 2, d))).granted).toBe(true);
      expect(store.save('sync', [cp(2, 6, 1, 8)], 2)).toEqual([{ tile: { x: 2, y: 0, z: 0 }, epoch: 1, holder: { node: 'b', epoch: 2 } }]);
      expect(store.load('sync').map((c) => c.tick)).toEqual([5]);
    } finally {
      await store.close();
    }
  });
});
