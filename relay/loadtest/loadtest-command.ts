// `tessera loadtest …`: flags, the live table, the JSON report and the chart.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseBotPattern } from '../../src/bot/bot-pattern.js';
import { runLoadTest, TABLE_HEADER, tableLine, type LoadTestResult } from './load-test.js';
import { renderChart, type Chart } from './svg-chart.js';

export const LOADTEST_USAGE = `loadtest flags:
  --url URL             the relay's WebSocket URL (default ws://127.0.0.1:8787/); its /metrics is read every second
  --world NAME          world to join (default demo)
  --token T             join token (relays run with --secret)
  --bots N              bots to start (default 50)
  --procs P             processes to spread them over (default 2)
  --ramp S              seconds over which the bots join (default 30)
  --duration S          seconds the test runs in all (default ramp + 30)
  --pattern P           wander | circle[:radius] | crowd:x,z | follow:name (default wander)
  --replicas MODE       extrapolated (default: no replica physics) | speculative | interpolated
  --stop-when-degraded  stop once the relay stays under --min-tick-rate or over --max-p99 for 3 s
  --min-tick-rate R     (default 58)   --max-p99 MS (default 100)
  --out FILE            JSON report (default loadtest.json); the chart goes next to it (.svg)`;

/** Runs the load test command; returns the exit code (0 when no bot failed to join). */
export async function loadtestCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      world: { type: 'string' },
      token: { type: 'string' },
      bots: { type: 'string' },
      procs: { type: 'string' },
      ramp: { type: 'string' },
      duration: { type: 'string' },
      pattern: { type: 'string' },
      replicas: { type: 'string' },
      'stop-when-degraded': { type: 'boolean' },
      'min-tick-rate': { type: 'string' },
      'max-p99': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(LOADTEST_USAGE);
    return 0;
  }
  const num = (v: string | undefined, def: number, what: string, min = 0): number => {
    const n = v === undefined ? def : Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${what} must be a number ≥ ${min}, got ${v}`);
    return n;
  };
  const bots = num(values.bots, 50, 'bots', 1);
  if (!Number.isInteger(bots)) throw new Error(`--bots must be a whole number, got ${values.bots}`);
  const rampS = num(values.ramp, 30, 'ramp');
  const pattern = values.pattern ?? 'wander';
  parseBotPattern(pattern); // a bad pattern fails here, not in every bot process
  const replicas = values.replicas ?? 'extrapolated';
  if (replicas !== 'extrapolated' && replicas !== 'speculative' && replicas !== 'interpolated') throw new Error(`--replicas must be extrapolated, speculative or interpolated, got ${replicas}`);
  const url = values.url ?? 'ws://127.0.0.1:8787/';
  const out = values.out ?? 'loadtest.json';
  console.log(`tessera loadtest: ${bots} bots over ${num(values.procs, 2, 'procs', 1)} processes, joining over ${rampS} s, against ${url} (world ${values.world ?? 'demo'})`);
  console.log(TABLE_HEADER);
  const result = await runLoadTest(
    {
      relay: url,
      world: values.world ?? 'demo',
      ...(values.token ? { token: values.token } : {}),
      bots,
      procs: num(values.procs, 2, 'procs', 1),
      rampS,
      durationS: num(values.duration, rampS + 30, 'duration', 1),
      pattern,
      replicaMode: replicas,
      stopWhenDegraded: values['stop-when-degraded'] === true,
      minTickRate: num(values['min-tick-rate'], 58, 'min-tick-rate'),
      maxP99Ms: num(values['max-p99'], 100, 'max-p99'),
    },
    (row) => console.log(tableLine(row)),
  );
  writeFileSync(out, JSON.stringify(result, null, 1));
  const svg = out.replace(/\.json$/, '') + '.svg';
  writeFileSync(svg, renderChart(loadTestChart(result)));
  console.log(`most bots joined ${result.maxBotsJoined}, while the relay kept up ${result.maxBotsHealthy}; stopped: ${result.stopped}. Report: ${out}, chart: ${svg}`);
  for (const r of result.failureReasons) console.log(`join failure: ${r}`);
  for (const k of result.errorKinds.slice(0, 8)) console.log(`bot errors ×${k.count}: ${k.reason}`);
  return result.rows.at(-1)?.joinFailures ? 1 : 0;
}

/** The load test's chart: bots joined, relay ticks/s and relay CPU (left), p99 update age (right). */
export function loadTestChart(r: LoadTestResult): Chart {
  return {
    title: `Load test: ${r.options.bots} bots against ${r.options.relay}`,
    xLabel: 'seconds',
    leftLabel: 'bots joined · relay ticks/s · relay CPU %',
    rightLabel: 'update age p99, ms',
    series: [
      { name: 'bots joined', points: r.rows.map((x) => [x.t, x.botsJoined] as const), color: '#2563eb' },
      { name: 'relay ticks/s', points: r.rows.filter((x) => x.relayTickRate > 0).map((x) => [x.t, x.relayTickRate] as const), color: '#16a34a' },
      { name: 'relay CPU (% of a core)', points: r.rows.map((x) => [x.t, x.relayCpu * 100] as const), color: '#9333ea' },
      // Seconds in which no update arrived have no age: left out, not drawn as 0.
      { name: 'update age p99 (ms)', points: r.rows.filter((x) => x.updatesPerS > 0).map((x) => [x.t, x.ageP99Ms] as const), axis: 'right' as const, color: '#dc2626' },
    ],
    marks: [{ y: 100, label: '100 ms', axis: 'right' as const }],
  };
}
