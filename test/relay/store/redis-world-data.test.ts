import { expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisWorldData } from '../../../relay/store/redis-world-data.js';
import { describeWithRedis, redisForSuite } from '../redis-server.js';
import { keysOf, updatesOf } from './doc-updates.js';

/** The compaction script's call on a connection, to run something just before it. */
type Compacting = Redis & { tesseraCompact: (...args: unknown[]) => Promise<number> };

describeWithRedis('RedisWorldData compaction against other nodes (real redis-server)', () => {
  const redis = redisForSuite();
  const connect = (): Redis => redis.connect();

  it('an update another node appends between the read and the fold stays, after the folded one', async () => {
    const ra = connect() as Compacting;
    const a = new RedisWorldData({ redis: ra });
    const b = new RedisWorldData({ redis: connect() });
    await a.createWorld('between');
    for (const u of updatesOf('a', 10)) await a.appendUpdate('between', u);
    const late = updatesOf('b', 1)[0]!;
    const script = ra.tesseraCompact.bind(ra);
    ra.tesseraCompact = async (...args) => {
      await b.appendUpdate('between', late); // after a's read, before its script
      return script(...args);
    };
    const r = await a.compact('between');
    expect(r.after).toBeGreaterThan(0);
    const doc = await b.loadDocument('between');
    expect(doc?.updates).toHaveLength(2);
    expect(doc?.updates[1]).toEqual(late);
    expect(keysOf(doc!.updates)).toEqual([...Array.from({ length: 10 }, (_, i) => `a-${i}`), 'b-0'].sort());
    expect(await b.logSize('between')).toEqual({ count: 2, bytes: r.after + late.length });
  });

  it('of two nodes compacting at once, the one whose read is stale gives way and reads again: nothing folded twice, nothing lost', async () => {
    const ra = connect() as Compacting;
    const a = new RedisWorldData({ redis: ra });
    const b = new RedisWorldData({ redis: connect() });
    await a.createWorld('both');
    for (const u of updatesOf('a', 10)) await a.appendUpdate('both', u);
    const more = updatesOf('c', 3);
    const script = ra.tesseraCompact.bind(ra);
    let calls = 0;
    ra.tesseraCompact = async (...args) => {
      if (calls++ === 0) {
        // Between a's read and its script: b appends and compacts (a's read is now stale).
        for (const u of more) await b.appendUpdate('both', u);
        await b.compact('both');
      }
      return script(...args);
    };
    await a.compact('both');
    expect(calls).toBe(2); // refused once (the generation had moved), then done on a fresh read
    const doc = await b.loadDocument('both');
    expect(doc?.updates).toHaveLength(1);
    expect(keysOf(doc!.updates)).toEqual([...Array.from({ length: 10 }, (_, i) => `a-${i}`), 'c-0', 'c-1', 'c-2'].sort());
  });
});
