import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { leaseSigningBytes, verifyLease, type TileLease } from '../../../src/index.js';
import { joinCluster, type ClusterNode } from '../../../relay/cluster/cluster-node.js';
import type { RelayLog } from '../../../relay/relay-core.js';
import { describeWithRedis, startRedis, type TestRedis } from '../redis-server.js';

type Logged = Parameters<RelayLog>[0];

function pem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

async function until(ok: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describeWithRedis('joinCluster (real redis-server)', () => {
  let redis: TestRedis;
  let admin: Redis;
  const nodes: ClusterNode[] = [];
  const join1 = async (node: string, world: string, logs: Logged[], leaseKeyPem?: string, url = redis.url): Promise<ClusterNode> => {
    const n = await joinCluster({ url, node, ...(leaseKeyPem !== undefined ? { leaseKeyPem } : {}) }, world, (e) => logs.push(e));
    nodes.push(n);
    return n;
  };
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const n of nodes) await n.close();
    admin?.disconnect();
    await redis?.stop();
  });

  it('every node signs with the cluster key: a lease granted by node B verifies with the key node A gives its players', async () => {
    const a = await join1('a', 'keys', []);
    const b = await join1('b', 'keys', []);
    expect(Buffer.from(b.signer.publicKey)).toEqual(Buffer.from(a.signer.publicKey));
    const body = { tile: { x: 1, y: 0, z: 2 }, owner: 7, epoch: 3, fromTick: 10, expiresTick: 250 };
    const lease: TileLease = { ...body, signature: b.signer.sign(leaseSigningBytes(body)) };
    expect(verifyLease(lease, a.signer.publicKey)).toBe(true);
    expect(verifyLease({ ...lease, epoch: 4 }, a.signer.publicKey)).toBe(false);
    expect(await admin.get('tessera:keys:lease-key:public')).toBe(Buffer.from(a.signer.publicKey).toString('base64'));
  });

  it('a Redis that lost the key gets it back from a running node, not a new one from the next node', async () => {
    const a = await join1('a', 'lost', []);
    await a.start(() => ({ players: 0, tiles: 0 }));
    await admin.del('tessera:lost:lease-key:public', 'tessera:lost:lease-key:private');
    await until(async () => (await admin.get('tessera:lost:lease-key:public')) !== null);
    const c = await join1('c', 'lost', []);
    expect(Buffer.from(c.signer.publicKey)).toEqual(Buffer.from(a.signer.publicKey));
  });

  it('with --lease-key every node must be given the same key, and Redis keeps only its public half', async () => {
    const key = pem();
    const a = await join1('a', 'given', [], key);
    const b = await join1('b', 'given', [], key);
    expect(Buffer.from(b.signer.publicKey)).toEqual(Buffer.from(a.signer.publicKey));
    expect(await admin.exists('tessera:given:lease-key:private')).toBe(0);
    await expect(join1('c', 'given', [], pem())).rejects.toThrow("this node's --lease-key differs from the cluster's");
    await expect(join1('d', 'given', [])).rejects.toThrow('give this node the same --lease-key');
  });

  it('player ids come from the world counter: two nodes give different ones', async () => {
    const a = await join1('a', 'ids', []);
    const b = await join1('b', 'ids', []);
    const given = [a.peerIds.next(), b.peerIds.next(), a.peerIds.next(), b.peerIds.next()];
    expect(given.every((p) => p !== undefined && p > 0)).toBe(true);
    expect(new Set(given).size).toBe(4);
  });

  it('warns, when Redis does not persist, that epochs restart with it; says nothing of it when appendonly is on', async () => {
    const off: Logged[] = [];
    await join1('a', 'aof', off);
    const warned = off.find((l) => l.msg === 'cluster redis does not persist: epochs restart when Redis restarts');
    expect(warned?.level).toBe('warn');
    expect(String(warned?.['reason'])).toContain("'appendonly yes'");
    const dir = mkdtempSync(join(tmpdir(), 'tessera-aof-'));
    const aof = await startRedis(['--appendonly', 'yes', '--dir', dir]);
    try {
      const on: Logged[] = [];
      await join1('a', 'aof', on, undefined, aof.url);
      expect(on.some((l) => l.msg === 'cluster redis persists (appendonly yes)')).toBe(true);
      expect(on.filter((l) => l.level === 'warn')).toEqual([]);
      await nodes.pop()!.close();
    } finally {
      await aof.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
