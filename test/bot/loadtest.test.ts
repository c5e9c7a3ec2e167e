import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { SCENES } from '../../relay/server.js';
import { runLoadTest } from '../../relay/loadtest/load-test.js';

// N bots (two processes) on one relay (its own process), on the relay path, for 30 s: every bot
// joins and sees the others' avatars, nobody is convicted or reconnects, and once they leave the
// relay holds exactly the scene's entities (no entity lost or doubled across the handoffs).
// The scene is the audit world's (two tiles): on this 2-core machine 50 full bots take 1.5 cores,
// and the demo scene's busy tiles (the relay simulates them either way) would starve the relay
// (see issue 17's notes); liveness takeovers of owners starved of CPU are counted, not failed.
// CI runs 12: at 50 on this machine the bots' own processes starve (1.5 cores), their catch-up
// bursts trip the relay's rate limit and 4–8 % of avatars go unseen (issue 12's notes);
// TESSERA_BOTS=50 runs the full case.
const BOTS = Number(process.env['TESSERA_BOTS'] ?? 12);

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
    relay = spawn(process.execPath, ['--import', 'tsx', 'relay/cli.ts', 'relay', '--port', String(port), '--memory-only', '--max-peers', String(BOTS + 8), '--scene', 'audit'], { stdio: ['ignore', 'pipe', 'inherit'] });
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

    const result = await runLoadTest({ relay: `ws://127.0.0.1:${port}/`, world: 'demo', bots: BOTS, procs: 2, rampS: 15, durationS: 30 }, (r) => console.log(`t ${r.t}: ${r.botsJoined} joined, tick rate ${r.relayTickRate}, relay CPU ${Math.round(r.relayCpu * 100)} %, age p50/p99 ${r.ageP50Ms}/${r.ageP99Ms} ms, seen ${Math.round(r.avatarsSeenShare * 100)} %, tiles owned by bots ${r.tilesOwnedByPlayers}, errors ${r.errors}`));
    const last = result.rows.at(-1)!;
    for (const k of result.errorKinds.slice(0, 8)) console.log(`bot errors ×${k.count}: ${k.reason}`);
    expect(result.failureReasons).toEqual([]);
    expect(last.botsJoined).toBe(BOTS);
    // Players own tiles (the peer-assisted way), and updates flow.
    expect(Math.max(...result.rows.map((r) => r.tilesOwnedByPlayers))).toBeGreaterThan(0);
    expect(last.updatesPerS).toBeGreaterThan(0);
    // Every bot sees every other avatar in its area of interest: in this small world, all of them.
    expect(Math.max(...result.rows.slice(-5).map((r) => r.avatarsSeenShare))).toBe(1);
    expect(last.reconnects).toBe(0);
    // Client errors are printed above, not failed: some are honest races (an audit request for a
    // tile handed on meanwhile: "no such state here"); what matters is that nobody was judged.
    // No verdict against an honest bot: only liveness takeovers (an owner starved of CPU), counted.
    const verdicts = logs.filter((l) => l['msg'] === 'incident' && l['reason'] !== 'lease-expired');
    expect(verdicts, JSON.stringify(verdicts.slice(0, 3))).toEqual([]);
    console.log(`liveness takeovers: ${logs.filter((l) => l['msg'] === 'incident').length}; slow relay ticks: ${logs.filter((l) => l['msg'] === 'slow relay tick').length}`);

    // Everyone left: every tile is the relay's again, holding the scene's entities, each once.
    const scene = SCENES['audit']!().entities.length;
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
