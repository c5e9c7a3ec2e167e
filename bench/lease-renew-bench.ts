// How long a cluster node's relay thread waits to renew its tiles' leases in Redis, and how many
// script calls Redis runs for it: one call per tile, against one call for them all (`renewAll`).
// Starts its own redis-server on a free localhost port. `npx tsx bench/lease-renew-bench.ts [tiles] [rounds]`.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { BlockingRedisLeaseTable } from '../relay/leases/blocking-redis-lease-table.js';
import type { LeaseDecision } from '../relay/leases/lease-table.js';

const tiles = Number(process.argv[2] ?? 100);
const rounds = Number(process.argv[3] ?? 50);

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((resolve) => server.stdout!.on('data', (b: Buffer) => b.toString().includes('Ready to accept') && resolve()));
const url = `redis://127.0.0.1:${port}`;
const admin = new Redis(url);
const table = await BlockingRedisLeaseTable.open({ url, node: 'bench', prefix: 'bench:' });

const keys = Array.from({ length: tiles }, (_, i) => `${i},0,0`);
for (const k of keys) table.grant(k, 0, (d) => void (d.granted || console.error('grant refused', k)));

/** Script calls Redis has run so far (EVALSHA, and EVAL the first time a script is loaded). */
async function scriptCalls(): Promise<number> {
  const info = await admin.info('commandstats');
  let n = 0;
  for (const m of info.matchAll(/cmdstat_(evalsha|eval):calls=(\d+)/g)) n += Number(m[2]);
  return n;
}

function ok(d: LeaseDecision): void {
  if (!d.granted) throw new Error(`renewal refused: ${d.reason}`);
}

async function measure(name: string, round: () => void): Promise<void> {
  round(); // warm: scripts loaded, code compiled
  const before = await scriptCalls();
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    round();
    ms.push(performance.now() - t0);
  }
  const calls = ((await scriptCalls()) - before) / rounds;
  ms.sort((a, b) => a - b);
  const p = (q: number): number => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]! * 1000) / 1000;
  console.log(JSON.stringify({ way: name, tiles, rounds, script_calls_per_round: calls, relay_thread_ms_p50: p(0.5), relay_thread_ms_p99: p(0.99) }));
}

await measure('one renew per tile', () => {
  for (const k of keys) table.renew(k, 0, 1, ok);
});
if ('renewAll' in table && typeof table.renewAll === 'function') {
  const renewals = keys.map((tile) => ({ tile, owner: 0, epoch: 1 }));
  await measure('renewAll', () => table.renewAll(renewals, (_, d) => ok(d)));
}

await table.close();
admin.disconnect();
server.kill();
