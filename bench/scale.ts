// `npm run bench:scale`: relay capacity both ways (peer-assisted and server-authoritative) over
// N = 25, 50, 100, 200, 400, … as far as this machine goes; writes bench/results/capacity.json
// and capacity.svg, and prints one line with one JSON object.
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderChart } from '../relay/loadtest/svg-chart.js';
import { relayCapacity, type CapacityPoint } from './scale-bench.js';

const steps = (process.env['SCALE_STEPS'] ?? '25,50,100,200,400,800,1600').split(',').map(Number);
const holdS = Number(process.env['SCALE_HOLD_S'] ?? 10);
const log = (s: string): void => console.error(s);
const peers = await relayCapacity('peers', steps, holdS, log);
const relay = await relayCapacity('relay', steps, holdS, log);
const maxHealthy = (ps: readonly CapacityPoint[]): number => Math.max(0, ...ps.filter((p) => p.healthy).map((p) => p.players));
const dir = new URL('./results/', import.meta.url).pathname;
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
const figures: Record<string, number | null> = {
  relay_max_players_peer_assisted_full_bots: maxHealthy(peers),
  relay_max_players_server_authoritative_full_bots: maxHealthy(relay),
};
for (const n of steps) {
  figures[`relay_cpu_ms_per_tick_per_player_peer_${n}`] = at(peers, n);
  figures[`relay_cpu_ms_per_tick_per_player_server_${n}`] = at(relay, n);
}
console.log(JSON.stringify(figures));
