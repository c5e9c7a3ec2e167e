// A cluster's lease changes as a relay thread waits for them: three nodes (each its own
// `BlockingRedisLeaseTable`, its own worker and connection) on one redis-server with the
// append-only file on, as "Running a cluster" deploys it. Each round, one node grants a fresh
// tile and the next node takes it over (a handoff between players of different nodes): both are
// compare-and-set scripts in Redis, and the time is what the granting node's relay thread waits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockingRedisLeaseTable } from '../relay/leases/blocking-redis-lease-table.js';
import type { LeaseDecision } from '../relay/leases/lease-table.js';
import { HAS_REDIS_SERVER, startRedis } from '../test/relay/redis-server.js';

/** Lease changes of a three-node cluster, ms on the deciding node's thread. */
export interface ClusterLeaseFigures {
  readonly changes: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** `rounds` grants and as many cross-node handoffs; undefined (and why, on stderr) when redis-server is missing. */
export async function clusterLeaseGrantLatency(rounds: number): Promise<ClusterLeaseFigures | undefined> {
  if (!HAS_REDIS_SERVER) {
    console.error('cluster leases: skipped, redis-server is not on PATH (Debian package redis-server)');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cluster-bench-'));
  const redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir]);
  const nodes = await Promise.all(['a', 'b', 'c'].map((node) => BlockingRedisLeaseTable.open({ url: redis.url, node, prefix: `bench${process.pid}:` })));
  const ms: number[] = [];
  const decide = (change: (decided: (d: LeaseDecision) => void) => void): void => {
    let got: LeaseDecision | undefined;
    const t0 = performance.now();
    change((d) => (got = d));
    ms.push(performance.now() - t0);
    if (!got?.granted) throw new Error(`cluster bench: a lease change was refused (${got ? got.reason : 'no answer'})`);
  };
  try {
    for (let i = 0; i < rounds; i++) {
      const tile = `${i},0,0`;
      decide((d) => nodes[i % 3]!.grant(tile, 1, d));
      decide((d) => nodes[(i + 1) % 3]!.transfer(tile, 1, 2, 2, d));
    }
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  ms.splice(0, 6); // the first round of each node: scripts loaded, code compiled
  ms.sort((a, b) => a - b);
  const at = (q: number): number => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!;
  return { changes: ms.length, p50Ms: at(0.5), p99Ms: at(0.99) };
}
