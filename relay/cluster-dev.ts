// `npm run cluster`: a cluster to try on one machine. A redis-server (from PATH, append-only
// file on, its data in a temporary folder), three relay nodes with --cluster on three ports,
// and the demo's dev server pointing at the first node. Ctrl-C stops everything.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'vite';

const firstPort = Number(process.env['TESSERA_PORT'] ?? 8787);
const demoPort = Number(process.env['TESSERA_DEMO_PORT'] ?? 5173);
const nodes = ['n1', 'n2', 'n3'];

if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('npm run cluster needs redis-server on PATH (Redis 7). On Debian or Ubuntu install the package redis-server:\n\n  sudo apt-get install -y redis-server\n');
  process.exit(1);
}

const children: ChildProcess[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'tessera-cluster-redis-'));
let stopping = false;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no free port'))));
    });
  });
}

/** Starts a child whose output lines are prefixed with its name; resolves once a line contains `ready`. */
function start(name: string, cmd: string, args: string[], ready: string): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const onLine = (line: string): void => {
      if (line.length > 0) console.log(`[${name}] ${line}`);
      if (line.includes(ready)) resolve(child);
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.on('data', (b: Buffer) => {
        const lines = (rest + b.toString()).split('\n');
        rest = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    child.once('exit', (code, signal) => {
      if (!stopping) {
        console.error(`[${name}] exited (${signal ?? `code ${code}`}): stopping the cluster`);
        void stop(1);
      }
      reject(new Error(`${name} exited before it was ready`));
    });
  });
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\n  stopping the cluster…');
  await vite?.close();
  // The relay nodes first (they leave the membership), then Redis.
  const exited = (c: ChildProcess): Promise<void> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r())));
  const relays = children.slice(1);
  for (const c of relays) c.kill('SIGTERM');
  await Promise.race([Promise.all(relays.map(exited)), new Promise((r) => setTimeout(r, 5000))]);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(c === children[0] ? 'SIGTERM' : 'SIGKILL');
  if (children[0]) await exited(children[0]);
  rmSync(dataDir, { recursive: true, force: true });
  console.log('  stopped: redis, three nodes and the demo server.');
  process.exit(code);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

let vite: Awaited<ReturnType<typeof createServer>> | undefined;
try {
  const redisPort = await freePort();
  await start('redis', 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--appendonly', 'yes', '--save', '', '--dir', dataDir], 'Ready to accept connections');
  const url = `redis://127.0.0.1:${redisPort}`;
  const cli = new URL('./cli.ts', import.meta.url).pathname;
  // One after the other: the first node takes the world's starting tiles.
  for (const [i, node] of nodes.entries()) {
    await start(node, process.execPath, ['--import', 'tsx', cli, 'relay', '--cluster', url, '--node-id', node, '--port', String(firstPort + i), '--memory-only'], '"relay listening"');
  }
  process.env['VITE_TESSERA_RELAY_PORT'] = String(firstPort);
  vite = await createServer({ configFile: new URL('../vite.config.ts', import.meta.url).pathname, server: { port: demoPort, strictPort: true } });
  await vite.listen();
  console.log(`\n  Tessera cluster: redis ${url} (appendonly yes, data in ${dataDir})`);
  nodes.forEach((n, i) => console.log(`  node ${n}:         ws://127.0.0.1:${firstPort + i}/   dashboard http://127.0.0.1:${firstPort + i}/dashboard`));
  console.log(`  demo (on ${nodes[0]}): http://127.0.0.1:${demoPort}/   (each tab is a player)`);
  console.log('  Ctrl-C stops everything.\n');
} catch (e) {
  console.error(`npm run cluster: ${e instanceof Error ? e.message : String(e)}`);
  await stop(1);
}
