import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openWebSocketLink, RELAY_PEER, WorldClient, type WebSocketConstructor } from '../../src/index.js';
import { makeToken, startRelay, type RelayServer } from '../../relay/index.js';
import type { DashboardSnapshot } from '../../relay/dashboard/dashboard-data.js';
import { Ring } from '../../relay/dashboard/ring.js';

// The operator's dashboard on a real relay (127.0.0.1, free port) with in-process clients.

const running: { server: RelayServer | undefined; timers: ReturnType<typeof setInterval>[]; clients: WorldClient[] } = { server: undefined, timers: [], clients: [] };
const stepping = new Map<WorldClient, ReturnType<typeof setInterval>>();
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
  running.server = await startRelay({ port: 0, log: quiet, auditThread: false, ...opts });
  return running.server;
}

async function join(server: RelayServer, name: string, token = ''): Promise<WorldClient> {
  const link = await openWebSocketLink(server.url, WebSocket as unknown as WebSocketConstructor);
  const client = new WorldClient({ relay: link, world: 'demo', name, token, transport: 'relay', now });
  running.clients.push(client);
  const timer = setInterval(() => client.update(), 4);
  running.timers.push(timer);
  stepping.set(client, timer);
  await until(async () => client.joined, 15_000);
  return client;
}

async function until(done: () => Promise<boolean>, ms: number): Promise<void> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const base = (server: RelayServer): string => `http://127.0.0.1:${server.port}`;

async function snapshot(server: RelayServer, init?: RequestInit): Promise<DashboardSnapshot> {
  const res = await fetch(`${base(server)}/dashboard/data`, init);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  return (await res.json()) as DashboardSnapshot;
}

describe('relay dashboard', () => {
  it('serves the page and uPlot, and a snapshot with the tiles and the players once two join', async () => {
    const server = await start();
    const page = await fetch(`${base(server)}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('uPlot');
    expect(html).toContain('/dashboard/uplot.js');
    expect(html).toContain('/dashboard/uplot.css');
    const js = await fetch(`${base(server)}/dashboard/uplot.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(await js.text()).toContain('uPlot');
    const css = await fetch(`${base(server)}/dashboard/uplot.css`);
    expect(css.status).toBe(200);
    expect(await css.text()).toContain('.uplot');
    expect((await fetch(`${base(server)}/dashboard/nothing`)).status).toBe(404);

    const empty = await snapshot(server);
    expect(empty.world).toBe('demo');
    expect(empty.auth).toBe('open');
    expect(empty.players).toEqual([]);
    expect(empty.tiles.length).toBeGreaterThan(0);
    expect(empty.tiles.every((t) => t.owner === RELAY_PEER)).toBe(true);

    const alice = await join(server, 'alice');
    const bob = await join(server, 'bob');
    let snap = empty;
    // Both players listed, with their welcome (role, avatar) and their avatar's tile; one of them holds the spawn tile.
    await until(async () => {
      snap = await snapshot(server);
      return snap.players.length === 2 && snap.players.every((p) => p.avatarTile !== null && p.role !== null) && snap.tiles.some((t) => t.owner !== RELAY_PEER);
    }, 20_000);
    expect(snap.players.map((p) => p.name)).toEqual(['alice', 'bob']);
    expect(snap.players.map((p) => p.peer)).toEqual([alice.peerId, bob.peerId]);
    for (const p of snap.players) {
      expect(p.role).toBe('creator'); // no secret: everyone is a creator
      expect(p.avatar).toBeGreaterThan(0);
      expect(p.avatarTile).toEqual({ x: 0, y: 0, z: 0 }); // both spawn in tile 0,0,0
      expect(p.paths.map((q) => q.peer)).toEqual(snap.players.filter((o) => o !== p).map((o) => o.peer));
      for (const q of p.paths) expect(['p2p', 'relay', 'connecting', 'none']).toContain(q.path);
    }
    const owners = new Set(snap.tiles.map((t) => t.owner));
    expect([...owners].some((o) => o === alice.peerId || o === bob.peerId)).toBe(true);
    expect(snap.players.reduce((n, p) => n + p.tiles, 0)).toBe(snap.tiles.filter((t) => t.owner !== RELAY_PEER).length);
    expect(snap.events.filter((e) => e.msg === 'join').map((e) => e.fields['name'])).toEqual(['alice', 'bob']);
    expect(snap.totals['leasesGranted']).toBeGreaterThan(0);
    expect(snap.audit).toHaveProperty('windowsSeen');

    // The charts' history: samples a second apart give rates.
    await until(async () => (await snapshot(server)).rates !== null, 4000);
    const withHistory = (await (await fetch(`${base(server)}/dashboard/data?history=1`)).json()) as DashboardSnapshot;
    expect(withHistory.series?.length).toBeGreaterThan(0);
    expect(withHistory.rates!.ticksPerSecond).toBeGreaterThan(0);
    expect(withHistory.rates!.cpuPercent).toBeGreaterThanOrEqual(0);

    // The owner of the spawn tile freezes (its simulation stops, its socket stays open): the relay
    // takes its tiles ('lease-expired'), and the dashboard shows the incident with its detail.
    const owner = [alice, bob].find((c) => snap.tiles.some((t) => t.owner === c.peerId))!;
    clearInterval(stepping.get(owner));
    await until(async () => (snap = await snapshot(server)).incidents.length > 0, 20_000);
    const incident = snap.incidents[0]!;
    expect(incident.msg).toBe('incident');
    expect(incident.level).toBe('error');
    expect(incident.fields['reason']).toBe('lease-expired');
    expect(incident.fields['peer']).toBe(owner.peerId);
    expect(String(incident.fields['detail'])).toContain('no commitments');
    expect(snap.incidentsByReason).toContainEqual({ reason: 'lease-expired', count: 1 });
    expect(snap.events.some((e) => e.msg === 'takeover' || e.msg === 'incident')).toBe(true);

    // A player that leaves leaves the dashboard.
    bob.close();
    await until(async () => (await snapshot(server)).players.length === 1, 10_000);
    // (17 s on a quiet 2-core machine; conditions, not sleeps, so a loaded one only takes longer.)
  }, 90_000);

  it('with a secret, refuses the page and the data without a creator token', async () => {
    const secret = 'dashboard-test-secret';
    const server = await start({ secret });
    const exp = Math.floor(Date.now() / 1000) + 600;
    const creator = makeToken(secret, { world: 'demo', exp, role: 'creator' });
    const player = makeToken(secret, { world: 'demo', exp, role: 'player' });
    const otherWorld = makeToken(secret, { world: 'elsewhere', exp, role: 'creator' });
    const forged = makeToken('not-the-secret', { world: 'demo', exp, role: 'creator' });
    const expired = makeToken(secret, { world: 'demo', exp: Math.floor(Date.now() / 1000) - 10, role: 'creator' });
    for (const path of ['/dashboard', '/dashboard/', '/dashboard/data']) {
      const none = await fetch(`${base(server)}${path}`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('Bearer');
      for (const token of [player, otherWorld, forged, expired, 'garbage']) {
        expect((await fetch(`${base(server)}${path}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
        expect((await fetch(`${base(server)}${path}?token=${encodeURIComponent(token)}`)).status).toBe(401);
      }
      expect((await fetch(`${base(server)}${path}`, { headers: { authorization: `Bearer ${creator}` } })).status).toBe(200);
      expect((await fetch(`${base(server)}${path}?token=${encodeURIComponent(creator)}`)).status).toBe(200);
    }
    const snap = await snapshot(server, { headers: { authorization: `Bearer ${creator}` } });
    expect(snap.auth).toBe('token');
    // uPlot's files are public library code.
    expect((await fetch(`${base(server)}/dashboard/uplot.js`)).status).toBe(200);
    // A player joins with its token; the dashboard shows its role.
    await join(server, 'carol', player);
    await until(async () => (await snapshot(server, { headers: { authorization: `Bearer ${creator}` } })).players[0]?.role === 'player', 15_000);
  }, 60_000);
});

describe('dashboard ring', () => {
  it('keeps the newest items, oldest first', () => {
    const r = new Ring<number>(3);
    expect(r.toArray()).toEqual([]);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.size).toBe(3);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.at(0)).toBe(3);
    expect(r.at(-1)).toBe(5);
    expect(r.at(3)).toBeUndefined();
    expect(() => new Ring<number>(0)).toThrow();
  });
});
