import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { SCENES } from '../../relay/server.js';
import { runLoadTest } from '../../relay/loadtest/load-test.js';

// 50 bots (two processes) on one relay (its own process), on the relay path, for 30 s: every bot
// joins and sees the others' avatars, nobody is convicted or reconnects, and once they leave the
// relay holds exactly the scene's entities (no entity lost or doubled across the handoffs).
const BOTS = Number(process.env['TESSERA_BOTS'] ?? 50);

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const metrics = async (port: number): Promise<Map<string, number>> => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return new Map(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
};

let relay: ChildProcess | undefined;
afterAll(() => relay?.kill('SIGKILL'));

describe('bots against a real relay', () => {
  it(`${BOTS} bots for 30 s on the relay path: all join and see each other, no incident, nothing lost`, async () => {
    const port = await freePort();
    const logs: Record<string, unknown>[] = [];
    relay = spawn(process.execPath, ['--import', 'tsx', 'relay/cli.ts', 'relay', '--port', String(port), '--memory-only', '--max-peers', String(BOTS + 8)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffered = '';
    relay.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) {
        try {
          logs.push(JSON.parse(l) as Record<string, unknown>);
        } catch {
          // not a log line
        }
      }
    });
    for (let i = 0; i < 400 && !logs.some((l) => l['msg'] === 'relay listening'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(logs.some((l) => l['msg'] === 'relay listening')).toBe(true);

    const result = await runLoadTest({ relay: `ws://127.0.0.1:${port}/`, world: 'demo', bots: BOTS, procs: 2, rampS: 10, durationS: 30 }, (r) => console.log(`t ${r.t}: ${r.botsJoined} joined, tick rate ${r.relayTickRate}, relay CPU ${Math.round(r.relayCpu * 100)} %, age p50/p99 ${r.ageP50Ms}/${r.ageP99Ms} ms, seen ${Math.round(r.avatarsSeenShare * 100)} %, tiles owned by bots ${r.tilesOwnedByPlayers}, errors ${r.errors}`));
    const last = result.rows.at(-1)!;
    expect(result.failureReasons).toEqual([]);
    expect(last.botsJoined).toBe(BOTS);
    // Players own tiles (the peer-assisted way), and updates flow.
    expect(Math.max(...result.rows.map((r) => r.tilesOwnedByPlayers))).toBeGreaterThan(0);
    expect(last.updatesPerS).toBeGreaterThan(0);
    // Every bot sees every other avatar in its area of interest: in the demo world, all of them.
    expect(Math.max(...result.rows.slice(-5).map((r) => r.avatarsSeenShare))).toBe(1);
    expect(last.reconnects).toBe(0);
    const incidents = logs.filter((l) => l['msg'] === 'incident');
    expect(incidents, JSON.stringify(incidents.slice(0, 3))).toEqual([]);

    // Everyone left: every tile is the relay's again, holding the scene's entities, each once.
    const scene = SCENES['demo']!().entities.length;
    let m = await metrics(port);
    for (let i = 0; i < 100 && ((m.get('tessera_peers') ?? 1) > 0 || (m.get('tessera_tiles{owner="peer"}') ?? 1) > 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
      m = await metrics(port);
    }
    expect(m.get('tessera_peers')).toBe(0);
    expect(m.get('tessera_tiles{owner="peer"}')).toBe(0);
    expect(m.get('tessera_relay_entities')).toBe(scene);
  }, 120_000);
});
