import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RELAY_PEER, SeededRng } from '../../../src/index.js';
import { RedisLeaseTable } from '../../../relay/leases/redis-lease-table.js';
import { decision, type LeaseDecision, type LeaseEntry } from '../../../relay/leases/lease-table.js';
import { describeWithRedis, startRedis, type TestRedis } from '../redis-server.js';

async function connect(url: string): Promise<Redis> {
  const r = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  await r.connect();
  return r;
}

describeWithRedis('RedisLeaseTable (real redis-server)', () => {
  let redis: TestRedis;
  const conns: Redis[] = [];
  const node = async (id: string, prefix: string): Promise<RedisLeaseTable> => {
    const c = await connect(redis.url);
    conns.push(c);
    return new RedisLeaseTable({ redis: c, node: id, prefix });
  };
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of conns) c.disconnect();
    await redis?.stop();
  });

  it('grants, transfers, renews and releases with compare-and-set on the epoch; the answer updates the node’s view', async () => {
    const a = await node('a', 'basic:');
    const b = await node('b', 'basic:');
    expect(await decision((d) => a.grant('0,0,0', RELAY_PEER, d))).toEqual({ granted: true, entry: { node: 'a', owner: RELAY_PEER, epoch: 1 } });
    expect(a.get('0,0,0')).toEqual({ node: 'a', owner: RELAY_PEER, epoch: 1 });
    // b has not seen it: its grant is refused and tells it who holds the tile.
    expect(b.get('0,0,0')).toBeUndefined();
    expect(await decision((d) => b.grant('0,0,0', 4, d))).toEqual({ granted: false, reason: 'held', current: { node: 'a', owner: RELAY_PEER, epoch: 1 } });
    expect(b.get('0,0,0')).toEqual({ node: 'a', owner: RELAY_PEER, epoch: 1 });
    // b takes it over from epoch 1 (a dead node's tile); a's lease at epoch 1 is over.
    expect(await decision((d) => b.transfer('0,0,0', 1, 4, 2, d))).toEqual({ granted: true, entry: { node: 'b', owner: 4, epoch: 2 } });
    expect(await decision((d) => a.renew('0,0,0', RELAY_PEER, 1, d))).toEqual({ granted: false, reason: 'not-holder', current: { node: 'b', owner: 4, epoch: 2 } });
    // A stale node: a still bases a change on epoch 1 — refused, and its view moves on.
    expect(await decision((d) => a.transfer('0,0,0', 1, 7, 3, d))).toMatchObject({ granted: false, reason: 'stale-epoch', current: { node: 'b', epoch: 2 } });
    expect(a.get('0,0,0')).toEqual({ node: 'b', owner: 4, epoch: 2 });
    // Epochs never stay or go back.
    expect(await decision((d) => a.transfer('0,0,0', 2, 7, 2, d))).toMatchObject({ granted: false, reason: 'stale-epoch' });
    // Only the holder renews or releases; a released tile is granted at a newer epoch.
    expect(await decision((d) => a.release('0,0,0', 4, 2, d))).toMatchObject({ granted: false, reason: 'not-holder' });
    expect((await decision((d) => b.renew('0,0,0', 4, 2, d))).granted).toBe(true);
    expect((await decision((d) => b.release('0,0,0', 4, 2, d))).granted).toBe(true);
    expect(b.get('0,0,0')).toBeUndefined();
    expect(await decision((d) => a.grant('0,0,0', 9, d))).toEqual({ granted: true, entry: { node: 'a', owner: 9, epoch: 3 } });
    // refresh brings another node's change into a view.
    await b.refresh(['0,0,0', '5,5,5']);
    expect(b.get('0,0,0')).toEqual({ node: 'a', owner: 9, epoch: 3 });
    expect(b.get('5,5,5')).toBeUndefined();
  });

  it('three nodes racing for the same tiles 1,000 times: never two holders in one epoch, epochs only grow, stale epochs refused', async () => {
    const nodes = [await node('n1', 'race:'), await node('n2', 'race:'), await node('n3', 'race:')];
    const tiles = ['0,0,0', '1,0,0', '0,0,1', '-1,2,0'];
    const rng = new SeededRng(15);
    const ROUNDS = 1000;
    /** Every grant or transfer Redis granted: who, at which epoch, from which. */
    const acquired = new Map<string, { node: string; epoch: number; from: number | undefined; round: number }[]>(tiles.map((t) => [t, []]));
    /** Per node and tile, the epochs of every answer in the order they came (an answer is the tile's state when its script ran). */
    const seenEpochs = new Map<string, number[]>();
    let stale = 0;
    let releases = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const asks: Promise<void>[] = [];
      for (const tile of tiles) {
        for (const [i, n] of nodes.entries()) {
          const view: LeaseEntry | undefined = n.get(tile);
          const peer = 1 + Math.floor(rng.next() * 50);
          const note = (d: LeaseDecision, from: number | undefined): void => {
            const e = d.granted ? d.entry.epoch : d.current?.epoch;
            if (e !== undefined) {
              const k = `${n.node} ${tile}`;
              seenEpochs.set(k, [...(seenEpochs.get(k) ?? []), e]);
            }
            if (!d.granted && d.reason === 'stale-epoch') stale++;
            if (d.granted && from !== -1) acquired.get(tile)!.push({ node: n.node, epoch: d.entry.epoch, from, round });
          };
          if (view && view.node === n.node && rng.next() < 0.15) {
            // The holder lets go now and then: the next grant must be newer still.
            asks.push(decision((d) => n.release(tile, view.owner, view.epoch, d)).then((d) => {
              if (d.granted) releases++;
              note(d, -1);
            }));
          } else if (!view) {
            asks.push(decision((d) => n.grant(tile, peer, d)).then((d) => note(d, undefined)));
          } else {
            const to = view.epoch + 1 + (i === 2 ? Math.floor(rng.next() * 3) : 0);
            asks.push(decision((d) => n.transfer(tile, view.epoch, peer, to, d)).then((d) => note(d, view.epoch)));
          }
        }
      }
      await Promise.all(asks);
    }
    let contested = 0;
    for (const tile of tiles) {
      const list = acquired.get(tile)!;
      // At most one node wins a tile per round: all base their change on the state before it.
      const perRound = new Map<number, number>();
      for (const a of list) perRound.set(a.round, (perRound.get(a.round) ?? 0) + 1);
      expect(Math.max(...perRound.values())).toBe(1);
      contested += perRound.size;
      // No epoch granted twice: never two holders in one epoch.
      const epochs = list.map((a) => a.epoch);
      expect(new Set(epochs).size).toBe(epochs.length);
      // In the order Redis granted them, epochs strictly grow and each transfer starts from the previous grant.
      const sorted = [...list].sort((x, y) => x.epoch - y.epoch);
      sorted.forEach((a, i) => {
        if (i > 0) expect(a.round).toBeGreaterThan(sorted[i - 1]!.round);
        if (a.from !== undefined) expect(a.from).toBe(i === 0 ? 0 : sorted[i - 1]!.epoch);
      });
      // Redis ends at the newest grant.
      const fresh = await nodes[0]!.refresh([tile]).then(() => conns[0]!.hget(`race:lease:${tile}`, 'e'));
      expect(Number(fresh)).toBe(sorted.at(-1)!.epoch);
    }
    // What each node saw of a tile never went back.
    for (const seq of seenEpochs.values()) for (let i = 1; i < seq.length; i++) expect(seq[i]!).toBeGreaterThanOrEqual(seq[i - 1]!);
    // The race was real: most rounds had a winner and two losers refused for a stale epoch or a held tile.
    expect(contested).toBeGreaterThan(ROUNDS * tiles.length * 0.8);
    expect(stale).toBeGreaterThan(ROUNDS);
    expect(releases).toBeGreaterThan(50);
  });

  it('refuses every change, and changes nothing in the node’s view, while Redis is unreachable', async () => {
    const own = await startRedis();
    const c = await connect(own.url);
    const errors: Error[] = [];
    c.on('error', (e: Error) => errors.push(e)); // the client reports the lost connection
    const t = new RedisLeaseTable({ redis: c, node: 'a', prefix: 'down:' });
    expect((await decision((d) => t.grant('0,0,0', 3, d))).granted).toBe(true);
    await own.stop(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(await decision((d) => t.transfer('0,0,0', 1, 5, 2, d))).toEqual({ granted: false, reason: 'unreachable', current: { node: 'a', owner: 3, epoch: 1 } });
    expect(await decision((d) => t.grant('1,0,0', 5, d))).toMatchObject({ granted: false, reason: 'unreachable' });
    expect(t.get('0,0,0')).toEqual({ node: 'a', owner: 3, epoch: 1 });
    expect(t.get('1,0,0')).toBeUndefined();
    expect(errors.length).toBeGreaterThan(0);
    c.disconnect();
  });

  it('with appendonly yes, epochs survive a Redis killed and started again (without it they would start from 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-aof-'));
    const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    let own = await startRedis(args);
    try {
      const open = async (url = own.url): Promise<RedisLeaseTable> => {
        const c = await connect(url);
        conns.push(c);
        return new RedisLeaseTable({ redis: c, node: 'a', prefix: 'aof:' });
      };
      const a = await open();
      expect(await decision((d) => a.grant('0,0,0', 1, d))).toMatchObject({ granted: true, entry: { epoch: 1 } });
      expect(await decision((d) => a.release('0,0,0', 1, 1, d))).toMatchObject({ granted: true });
      const url = own.url; // the restarted server's handle names its first, overridden port
      await own.stop(true); // kill -9
      own = await startRedis(['--port', String(own.port), ...args]);
      const again = await open(url);
      expect(await decision((d) => again.grant('0,0,0', 2, d))).toMatchObject({ granted: true, entry: { epoch: 2 } });
    } finally {
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
