// Relay capacity, both ways, in one run: the same relay with bots owning their tiles (peer-
// assisted) and with the relay simulating every tile (server-authoritative, `--authority relay`).
// For each N, a fresh relay process, N bots over two processes (`tessera loadtest`'s engine),
// and the relay's own CPU per tick and per player, its tick rate, messages and bytes per player.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { runLoadTest, type LoadTestRow } from '../relay/loadtest/load-test.js';

/** One N in one mode: averages over the last seconds, when every bot had joined. */
export interface CapacityPoint {
  readonly authority: 'peers' | 'relay';
  readonly players: number;
  readonly joined: number;
  readonly relayTickRate: number;
  readonly relayCpuMsPerTick: number;
  readonly relayCpuMsPerTickPerPlayer: number;
  readonly relayBytesOutPerPlayerPerS: number;
  readonly relayMsgsInPerPlayerPerS: number;
  readonly ageP99Ms: number;
  /** The bots' processes' CPU, share of a core: on a small machine they, not the relay, may be the limit. */
  readonly botsCpu: number;
  readonly healthy: boolean;
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

async function relayProcess(authority: 'peers' | 'relay', maxPeers: number, scene: string): Promise<{ url: string; close(): Promise<void> }> {
  const port = await freePort();
  const cli = new URL('../relay/cli.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'relay', '--port', String(port), '--memory-only', '--authority', authority, '--max-peers', String(maxPeers), '--scene', scene], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) {
        return {
          url: `ws://127.0.0.1:${port}/`,
          close: () =>
            new Promise<void>((r) => {
              child.once('exit', () => r());
              child.kill('SIGKILL');
            }),
        };
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`relay did not start on port ${port}`);
}

const mean = (rows: readonly LoadTestRow[], f: (r: LoadTestRow) => number): number => rows.reduce((n, r) => n + f(r), 0) / Math.max(1, rows.length);

/**
 * Measures one mode at each N in `steps` (stops after the first N the relay cannot keep up with).
 * The scene is `audit` by default: two tiles of ground, so the relay's cost is the players', not
 * a busy scene's it would simulate either way.
 */
export async function relayCapacity(authority: 'peers' | 'relay', steps: readonly number[], holdS = 10, log: (s: string) => void = () => {}, scene = 'audit'): Promise<CapacityPoint[]> {
  const out: CapacityPoint[] = [];
  for (const n of steps) {
    const relay = await relayProcess(authority, n + 16, scene);
    try {
      const rampS = Math.min(20, Math.max(4, n / 10));
      const r = await runLoadTest({ relay: relay.url, world: 'demo', bots: n, procs: 2, rampS, durationS: Math.ceil(rampS) + 2 + holdS });
      const hold = r.rows.slice(-holdS);
      const p: CapacityPoint = {
        authority,
        players: n,
        joined: Math.min(...hold.map((x) => x.botsJoined)),
        relayTickRate: mean(hold, (x) => x.relayTickRate),
        relayCpuMsPerTick: mean(hold, (x) => x.relayCpuMsPerTick),
        relayCpuMsPerTickPerPlayer: mean(hold, (x) => x.relayCpuMsPerTickPerPlayer),
        relayBytesOutPerPlayerPerS: mean(hold, (x) => x.relayBytesOutPerPlayerPerS),
        relayMsgsInPerPlayerPerS: mean(hold, (x) => x.relayMsgsInPerS) / n,
        ageP99Ms: Math.max(...hold.map((x) => x.ageP99Ms)),
        botsCpu: mean(hold, (x) => x.botsCpu),
        healthy: hold.every((x) => x.relayTickRate >= 58 && x.ageP99Ms <= 100) && Math.min(...hold.map((x) => x.botsJoined)) === n,
      };
      out.push(p);
      log(`capacity ${authority} N=${n}: joined ${p.joined}, relay ${p.relayTickRate.toFixed(1)} ticks/s, ${p.relayCpuMsPerTick.toFixed(2)} ms CPU/tick (${(p.relayCpuMsPerTickPerPlayer * 1000).toFixed(1)} µs per player), ${Math.round(p.relayBytesOutPerPlayerPerS)} B/s out per player, age p99 ${p.ageP99Ms} ms, bots' CPU ${Math.round(p.botsCpu * 100)} %${p.healthy ? '' : ' — degraded'}`);
      if (!p.healthy) break;
    } finally {
      await relay.close();
    }
  }
  return out;
}
