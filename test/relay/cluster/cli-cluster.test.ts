import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { decodeMessage, encodeMessage, MsgType, PROTOCOL_VERSION, RosterView, type Message } from '../../../src/index.js';
import { describeWithRedis, startRedis, type TestRedis } from '../redis-server.js';

const cli = new URL('../../../relay/cli.ts', import.meta.url).pathname;

interface Run {
  readonly child: ChildProcess;
  readonly lines: string[];
  stderr: string;
  readonly exited: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'relay', '--port', '0', '--memory-only', '--audit-inline', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Run = { child, lines: [], stderr: '', exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (d: Buffer) => r.lines.push(...String(d).split('\n').filter(Boolean)));
  child.stderr!.on('data', (d: Buffer) => (r.stderr += String(d)));
  return r;
}

async function logged(r: Run, msg: string, ms = 30_000): Promise<Record<string, unknown>> {
  const end = Date.now() + ms;
  for (;;) {
    const line = r.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === msg);
    if (line) return line;
    if (Date.now() > end || r.child.exitCode !== null) throw new Error(`no "${msg}" logged; stderr: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** A localhost port nothing listens on. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

describe('tessera relay --cluster: flags', () => {
  it('exits with a clear error when Redis is unreachable, or the flags are wrong', async () => {
    const port = await closedPort();
    const down = run(['--cluster', `redis://127.0.0.1:${port}`, '--node-id', 'n1']);
    expect(await down.exited).toBe(64);
    expect(down.stderr).toContain(`tessera: Redis at redis://127.0.0.1:${port} is unreachable`);
    const noCluster = run(['--node-id', 'n1']);
    expect(await noCluster.exited).toBe(64);
    expect(noCluster.stderr).toContain('--node-id needs --cluster');
    const keyAlone = run(['--lease-key', '/nonexistent.pem']);
    expect(await keyAlone.exited).toBe(64);
    expect(keyAlone.stderr).toContain('--lease-key needs --cluster');
    const badUrl = run(['--cluster', 'http://127.0.0.1:6379']);
    expect(await badUrl.exited).toBe(64);
    expect(badUrl.stderr).toContain('--cluster must be a redis:// or rediss:// URL');
    const badId = run(['--cluster', `redis://127.0.0.1:${port}`, '--node-id', 'a b']);
    expect(await badId.exited).toBe(64);
    expect(badId.stderr).toContain('--node-id must be');
    const withDir = run(['--cluster', `redis://127.0.0.1:${port}`, '--data-dir', '/tmp/unused']);
    expect(await withDir.exited).toBe(64);
    expect(withDir.stderr).toContain('--data-dir has no use with --cluster');
  }, 60_000);
});

describeWithRedis('tessera relay --cluster (real redis-server, two relay processes)', () => {
  let redis: TestRedis;
  let admin: Redis;
  const runs: Run[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const r of runs) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    admin?.disconnect();
    await redis?.stop();
  });

  it('nodes join the membership and share the leases: the first holds the tiles, the second is refused them; a killed node is gone within the TTL, a stopped one at once', async () => {
    const n1 = run(['--cluster', redis.url, '--node-id', 'n1']);
    runs.push(n1);
    expect((await logged(n1, 'joined cluster'))['members']).toEqual(['n1']);
    await logged(n1, 'relay listening');
    // The relay's starting tiles are n1's in Redis, at epoch 1.
    const keys = (await admin.keys('tessera:demo:lease:*')).sort();
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(await admin.hgetall(k)).toEqual({ e: '1', n: 'n1', o: '0' });
    const n2 = run(['--cluster', redis.url, '--node-id', 'n2']);
    runs.push(n2);
    expect((await logged(n2, 'joined cluster'))['members']).toEqual(['n1', 'n2']);
    await logged(n2, 'relay listening');
    // n2 asked for the same tiles and was refused every one: they stay n1's.
    expect(n2.lines.filter((l) => l.includes('"lease change refused"') && l.includes('"held"')).length).toBe(keys.length);
    for (const k of keys) expect(await admin.hget(k, 'n')).toBe('n1');
    const load = JSON.parse((await admin.get('tessera:demo:node:n1'))!) as { players: number; tiles: number; cpu: number };
    expect(load).toMatchObject({ players: 0, tiles: keys.length });
    // kill -9 n1: its key expires within the TTL (3 s) of its last beat (at most 1 s before the kill).
    n1.child.kill('SIGKILL');
    await n1.exited;
    expect(await admin.sismember('tessera:demo:nodes', 'n1')).toBe(1);
    await new Promise((r) => setTimeout(r, 3200));
    expect(await admin.exists('tessera:demo:node:n1')).toBe(0);
    expect(await admin.exists('tessera:demo:node:n2')).toBe(1);
    // n2 stopped cleanly leaves at once.
    n2.child.kill('SIGTERM');
    await n2.exited;
    expect(await admin.exists('tessera:demo:node:n2')).toBe(0);
    expect(await admin.sismember('tessera:demo:nodes', 'n2')).toBe(0);
  }, 120_000);

  it('two relay processes: players joined to different nodes see each other, and signal and relay through Redis', async () => {
    const n1 = run(['--cluster', redis.url, '--node-id', 'p1', '--world', 'cross']);
    runs.push(n1);
    const url1 = String((await logged(n1, 'relay listening'))['url']);
    const n2 = run(['--cluster', redis.url, '--node-id', 'p2', '--world', 'cross']);
    runs.push(n2);
    const url2 = String((await logged(n2, 'relay listening'))['url']);
    const join = async (url: string, name: string): Promise<{ ws: WebSocket; got: Message[]; send: (m: Message) => void }> => {
      const ws = new WebSocket(url);
      const got: Message[] = [];
      ws.on('message', (b: Buffer) => {
        try {
          got.push(decodeMessage(new Uint8Array(b), 16, Number.MAX_SAFE_INTEGER));
        } catch {
          // chunks of big messages are not needed here
        }
      });
      await new Promise((r) => ws.once('open', r));
      const send = (m: Message): void => ws.send(encodeMessage(m, 16, Number.MAX_SAFE_INTEGER));
      send({ type: MsgType.Hello, version: PROTOCOL_VERSION, world: 'cross', name, token: '' });
      return { ws, got, send };
    };
    const until = async (ok: () => boolean, what: string): Promise<void> => {
      const end = Date.now() + 20_000;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`not in time: ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const alice = await join(url1, 'alice');
    const bob = await join(url2, 'bob');
    const idOf = (c: { got: Message[] }): number | undefined => c.got.find((m): m is Extract<Message, { type: typeof MsgType.Welcome }> => m.type === MsgType.Welcome)?.peer;
    await until(() => idOf(alice) !== undefined && idOf(bob) !== undefined, 'welcomes');
    const [a, b] = [idOf(alice)!, idOf(bob)!];
    expect(a).not.toBe(b);
    // The roster a client would hold now: the last full `Roster`, then the `RosterDelta`s after it.
    const roster = (c: { got: Message[] }): string => {
      const view = new RosterView();
      for (const m of c.got) if (m.type === MsgType.Roster || m.type === MsgType.RosterDelta) view.apply(m);
      return JSON.stringify(view.players().map((p) => p.name));
    };
    await until(() => roster(alice) === roster(bob) && roster(bob) === JSON.stringify(a < b ? ['alice', 'bob'] : ['bob', 'alice']), 'both rosters list both');
    alice.send({ type: MsgType.Signal, peer: b, data: 'offer' });
    await until(() => bob.got.some((m) => m.type === MsgType.Signal && m.peer === a && m.data === 'offer'), 'the signal crossed');
    bob.send({ type: MsgType.Forward, to: a, reliable: true, payload: new Uint8Array([9, 8, 7]) });
    await until(() => alice.got.some((m) => m.type === MsgType.Forwarded && m.from === b && m.payload.join() === '9,8,7'), 'the relayed payload crossed');
    alice.ws.close();
    bob.ws.close();
    n1.child.kill('SIGTERM');
    n2.child.kill('SIGTERM');
    await Promise.all([n1.exited, n2.exited]);
  }, 120_000);
});
