// The relay under a flood, as deployed (its own process, compiled): 50 connections that never
// say hello and send chunks, connections that say nothing, and a joined player flooding bytes
// (all from a process of their own, `flood-load.ts`); meanwhile two honest players: one that
// owns the spawn tile (a real client: it simulates, commits, answers audits) and one that
// measures Ping → Pong round trips. Reports the relay's peak resident memory, the round trips
// (before and during the flood), whether the owner kept its tile, and the refusals `/metrics`
// counted.
// Standalone: `npx tsx bench/flood-bench.ts` prints one JSON line.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { setPriority } from 'node:os';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { decodeMessage, encodeMessage, initPhysics, MsgType, openWebSocketLink, PROTOCOL_VERSION, WorldClient, type WebSocketConstructor } from '../src/index.js';
import type { FloodLoadCounts, FloodLoadOptions } from './flood-load.js';

export interface FloodBenchOptions {
  /** How long the flood is measured, ms (default 4000). */
  readonly floodMs?: number;
  /** Round trips measured before the flood, ms (default 1000), after a warm-up (default 500). */
  readonly baselineMs?: number;
  readonly warmupMs?: number;
  readonly chunkFlooders?: number;
  readonly silent?: number;
  /** A joined player flooding bytes too (default true). */
  readonly byteFlooder?: boolean;
  /** Attack intensity (default: as fast as the attackers' process can go; see flood-load.ts). */
  readonly chunksPerConnection?: number;
  readonly byteFloodBytesPerSecond?: number;
  /** How soon an attacker comes back after the relay closed it, ms (default 200). */
  readonly reconnectMs?: number;
  /** Run the attackers' process at the lowest CPU priority (default true: on a real network they are not on the relay's machine). */
  readonly lowPriorityLoad?: boolean;
  /**
   * Environment of the relay process (default `RELAY_ENV`). Where the relay's resident memory
   * goes at rest is mostly glibc's per-thread malloc arenas (V8's background threads compile
   * Rapier's WebAssembly and collect garbage): `MALLOC_ARENA_MAX=2` keeps them few.
   */
  readonly relayEnv?: Readonly<Record<string, string>>;
  /** Run the relay compiled, as deployed (default true; built first, ≈ 3 s), or from its TypeScript with tsx (which alone costs it ≈ 100 MiB more). */
  readonly compiled?: boolean;
  /** TCP port of the relay (default: a random one in 20000–29999). */
  readonly port?: number;
}

export interface FloodBenchResult {
  /** Peak resident memory of the relay process during the run, MiB. */
  readonly relayRssMiB: number;
  /** Resident memory before the flood, MiB. */
  readonly relayRssBeforeMiB: number;
  /** The honest player's Ping → Pong round trip during the flood, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly samples: number;
  /** The same before the flood. */
  readonly baselineP50Ms: number;
  readonly baselineP99Ms: number;
  /** The honest owner still held its tile after the flood, on the same connection, with no incident against it. */
  readonly ownerKeptTile: boolean;
  /** Reasons of incidents against the honest owner (a verdict, or `lease-expired` when its commitments came late). */
  readonly ownerIncidents: readonly string[];
  /** The honest owner's connection was closed. */
  readonly ownerClosed: boolean;
  /** How long a new player took to join once the flood stopped, ms. */
  readonly joinAfterMs: number;
  /** Pings the relay never answered (the honest player was never refused or closed). */
  readonly lost: number;
  readonly honestClosed: boolean;
  /** `tessera_refused_total` by reason, and all of them. */
  readonly refused: Readonly<Record<string, number>>;
  readonly refusals: number;
  /** `tessera_closed_total` by reason. */
  readonly closed: Readonly<Record<string, number>>;
  readonly load: FloodLoadCounts;
  /** How long each phase took, ms: build, relay start, owner's tile, flood start, flood close wait. */
  readonly phasesMs: Readonly<Record<string, number>>;
}

const here = (p: string): string => new URL(p, import.meta.url).pathname;

/** How the relay should be run in production (and is here): few malloc arenas. */
export const RELAY_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/**
 * Compiles the relay as `npm run build` does (the `tessera` bin runs compiled JavaScript), into
 * a folder of node_modules/.cache (so that its packages resolve) of its own; returns it and the
 * CLI's path.
 */
export async function buildRelay(): Promise<{ dir: string; cli: string }> {
  const out = here(`../node_modules/.cache/tessera-flood-bench-${process.pid}-${Date.now()}/`);
  const tsc = here('../node_modules/typescript/bin/tsc');
  await new Promise<void>((resolve) => {
    // Type errors elsewhere do not stop the emit; a missing output is reported below.
    execFile(process.execPath, [tsc, '-p', here('../tsconfig.build.json'), '--outDir', out, '--declaration', 'false', '--sourceMap', 'false'], () => resolve());
  });
  const cli = `${out}relay/cli.js`;
  try {
    readFileSync(cli);
  } catch {
    throw new Error(`the relay did not compile to ${cli}`);
  }
  return { dir: out, cli };
}

/** Starts `tessera relay` (memory only) and waits for its health check. */
async function startRelay(port: number, env: Readonly<Record<string, string>>, cli: string | undefined): Promise<ChildProcess> {
  const args = cli ? [cli] : ['--import', 'tsx', here('../relay/cli.ts')];
  const child = spawn(process.execPath, [...args, 'relay', '--port', String(port), '--memory-only'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`relay did not start on port ${port}`);
}

/** `/metrics` as name{labels} → value. */
async function metrics(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function byLabel(m: Map<string, number>, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of m) {
    const match = new RegExp(`^${name}\\{reason="([^"]+)"\\}$`).exec(k);
    if (match) out[match[1]!] = v;
  }
  return out;
}

/** Peak resident memory of a process, bytes (Linux: VmHWM), or undefined where /proc is not there. */
function peakRss(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Waits until `done()` holds (checked every 20 ms); throws `what` after `ms`. */
async function until(done: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > ms) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const percentile = (sorted: number[], q: number): number => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!);

/**
 * An honest player on a raw socket: joins, then pings every 20 ms and keeps the round trips.
 * It runs no simulation: it joins after the owner of the spawn tile, so the relay never hands
 * it a tile (hysteresis keeps the tile with its owner).
 */
class Prober {
  readonly rtts: number[] = [];
  private readonly sent = new Set<number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  closed = false;
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      if (data[0] !== MsgType.Pong) return;
      const m = decodeMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 16);
      if (m.type !== MsgType.Pong || !this.sent.delete(m.clientTimeMs)) return;
      this.rtts.push(performance.now() - m.clientTimeMs);
    });
    ws.on('close', () => (this.closed = true));
  }

  static async join(url: string): Promise<Prober> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const welcomed = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no welcome')), 5000);
      ws.on('message', (data: Buffer) => {
        if (data[0] !== MsgType.Welcome) return;
        clearTimeout(t);
        resolve();
      });
    });
    ws.send(encodeMessage({ type: MsgType.Hello, version: PROTOCOL_VERSION, world: 'demo', name: 'honest', token: '' }, 16));
    await welcomed;
    return new Prober(ws);
  }

  start(): void {
    this.timer = setInterval(() => {
      const t = performance.now();
      this.sent.add(t);
      this.ws.send(encodeMessage({ type: MsgType.Ping, clientTimeMs: t }, 16));
    }, 20);
  }

  /** Stops pinging; returns the round trips since `start` and how many pings were not answered. */
  async stop(): Promise<{ rtts: number[]; lost: number }> {
    clearInterval(this.timer);
    await new Promise((r) => setTimeout(r, 200)); // the last answers
    const out = { rtts: this.rtts.splice(0), lost: this.sent.size };
    this.sent.clear();
    return out;
  }

  close(): void {
    this.ws.terminate();
  }
}

export async function floodBench(opts: FloodBenchOptions = {}): Promise<FloodBenchResult> {
  const port = opts.port ?? 20000 + Math.floor(Math.random() * 10000);
  const phasesMs: Record<string, number> = {};
  let phaseAt = performance.now();
  const phase = (name: string): void => {
    const t = performance.now();
    phasesMs[name] = Math.round(t - phaseAt);
    phaseAt = t;
  };
  const build = (opts.compiled ?? true) ? await buildRelay() : undefined;
  phase('build');
  let relay: ChildProcess;
  try {
    relay = await startRelay(port, opts.relayEnv ?? RELAY_ENV, build?.cli);
  } catch (e) {
    if (build) rmSync(build.dir, { recursive: true, force: true });
    throw e;
  }
  phase('relayStart');
  let load: ChildProcess | undefined;
  let prober: Prober | undefined;
  let owner: { client: WorldClient; timer: ReturnType<typeof setInterval> } | undefined;
  try {
    const url = `ws://127.0.0.1:${port}/`;
    // The attackers' process starts now (it waits for a word on stdin), while the honest players join.
    const loadOpts: FloodLoadOptions = { url, world: 'demo', chunkFlooders: opts.chunkFlooders ?? 50, silent: opts.silent ?? 30, byteFlooder: opts.byteFlooder ?? true, reconnectMs: opts.reconnectMs ?? 200, durationMs: (opts.floodMs ?? 4000) + 40_000, ...(opts.chunksPerConnection !== undefined ? { chunksPerConnection: opts.chunksPerConnection } : {}), ...(opts.byteFloodBytesPerSecond !== undefined ? { byteFloodBytesPerSecond: opts.byteFloodBytesPerSecond } : {}) };
    const child = spawn(process.execPath, ['--import', 'tsx', here('./flood-load.ts'), JSON.stringify(loadOpts)], { stdio: ['pipe', 'pipe', 'inherit'] });
    load = child;
    const exited = new Promise((r) => child.once('exit', r));
    // The attackers are other machines: here they share the relay's cores, so they get the least of them.
    if (opts.lowPriorityLoad ?? true) {
      try {
        setPriority(child.pid!, 19);
      } catch {
        // not allowed here: they compete on equal terms
      }
    }
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += String(d)));
    await initPhysics();
    const client = new WorldClient({ relay: await openWebSocketLink(url, WebSocket as unknown as WebSocketConstructor), world: 'demo', name: 'owner', transport: 'relay', now: () => performance.timeOrigin + performance.now() });
    owner = { client, timer: setInterval(() => client.update(), 4) };
    const incidents: string[] = [];
    let ownerClosed = false;
    client.on('incident', (e) => {
      if (e.offender === client.peerId) incidents.push(e.reason);
    });
    client.on('closed', () => (ownerClosed = true));
    await until(() => client.stats().ownedTiles.length > 0, 10_000, 'the honest owner did not get its tile');
    const ownerPeer = client.peerId;
    phase('ownerTile');
    prober = await Prober.join(url);
    let rssMax = 0;
    const pollRss = async (): Promise<void> => {
      rssMax = Math.max(rssMax, (await metrics(port)).get('process_resident_memory_bytes') ?? 0);
    };
    await new Promise((r) => setTimeout(r, opts.warmupMs ?? 500)); // the relay settles (the owner's join warmed it up)
    await pollRss();
    const rssBefore = rssMax;
    prober.start();
    await new Promise((r) => setTimeout(r, opts.baselineMs ?? 1000));
    const baseline = await prober.stop();

    // The attackers go now (their process started while the honest players joined).
    await until(() => out.includes('ready'), 30_000, 'the attackers were not ready');
    child.stdin!.write('go\n');
    // Measured once the flood is on: the chunk flooders are being closed and the joined one refused.
    await until(
      async () => {
        const r = byLabel(await metrics(port), 'tessera_refused_total');
        return (r['chunk-unjoined'] ?? 0) >= loadOpts.chunkFlooders / 2 && (!loadOpts.byteFlooder || (r['bytes'] ?? 0) > 0);
      },
      30_000,
      'the flood did not start',
    );
    phase('baselineAndFloodStart');
    prober.start();
    const end = Date.now() + (opts.floodMs ?? 4000);
    while (Date.now() < end) {
      await pollRss();
      await new Promise((r) => setTimeout(r, 250));
    }
    const during = await prober.stop();
    const ownerKeptTile = !ownerClosed && client.peerId === ownerPeer && client.stats().ownedTiles.length > 0 && incidents.length === 0;
    // The joined flooder is closed once it has stayed over its budget (3 s): wait for it if it has not been yet.
    phase('flood');
    if (loadOpts.byteFlooder) await until(async () => (byLabel(await metrics(port), 'tessera_closed_total')['flood'] ?? 0) > 0, 30_000, 'the byte flooder was not closed');
    phase('floodCloseWait');
    child.kill('SIGTERM');
    await exited;
    load = undefined;
    // A new player gets in once the attackers are gone (their unjoined slots are given back).
    const t0 = performance.now();
    (await Prober.join(url)).close();
    const joinAfterMs = performance.now() - t0;
    const counts = JSON.parse(out.split('\n').filter((l) => l.startsWith('{')).at(-1) ?? '{}') as FloodLoadCounts;
    await pollRss();
    const m = await metrics(port);
    const peak = Math.max(rssMax, peakRss(relay.pid!) ?? 0);
    const refused = byLabel(m, 'tessera_refused_total');
    const sorted = during.rtts.sort((a, b) => a - b);
    const base = baseline.rtts.sort((a, b) => a - b);
    return {
      relayRssMiB: peak / 1024 / 1024,
      relayRssBeforeMiB: rssBefore / 1024 / 1024,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: sorted.at(-1) ?? Number.NaN,
      samples: sorted.length,
      baselineP50Ms: percentile(base, 0.5),
      baselineP99Ms: percentile(base, 0.99),
      ownerKeptTile,
      ownerIncidents: incidents,
      ownerClosed,
      joinAfterMs,
      lost: during.lost,
      honestClosed: prober.closed,
      refused,
      refusals: Object.values(refused).reduce((a, b) => a + b, 0),
      closed: byLabel(m, 'tessera_closed_total'),
      load: counts,
      phasesMs,
    };
  } finally {
    prober?.close();
    if (owner) {
      clearInterval(owner.timer);
      owner.client.close();
    }
    load?.kill('SIGKILL');
    const gone = new Promise((r) => relay.once('exit', r));
    relay.kill('SIGTERM');
    const t = setTimeout(() => relay.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(t);
    if (build) rmSync(build.dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  floodBench().then(
    (r) => {
      console.error(r);
      console.log(JSON.stringify({ flood_relay_rss_mib: Number(r.relayRssMiB.toFixed(1)), flood_other_player_p99_ms: Number(r.p99Ms.toFixed(2)), flood_refusals: r.refusals }));
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
