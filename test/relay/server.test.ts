import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeMessage, MsgType, openWebSocketLink, PROTOCOL_VERSION, tileKey, WorldClient, type WebSocketConstructor } from '../../src/index.js';
import { makeToken, startRelay, type RelayServer } from '../../relay/index.js';

// The relay over real sockets on 127.0.0.1, with in-process clients.

const running: { server: RelayServer | undefined; timers: ReturnType<typeof setInterval>[]; clients: WorldClient[] } = { server: undefined, timers: [], clients: [] };
afterEach(async () => {
  for (const t of running.timers) clearInterval(t);
  for (const c of running.clients) c.close();
  running.timers = [];
  running.clients = [];
  await running.server?.close();
  running.server = undefined;
});

const quiet = (): void => {};
const now = (): number => performance.timeOrigin + performance.now();

async function start(opts: Partial<Parameters<typeof startRelay>[0]> = {}): Promise<RelayServer> {
  running.server = await startRelay({ port: 0, log: quiet, ...opts });
  return running.server;
}

describe('a port that is in use', () => {
  it('rejects with an error naming the port; the relay already on it keeps answering', async () => {
    const first = await start();
    await expect(startRelay({ port: first.port, log: quiet })).rejects.toThrow(`port ${first.port} on 127.0.0.1 is in use (another relay still running?)`);
    // The first relay still answers.
    expect((await fetch(`http://127.0.0.1:${first.port}/healthz`)).ok).toBe(true);
  });
});

async function join(server: RelayServer, name: string, token = ''): Promise<WorldClient> {
  const link = await openWebSocketLink(server.url, WebSocket as unknown as WebSocketConstructor);
  const client = new WorldClient({ relay: link, world: 'demo', name, token, transport: 'relay', now });
  running.clients.push(client);
  running.timers.push(setInterval(() => client.update(), 4));
  await until(() => client.joined, 5000);
  return client;
}

async function until(done: () => boolean, ms: number): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function metric(server: RelayServer, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').at(-1)) : Number.NaN;
}

describe('relay server (real sockets)', () => {
  it('serves healthz and metrics, grants and moves leases with growing epochs, and simulates its own tiles', async () => {
    const server = await start();
    const health = (await (await fetch(`http://127.0.0.1:${server.port}/healthz`)).json()) as { ok: boolean; tick: number };
    expect(health.ok).toBe(true);
    const a = await join(server, 'alice');
    const b = await join(server, 'bob');
    const c = await join(server, 'carol');
    await until(() => [a, b, c].some((x) => x.stats().ownedTiles.length > 0), 5000);
    const epoch = (): number => server.core.directory().find((d) => tileKey(d.tile) === '0,0,0')!.epoch;
    const first = epoch();
    expect(first).toBeGreaterThanOrEqual(2); // relay (1) → a player (2)
    const owner = [a, b, c].find((x) => x.stats().ownedTiles.some((t) => tileKey(t) === '0,0,0'))!;
    // The owner walks away east (through tile 1,0,0 to 2,0,0): its old tile moves on, epochs grow.
    owner.send({ moveX: 1 });
    await until(() => epoch() > first, 10_000);
    expect(await metric(server, 'tessera_leases_granted_total')).toBeGreaterThanOrEqual(2);
    expect(await metric(server, 'tessera_peers')).toBe(3);
    // Every client sees every avatar.
    await until(() => [a, b, c].every((x) => [a, b, c].every((y) => x.entities().some((e) => e.id === y.avatar))), 5000);
    // The relay's own tiles run: its tick follows the clock.
    const t0 = (await (await fetch(`http://127.0.0.1:${server.port}/healthz`)).json()) as { tick: number };
    await new Promise((r) => setTimeout(r, 200));
    expect(server.core.ownWorld.tick).toBeGreaterThan(t0.tick);
  }, 30_000);

  it('refuses a stale-epoch update and garbage, counts them, and stays up', async () => {
    const server = await start();
    const a = await join(server, 'alice');
    await until(() => a.stats().ownedTiles.length > 0, 5000);
    const ws = new WebSocket(server.url);
    await new Promise((r) => ws.once('open', r));
    ws.send(encodeMessage({ type: MsgType.Hello, version: PROTOCOL_VERSION, world: 'demo', name: 'mallory', token: '' }, 16));
    await new Promise((r) => setTimeout(r, 100));
    ws.send(encodeMessage({ type: MsgType.Keyframe, tile: { x: 0, y: 0, z: 0 }, epoch: 1, tick: 5, snapshot: new Uint8Array(4) }, 16));
    ws.send(new Uint8Array([0xff, 1, 2, 3]));
    ws.send(encodeMessage({ type: MsgType.Welcome, peer: 9, world: 'x', config: server.core.config, serverTimeMs: 0, tickZeroMs: 0, avatar: 1, relayKey: new Uint8Array(32), role: 'player', kinds: [] }, 16));
    await until(() => server.core.metrics.staleEpochs >= 1, 2000);
    expect(await metric(server, 'tessera_stale_epochs_total')).toBeGreaterThanOrEqual(1);
    expect(server.core.metrics.refusedCount('decode')).toBeGreaterThanOrEqual(1);
    expect(server.core.metrics.refusedCount('type')).toBeGreaterThanOrEqual(1);
    // An oversized frame closes that socket only (ws enforces maxPayload).
    const closed = new Promise((r) => ws.once('close', r));
    ws.send(new Uint8Array(200 * 1024));
    await closed;
    const x0 = a.reportedPosition(a.avatar)!.position.x;
    a.send({ moveX: 1 });
    await until(() => a.reportedPosition(a.avatar)!.position.x > x0 + 0.5, 3000);
    expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).ok).toBe(true);
  }, 30_000);

  it('with --secret, accepts only signed unexpired tokens; with --origin, only allowed origins', async () => {
    const server = await start({ secret: 's3cret', origins: ['http://127.0.0.1:5173'] });
    const Origin = class extends WebSocket {
      constructor(url: string) {
        super(url, { origin: 'http://127.0.0.1:5173' });
      }
    };
    const ok = await openWebSocketLink(server.url, Origin as unknown as WebSocketConstructor);
    const good = new WorldClient({ relay: ok, world: 'demo', token: makeToken('s3cret', { world: 'demo', exp: Date.now() / 1000 + 60 }), transport: 'relay', now });
    running.clients.push(good);
    running.timers.push(setInterval(() => good.update(), 4));
    await until(() => good.joined, 5000);

    const errors: string[] = [];
    const bad = new WorldClient({ relay: await openWebSocketLink(server.url, Origin as unknown as WebSocketConstructor), world: 'demo', token: makeToken('s3cret', { world: 'demo', exp: Date.now() / 1000 - 1 }), transport: 'relay', now });
    bad.on('error', (e) => errors.push(e.reason));
    running.clients.push(bad);
    await until(() => errors.length > 0, 5000);
    expect(errors.join(' ')).toMatch(/expired/);
    expect(bad.joined).toBe(false);

    await expect(openWebSocketLink(server.url, WebSocket as unknown as WebSocketConstructor, 3000).then((l) => new Promise((_, reject) => (l.onClose = () => reject(new Error('closed')))))).rejects.toThrow();
    expect(server.core.metrics.refusedCount('origin')).toBe(1);
  }, 30_000);
});
