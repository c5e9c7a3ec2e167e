// A cluster's lease changes as a relay thread waits for them: three nodes (each its own
// `BlockingRedisLeaseTable`, its own worker and connection) on one redis-server with the
// append-only file on, as "Running a cluster" deploys it. Each round, one node grants a fresh
// tile and the next node takes it over (a handoff between players of different nodes): both are
// compare-and-set scripts in Redis, and the time is what the granting node's relay thread waits.
// And a node killed with SIGKILL: how long until a survivor simulates its tiles again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockingRedisLeaseTable } from '../relay/leases/blocking-redis-lease-table.js';
import type { LeaseDecision } from '../relay/leases/lease-table.js';
import { Redis } from 'ioredis';
import { clusterPrefix } from '../relay/cluster/cluster-node.js';
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

/** A dead node's tiles taken over: what `clusterNodeFailover` measured. */
export interface ClusterFailoverFigures {
  /** From `kill -9` of the node holding every tile to the last of them simulated again by a survivor, s. */
  readonly failoverS: number;
  /** Tiles taken over. */
  readonly tiles: number;
  /** How long the survivor took to adopt them (restore and catch up to now), ms. */
  readonly adoptMs: number;
}

/**
 * Three relay processes (`tessera relay --cluster`, world in Redis) on one redis-server; the
 * first holds every tile. Once it has checkpointed them, it is killed with SIGKILL, and the time
 * is taken until a survivor logs the last of its tiles taken over (leased, restored from its
 * checkpoint, caught up to now): detection (its membership key's 3 s TTL), the takeover and the
 * adoption. Undefined (and why, on stderr) when redis-server is missing.
 */
export async function clusterNodeFailover(): Promise<ClusterFailoverFigures | undefined> {
  if (!HAS_REDIS_SERVER) {
    console.error('cluster failover: skipped, redis-server is not on PATH (Debian package redis-server)');
    return undefined;
  }
  const redis = await startRedis();
  const cli = new URL('../relay/cli.ts', import.meta.url).pathname;
  const world = `failover${process.pid}`;
  const nodes: { child: ChildProcess; lines: Record<string, unknown>[] }[] = [];
  const start = (id: string): { child: ChildProcess; lines: Record<string, unknown>[] } => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'relay', '--port', '0', '--audit-inline', '--cluster', redis.url, '--node-id', id, '--world', world], { stdio: ['ignore', 'pipe', 'ignore'] });
    const n = { child, lines: [] as Record<string, unknown>[] };
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => {
      const parts = (partial + String(d)).split('\n');
      partial = parts.pop()!;
      for (const l of parts) if (l.trim() !== '') n.lines.push(JSON.parse(l) as Record<string, unknown>);
    });
    nodes.push(n);
    return n;
  };
  const until = async (what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<void> => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`cluster failover bench: ${what} not in time`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const admin = new Redis(redis.url);
  try {
    const listening = (n: { lines: Record<string, unknown>[] }): boolean => n.lines.some((l) => l['msg'] === 'relay listening');
    const first = start('b1');
    await until('the first node', () => listening(first), 60_000);
    const rest = [start('b2'), start('b3')];
    await until('the other nodes', () => rest.every(listening), 60_000);
    const tiles = (await admin.keys(`${clusterPrefix(world)}lease:*`)).length;
    await until('every tile checkpointed', async () => (await admin.hlen(`${clusterPrefix(world)}checkpoints`)) === tiles, 30_000);
    const gone = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    await gone;
    const takenLines = (): Record<string, unknown>[] => rest.flatMap((n) => n.lines.filter((l) => l['msg'] === 'tiles taken over'));
    await until('every tile taken over', () => takenLines().reduce((k, l) => k + (l['tiles'] as unknown[]).length, 0) >= tiles, 30_000);
    const lines = takenLines();
    const doneAt = Math.max(...lines.map((l) => Date.parse(String(l['time']))));
    return { failoverS: (doneAt - killedAt) / 1000, tiles, adoptMs: lines.reduce((s, l) => s + Number(l['adoptMs']), 0) };
  } finally {
    admin.disconnect();
    for (const n of nodes) if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
    await redis.stop();
  }
}
