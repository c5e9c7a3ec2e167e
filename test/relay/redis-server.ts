// Test-side Redis: each test file starts its own redis-server on a free localhost port (never the
// system service on 6379), and tests that need one are skipped only when redis-server is missing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe } from 'vitest';
import { Redis } from 'ioredis';

/** Whether `redis-server` is on PATH. */
export const HAS_REDIS_SERVER = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/** Says why Redis tests are skipped, once per file that would have run them. */
export function describeWithRedis(name: string, body: () => void): void {
  if (!HAS_REDIS_SERVER) console.warn(`[skip] ${name}: redis-server is not on PATH (install the Debian package redis-server: apt-get install -y redis-server)`);
  describe.skipIf(!HAS_REDIS_SERVER)(name, body);
}

/** A redis-server this test started; `stop()` kills it. */
export interface TestRedis {
  /** Its TCP port on 127.0.0.1. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Its process id (to pause it with SIGSTOP, say). */
  readonly pid: number;
  /** Stops it (SIGKILL when `hard`) and waits for it to exit. */
  stop(hard?: boolean): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts a redis-server without persistence (unless `extraArgs` say otherwise) on a free port (or the `--port` in `extraArgs`). */
export async function startRedis(extraArgs: readonly string[] = []): Promise<TestRedis> {
  const given = extraArgs.indexOf('--port');
  for (let attempt = 0; ; attempt++) {
    const port = given >= 0 ? Number(extraArgs[given + 1]) : await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    const ready = await new Promise<boolean>((resolve) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('Ready to accept connections')) resolve(true);
      });
      child.once('exit', () => resolve(false));
    });
    if (ready) return handle(child, port);
    if (attempt >= 3) throw new Error(`redis-server did not start on port ${port}`);
  }
}

function handle(child: ChildProcess, port: number): TestRedis {
  return {
    port,
    pid: child.pid!,
    url: `redis://127.0.0.1:${port}`,
    stop: (hard = false) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(hard ? 'SIGKILL' : 'SIGTERM');
      }),
  };
}

/**
 * A redis-server for the enclosing suite (started before its tests, stopped after) and
 * `connect()`, which opens a connection to it that is closed with the server.
 */
export function redisForSuite(): { connect(): Redis; readonly url: string } {
  let redis: TestRedis | undefined;
  const connections: Redis[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of connections) c.disconnect();
    await redis?.stop();
  });
  return {
    connect(): Redis {
      const r = new Redis(redis!.url);
      connections.push(r);
      return r;
    },
    get url(): string {
      return redis!.url;
    },
  };
}
