// `npm run bench:scale`: relay capacity both ways (peer-assisted and server-authoritative) over
// N = 25, 50, 100, 200, 400, … as far as this machine goes (full bots); writes
// bench/results/capacity.json and capacity.svg. Then the swarm (light players, the real relay
// logic in virtual time) over N = 100 … 100,000, both ways; writes bench/results/swarm.json,
// swarm-bytes.svg and swarm-relay-cpu.svg. Prints one line with one JSON object.
// SCALE_PARTS=capacity or SCALE_PARTS=swarm runs one part only.
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderChart } from '../relay/loadtest/svg-chart.js';
import { initPhysics } from '../src/index.js';
import { relayCapacity, type CapacityPoint } from './scale-bench.js';
import { swarmFigures, swarmScale, writeSwarmResults } from './swarm/swarm-scale.js';

const parts = (process.env['SCALE_PARTS'] ?? 'capacity,swarm').split(',');
const figures: Record<string, number | null | string> = {};
const dir = new URL('./results/', import.meta.url).pathname;
if (parts.includes('capacity')) await capacity();
if (parts.includes('swarm')) {
  await initPhysics();
  // Each N both ways; the ramp stops at the first run that passes SWARM_WALL_LIMIT_S (default 30 min).
  const steps = (process.env['SWARM_STEPS'] ?? '100,400,1000,3000,10000,30000,100000').split(',').map(Number);
  const s = swarmScale(steps, { measureS: Number(process.env['SWARM_MEASURE_S'] ?? 4), wallLimitS: Number(process.env['SWARM_WALL_LIMIT_S'] ?? 1800), log: (l) => console.error(l), onStep: (x) => writeSwarmResults(x, dir) });
  writeSwarmResults(s, dir);
  Object.assign(figures, swarmFigures(s));
  if (s.stopped) figures['swarm_stopped'] = s.stopped;
}
console.log(JSON.stringify(figures));

async function capacity(): Promise<void> {
  const steps = (process.env['SCALE_STEPS'] ?? '25,50,100,200,400,800,1600').split(',').map(Number);
  const holdS = Number(process.env['SCALE_HOLD_S'] ?? 10);
  const log = (s: string): void => console.error(s);
  const peers = await relayCapacity('peers', steps, holdS, log);
  const relay = await relayCapacity('relay', steps, holdS, log);
  const maxHealthy = (ps: readonly CapacityPoint[]): number => Math.max(0, ...ps.filter((p) => p.healthy).map((p) => p.players));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}capacity.json`, JSON.stringify({ steps, holdS, peers, relay }, null, 1));
  writeFileSync(
    `${dir}capacity.svg`,
    renderChart({
      title: 'Relay CPU per tick: peer-assisted vs server-authoritative (full bots, this machine)',
      xLabel: 'players',
      leftLabel: 'relay CPU per tick, ms',
      rightLabel: 'relay bytes out per player per second',
      logX: true,
      series: [
        { name: 'peer-assisted CPU/tick', points: peers.map((p) => [p.players, p.relayCpuMsPerTick] as const), color: '#2563eb' },
        { name: 'server-authoritative CPU/tick', points: relay.map((p) => [p.players, p.relayCpuMsPerTick] as const), color: '#dc2626' },
        { name: 'peer-assisted B/s', points: peers.map((p) => [p.players, p.relayBytesOutPerPlayerPerS] as const), axis: 'right', color: '#93c5fd' },
        { name: 'server-auth. B/s', points: relay.map((p) => [p.players, p.relayBytesOutPerPlayerPerS] as const), axis: 'right', color: '#fca5a5' },
      ],
      marks: [{ y: 1000 / 60, label: 'one tick (16.7 ms)' }],
    }),
  );
  const at = (ps: readonly CapacityPoint[], n: number): number | null => ps.find((p) => p.players === n)?.relayCpuMsPerTickPerPlayer ?? null;
  figures['relay_max_players_peer_assisted_full_bots'] = maxHealthy(peers);
  figures['relay_max_players_server_authoritative_full_bots'] = maxHealthy(relay);
  for (const n of steps) {
    figures[`relay_cpu_ms_per_tick_per_player_peer_${n}`] = at(peers, n);
    figures[`relay_cpu_ms_per_tick_per_player_server_${n}`] = at(relay, n);
  }
}
