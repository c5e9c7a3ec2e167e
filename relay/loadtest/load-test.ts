// `tessera loadtest`: N bots over several processes against a relay, on a ramp; a live table of
// what the bots and the relay see every second; a JSON report and an SVG chart at the end.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BatchReport, BotBatch, StopBatch } from './protocol.js';

/** Options of a load test. */
export interface LoadTestOptions {
  /** The relay's WebSocket URL; its `/metrics` (same host and port, http) is read every second. */
  readonly relay: string;
  readonly world: string;
  readonly token?: string;
  readonly bots: number;
  /** Processes the bots are spread over (default 2). */
  readonly procs?: number;
  /** Bots join evenly over this many seconds (default 30). */
  readonly rampS?: number;
  /** How long the whole test runs, seconds from the start (default ramp + 30). */
  readonly durationS?: number;
  /** Bot walk: wander | circle[:r] | crowd:x,z | follow:name (default wander). */
  readonly pattern?: string;
  readonly replicaMode?: BotBatch['replicaMode'];
  /** Stop early once the relay is degraded for 3 s in a row: under `minTickRate` or over `maxP99Ms` (off by default). */
  readonly stopWhenDegraded?: boolean;
  readonly minTickRate?: number;
  readonly maxP99Ms?: number;
}

/** One second of the test. */
export interface LoadTestRow {
  /** Seconds since the start. */
  readonly t: number;
  readonly botsJoined: number;
  readonly joinFailures: number;
  /** Ticks per second the relay's own simulation advanced (60 when it keeps up), and its lag behind the timeline, ticks. */
  readonly relayTickRate: number;
  readonly relayLagTicks: number;
  /** Relay process CPU over the second, as a fraction of one core, and per tick and player, ms. */
  readonly relayCpu: number;
  readonly relayCpuMsPerTick: number;
  readonly relayCpuMsPerTickPerPlayer: number;
  /** Messages per second in and out of the relay, and bytes out per player per second. */
  readonly relayMsgsInPerS: number;
  readonly relayMsgsOutPerS: number;
  readonly relayBytesOutPerPlayerPerS: number;
  readonly relayPeers: number;
  readonly tilesOwnedByPlayers: number;
  /** State updates the bots applied per second, and their ages (tick on the timeline → applied), ms. */
  readonly updatesPerS: number;
  readonly ageP50Ms: number;
  readonly ageP99Ms: number;
  readonly errors: number;
  readonly reconnects: number;
  /** Of the other players in their rosters, the share whose avatar the bots can see (interest limits it in large worlds). */
  readonly avatarsSeenShare: number;
  /** Bot processes' CPU, as a fraction of one core (summed). */
  readonly botsCpu: number;
}

/** What a load test found. */
export interface LoadTestResult {
  readonly options: LoadTestOptions;
  readonly rows: readonly LoadTestRow[];
  /** The most bots joined while the relay kept up (tick rate ≥ min and p99 age ≤ max), and the most joined at all. */
  readonly maxBotsHealthy: number;
  readonly maxBotsJoined: number;
  /** Why it stopped: `duration`, or `degraded` (the relay fell behind for 3 s). */
  readonly stopped: 'duration' | 'degraded';
  readonly failureReasons: readonly string[];
  /** The bots' errors by kind at the end, most frequent first. */
  readonly errorKinds: readonly { readonly reason: string; readonly count: number }[];
}

const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** Reads the relay's Prometheus text into name{labels} → value. */
async function readMetrics(url: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(900) });
    for (const line of (await res.text()).split('\n')) {
      if (line.startsWith('#') || !line.trim()) continue;
      const i = line.lastIndexOf(' ');
      out.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
  } catch {
    // A relay too busy to answer within the second: the row shows what is known.
  }
  return out;
}

/** The relay's metrics URL from its WebSocket URL (`ws://h:p/…` → `http://h:p/metrics`). */
export function metricsUrlOf(relay: string): string {
  const u = new URL(relay);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '/metrics';
  u.search = '';
  return u.toString();
}

/** The bot process entry next to this file (`.ts` when run from source, `.js` when built), and the Node flags it needs. */
function botProcess(): { path: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const path = fileURLToPath(new URL(`./bot-process${fromSource ? '.ts' : '.js'}`, import.meta.url));
  // From source the child needs tsx's loader, which a parent run by a test runner may not carry.
  const hasTsx = process.execArgv.some((a) => a.includes('tsx'));
  return { path, execArgv: fromSource && !hasTsx ? [...process.execArgv, '--import', 'tsx'] : process.execArgv };
}

/** Runs a load test; `onRow` sees each second as it ends (the live table). */
export async function runLoadTest(opts: LoadTestOptions, onRow?: (row: LoadTestRow) => void): Promise<LoadTestResult> {
  if (!(opts.bots > 0 && Number.isInteger(opts.bots))) throw new Error(`bots must be a positive integer, got ${opts.bots}`);
  const procs = Math.max(1, Math.min(opts.procs ?? 2, opts.bots));
  const rampS = opts.rampS ?? 30;
  const durationS = opts.durationS ?? rampS + 30;
  const minTickRate = opts.minTickRate ?? 58;
  const maxP99Ms = opts.maxP99Ms ?? 100;
  const metricsUrl = metricsUrlOf(opts.relay);
  const startAt = Date.now() + 500;
  const children: ChildProcess[] = [];
  const latest = new Map<ChildProcess, BatchReport>();
  const fresh: BatchReport[] = [];
  // Bot n (0-based) joins at n × ramp / bots; process p takes every procs-th bot.
  for (let p = 0; p < procs; p++) {
    const mine = Array.from({ length: opts.bots }, (_, n) => n).filter((n) => n % procs === p);
    const entry = botProcess();
    const child = fork(entry.path, [], { execArgv: entry.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m: BatchReport) => {
      latest.set(child, m);
      fresh.push(m);
    });
    const batch: BotBatch = { type: 'start', relay: opts.relay, world: opts.world, ...(opts.token ? { token: opts.token } : {}), numbers: mine, startAt, offsetsMs: mine.map((n) => (n * rampS * 1000) / opts.bots), pattern: opts.pattern ?? 'wander', replicaMode: opts.replicaMode ?? 'extrapolated' };
    child.send(batch);
    children.push(child);
  }
  const rows: LoadTestRow[] = [];
  let prev = await readMetrics(metricsUrl);
  let prevAt = performance.now();
  let degradedFor = 0;
  let stopped: LoadTestResult['stopped'] = 'duration';
  let maxHealthy = 0;
  try {
    for (let t = 1; t <= durationS; t++) {
      await new Promise((r) => setTimeout(r, Math.max(0, startAt + t * 1000 - Date.now())));
      const m = await readMetrics(metricsUrl);
      const now = performance.now();
      const dt = (now - prevAt) / 1000;
      // A relay too busy to answer /metrics in time leaves a gap: no rates for that second.
      const known = m.size > 0 && prev.size > 0;
      const d = (k: string): number => (known ? ((m.get(k) ?? 0) - (prev.get(k) ?? 0)) / dt : 0);
      const stepped = (x: Map<string, number>): number => (x.get('tessera_tick') ?? 0) - (x.get('tessera_sim_lag_ticks') ?? 0);
      const tickRate = known ? (stepped(m) - stepped(prev)) / dt : 0;
      const cpu = d('process_cpu_seconds_total');
      const peers = m.get('tessera_peers') ?? 0;
      const dead = children.filter((c) => c.exitCode !== null);
      if (dead.length > 0) throw new Error(`${dead.length} bot process(es) exited (code ${dead.map((c) => c.exitCode).join(', ')}); see their output above`);
      const reports = fresh.splice(0);
      const ages = reports.flatMap((r) => r.ages);
      const all = [...latest.values()];
      const sum = (f: (r: BatchReport) => number): number => all.reduce((n, r) => n + f(r), 0);
      const row: LoadTestRow = {
        t,
        botsJoined: sum((r) => r.joined),
        joinFailures: sum((r) => r.joinFailures),
        relayTickRate: Math.round(tickRate * 10) / 10,
        relayLagTicks: m.get('tessera_sim_lag_ticks') ?? 0,
        relayCpu: Math.round(cpu * 1000) / 1000,
        relayCpuMsPerTick: tickRate > 0 ? Math.round(((cpu * 1000) / tickRate) * 1000) / 1000 : 0,
        relayCpuMsPerTickPerPlayer: tickRate > 0 && peers > 0 ? Math.round(((cpu * 1000) / tickRate / peers) * 10000) / 10000 : 0,
        relayMsgsInPerS: Math.round(d('tessera_messages_in_total')),
        relayMsgsOutPerS: Math.round(d('tessera_messages_out_total')),
        relayBytesOutPerPlayerPerS: peers > 0 ? Math.round(d('tessera_bytes_out_total') / peers) : 0,
        relayPeers: peers,
        tilesOwnedByPlayers: m.get('tessera_tiles{owner="peer"}') ?? 0,
        updatesPerS: Math.round(reports.reduce((n, r) => n + r.updates, 0) / dt),
        ageP50Ms: Math.round(quantile(ages, 0.5) * 10) / 10,
        ageP99Ms: Math.round(quantile(ages, 0.99) * 10) / 10,
        errors: sum((r) => r.errors),
        reconnects: sum((r) => r.reconnects),
        avatarsSeenShare: sum((r) => r.avatarsListed) > 0 ? Math.round((sum((r) => r.avatarsSeen) / sum((r) => r.avatarsListed)) * 1000) / 1000 : 0,
        botsCpu: Math.round(sum((r) => r.cpu) * 100) / 100,
      };
      rows.push(row);
      onRow?.(row);
      if (m.size > 0) {
        prev = m;
        prevAt = now;
      }
      const degraded = row.botsJoined > 0 && (row.relayTickRate < minTickRate || row.ageP99Ms > maxP99Ms);
      degradedFor = degraded ? degradedFor + 1 : 0;
      if (!degraded && row.botsJoined > 0) maxHealthy = Math.max(maxHealthy, row.botsJoined);
      if (opts.stopWhenDegraded && degradedFor >= 3) {
        stopped = 'degraded';
        break;
      }
    }
  } finally {
    for (const c of children) if (c.connected) c.send({ type: 'stop' } satisfies StopBatch);
    await Promise.all(children.map((c) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r())))));
  }
  return { options: opts, rows, maxBotsHealthy: maxHealthy, maxBotsJoined: Math.max(0, ...rows.map((r) => r.botsJoined)), stopped, failureReasons: [...new Set([...latest.values()].flatMap((r) => r.failureReasons))], errorKinds: mergeKinds([...latest.values()]) };
}

function mergeKinds(reports: readonly BatchReport[]): { reason: string; count: number }[] {
  const m = new Map<string, number>();
  for (const r of reports) for (const k of r.errorKinds) m.set(k.reason, (m.get(k.reason) ?? 0) + k.count);
  return [...m].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}

/** The live table: a header, then one line per second. */
export const TABLE_HEADER = '    t  joined  fail  tick/s  lag  relayCPU  ms/tick  msg/s in/out   upd/s  age p50/p99 ms  errors  seen  botCPU';
export function tableLine(r: LoadTestRow): string {
  const pad = (v: string | number, n: number): string => String(v).padStart(n);
  return `${pad(r.t, 5)}  ${pad(r.botsJoined, 6)}  ${pad(r.joinFailures, 4)}  ${pad(r.relayTickRate.toFixed(1), 6)}  ${pad(r.relayLagTicks, 3)}  ${pad(`${Math.round(r.relayCpu * 100)}%`, 8)}  ${pad(r.relayCpuMsPerTick.toFixed(2), 7)}  ${pad(`${r.relayMsgsInPerS}/${r.relayMsgsOutPerS}`, 13)}  ${pad(r.updatesPerS, 6)}  ${pad(`${r.ageP50Ms}/${r.ageP99Ms}`, 14)}  ${pad(r.errors, 6)}  ${pad(`${Math.round(r.avatarsSeenShare * 100)}%`, 4)}  ${pad(`${Math.round(r.botsCpu * 100)}%`, 6)}`;
}
