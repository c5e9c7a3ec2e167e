// The swarm over a ramp of N, both ways in the same run (players owning their tiles, and the
// same relay simulating every tile), its bench figures and its two charts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderChart } from '../../relay/loadtest/svg-chart.js';
import { runSwarm, type SwarmPoint } from './swarm.js';

/** Both ways at each N reached. */
export interface SwarmScale {
  readonly steps: readonly number[];
  readonly peers: SwarmPoint[];
  readonly relay: SwarmPoint[];
  /** Why the ramp stopped before its last step, if it did. */
  stopped: string | undefined;
}

/** Runs N = `steps` (peer-assisted, then server-authoritative, at each N) until one run passes `wallLimitS`; `onStep` sees the points so far after each N. */
export function swarmScale(steps: readonly number[], opts: { measureS?: number; wallLimitS?: number; log?: (s: string) => void; onStep?: (s: SwarmScale) => void } = {}): SwarmScale {
  const log = opts.log ?? (() => {});
  const out: SwarmScale = { steps, peers: [], relay: [], stopped: undefined };
  for (const n of steps) {
    const run = (authority: 'peers' | 'relay'): SwarmPoint | undefined => runSwarm(n, { authority, log, ...(opts.measureS !== undefined ? { measureS: opts.measureS } : {}), ...(opts.wallLimitS !== undefined ? { wallLimitS: opts.wallLimitS } : {}) });
    const p = run('peers');
    if (!p) {
      out.stopped = `N=${n} (peer-assisted) did not finish within ${opts.wallLimitS} s of wall-clock time`;
      break;
    }
    out.peers.push(p);
    log(describe(p));
    const r = run('relay');
    if (!r) {
      out.stopped = `N=${n} (server-authoritative) did not finish within ${opts.wallLimitS} s of wall-clock time`;
      break;
    }
    out.relay.push(r);
    log(describe(r));
    opts.onStep?.(out);
  }
  return out;
}

/** One 60 Hz tick, ms: a relay whose thread needs more per tick falls behind. */
export const TICK_MS = 1000 / 60;

/**
 * Runs on past the swarm's points, each way, up the given N until the relay's CPU per tick passes
 * one tick (or a run passes `wallLimitS`), so each way has a point on both sides of a full tick.
 */
export function extendToFullTick(s: SwarmScale, more: { readonly peers: readonly number[]; readonly relay: readonly number[] }, opts: { measureS?: number; wallLimitS?: number; log?: (s: string) => void } = {}): void {
  const log = opts.log ?? (() => {});
  for (const authority of ['peers', 'relay'] as const) {
    const points = authority === 'peers' ? s.peers : s.relay;
    for (const n of more[authority]) {
      if (points.some((p) => p.relayCpuMsPerTick > TICK_MS)) break;
      const p = runSwarm(n, { authority, log, ...(opts.measureS !== undefined ? { measureS: opts.measureS } : {}), ...(opts.wallLimitS !== undefined ? { wallLimitS: opts.wallLimitS } : {}) });
      if (!p) break;
      points.push(p);
      log(describe(p));
    }
  }
}

/**
 * How many players one relay thread holds: the N at which its CPU per tick reaches one 60 Hz tick,
 * interpolated linearly between the last point under it and the first over it (`atLeast` when
 * no point reached it: then the largest N measured, a lower bound).
 */
export function playersAtFullTick(points: readonly SwarmPoint[]): { players: number; atLeast: boolean } {
  const sorted = [...points].sort((a, b) => a.players - b.players);
  const over = sorted.findIndex((p) => p.relayCpuMsPerTick > TICK_MS);
  if (over < 0) return { players: sorted.at(-1)?.players ?? 0, atLeast: true };
  if (over === 0) return { players: 0, atLeast: false };
  const a = sorted[over - 1]!;
  const b = sorted[over]!;
  const f = (TICK_MS - a.relayCpuMsPerTick) / (b.relayCpuMsPerTick - a.relayCpuMsPerTick);
  return { players: Math.round(a.players + f * (b.players - a.players)), atLeast: false };
}

const describe = (p: SwarmPoint): string =>
  `swarm ${p.byType.up['Commits'] ? 'peer-assisted' : 'server-authoritative'} N=${p.players}: ${p.joined} joined, ${p.tiles} tiles (${p.playerTiles} players', ${p.relayTiles} relay's); per peer ${Math.round(p.downBytesPerPeerPerS)} B/s down (${Math.round(p.downRelayBytesPerPeerPerS)} from the relay), ${Math.round(p.upBytesPerPeerPerS)} B/s up; relay ${p.relayCpuMsPerTick.toFixed(2)} ms CPU/tick (+ ${p.auditCpuMsPerTick.toFixed(2)} ms audit, modelled); ${p.handoffsPerS.toFixed(1)} handoffs/s; ${p.auditsPerS.toFixed(1)} audits/s; notes ${JSON.stringify(p.notes)}; relay CPU from first join to measuring ${p.joinRelayCpuS.toFixed(1)} s; wall ${p.wallS.toFixed(0)} s`;

const round = (x: number, d = 4): number => Number(x.toFixed(d));

/**
 * Re-executing one audit window, ms: the median of the run's calibrations (each N measures it
 * anew; on a shared machine one measurement varies severalfold, and audits of the same tiles cost the same at every N).
 */
export function auditWindowMs(s: SwarmScale): number {
  const xs = s.peers.map((p) => p.costs.auditWindowMs).sort((a, b) => a - b);
  return xs.length === 0 ? 0 : xs[Math.floor(xs.length / 2)]!;
}

/** Audit re-execution CPU per tick of one run at the run's median window cost. */
const auditMsPerTick = (p: SwarmPoint, windowMs: number): number => (p.auditsPerS * windowMs) / 60;

/** The bench's swarm figures (null where N was not reached). */
export function swarmFigures(s: SwarmScale): Record<string, number | null> {
  const at = (ps: readonly SwarmPoint[], n: number): SwarmPoint | undefined => ps.find((p) => p.players === n);
  const base = at(s.peers, 100);
  const top = s.peers.at(-1);
  const k100 = at(s.peers, 100_000);
  const windowMs = auditWindowMs(s);
  const f: Record<string, number | null> = {
    swarm_audit_window_ms: round(windowMs, 3),
    swarm_max_players_simulated: top?.players ?? 0,
    swarm_downstream_bytes_per_peer_ratio_100k_vs_100: k100 && base ? round(k100.downBytesPerPeerPerS / base.downBytesPerPeerPerS, 3) : null,
    swarm_downstream_bytes_per_peer_ratio_max_vs_100: top && base ? round(top.downBytesPerPeerPerS / base.downBytesPerPeerPerS, 3) : null,
    swarm_relay_cpu_ms_per_tick_100k: k100 ? round(k100.relayCpuMsPerTick, 3) : null,
  };
  // One relay thread's capacity both ways, where the runs bracket a full tick.
  const peersCap = playersAtFullTick(s.peers);
  const relayCap = playersAtFullTick(s.relay);
  if (s.peers.length > 0) {
    f['relay_max_players_peer_assisted'] = peersCap.players;
    f['relay_max_players_peer_assisted_is_lower_bound'] = peersCap.atLeast ? 1 : 0;
  }
  if (s.relay.length > 0) {
    f['relay_max_players_server_authoritative'] = relayCap.players;
    f['relay_max_players_server_authoritative_is_lower_bound'] = relayCap.atLeast ? 1 : 0;
  }
  if (s.peers.length > 0 && s.relay.length > 0 && relayCap.players > 0) f['relay_max_players_ratio_peer_vs_server'] = round(peersCap.players / relayCap.players, 2);
  for (const p of s.peers) {
    const n = p.players;
    const r = at(s.relay, n);
    f[`swarm_downstream_bytes_per_peer_per_s_${n}`] = Math.round(p.downBytesPerPeerPerS);
    f[`swarm_upstream_bytes_per_peer_per_s_${n}`] = Math.round(p.upBytesPerPeerPerS);
    f[`swarm_relay_cpu_ms_per_tick_${n}`] = round(p.relayCpuMsPerTick, 3);
    f[`swarm_audit_cpu_ms_per_tick_${n}`] = round(auditMsPerTick(p, windowMs), 3);
    f[`swarm_lease_churn_per_s_${n}`] = round(p.handoffsPerS, 2);
    f[`swarm_incidents_${n}`] = Object.entries(p.notes).filter(([k]) => k.startsWith('incident')).reduce((x, [, v]) => x + v, 0);
    f[`swarm_server_relay_cpu_ms_per_tick_${n}`] = r ? round(r.relayCpuMsPerTick, 3) : null;
    f[`swarm_server_downstream_bytes_per_peer_per_s_${n}`] = r ? Math.round(r.downBytesPerPeerPerS) : null;
  }
  // Server-authoritative points with no peer-assisted run at the same N (the capacity search's).
  for (const r of s.relay) {
    f[`swarm_server_relay_cpu_ms_per_tick_${r.players}`] = round(r.relayCpuMsPerTick, 3);
    f[`swarm_server_downstream_bytes_per_peer_per_s_${r.players}`] = Math.round(r.downBytesPerPeerPerS);
  }
  return f;
}

/** Writes bench/results/swarm.json, swarm-bytes.svg and swarm-relay-cpu.svg. */
export function writeSwarmResults(s: SwarmScale, dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}swarm.json`, JSON.stringify(s, null, 1));
  const xy = (ps: readonly SwarmPoint[], f: (p: SwarmPoint) => number): [number, number][] => ps.map((p) => [p.players, f(p)]);
  const windowMs = auditWindowMs(s);
  writeFileSync(
    `${dir}swarm-bytes.svg`,
    renderChart({
      title: 'Swarm: bytes per peer per second at 4 players per tile (light players, real relay logic)',
      xLabel: 'players (the world grows with them)',
      leftLabel: 'bytes per peer per second',
      logX: true,
      xMin: 100,
      series: [
        { name: 'peer-assisted, down', points: xy(s.peers, (p) => p.downBytesPerPeerPerS), color: '#2563eb' },
        { name: 'peer-assisted, up', points: xy(s.peers, (p) => p.upBytesPerPeerPerS), color: '#93c5fd' },
        { name: 'server-auth., down', points: xy(s.relay, (p) => p.downBytesPerPeerPerS), color: '#dc2626' },
        { name: 'server-auth., up', points: xy(s.relay, (p) => p.upBytesPerPeerPerS), color: '#fca5a5' },
        { name: 'peer-assisted, relay link down', points: xy(s.peers, (p) => p.downRelayBytesPerPeerPerS), color: '#16a34a' },
      ],
    }),
  );
  writeFileSync(
    `${dir}swarm-relay-cpu.svg`,
    renderChart({
      title: 'Swarm: relay CPU per tick (RelayCore in virtual time, this machine)',
      xLabel: 'players (the world grows with them)',
      leftLabel: 'relay CPU per tick, ms',
      rightLabel: 'tile handoffs per second',
      logX: true,
      xMin: 100,
      series: [
        { name: 'peer-assisted', points: xy(s.peers, (p) => p.relayCpuMsPerTick), color: '#2563eb' },
        { name: 'peer-assisted + audit', points: xy(s.peers, (p) => p.relayCpuMsPerTick + auditMsPerTick(p, windowMs)), color: '#7c3aed' },
        { name: 'server-authoritative', points: xy(s.relay, (p) => p.relayCpuMsPerTick), color: '#dc2626' },
        { name: 'handoffs/s', points: xy(s.peers, (p) => p.handoffsPerS), axis: 'right', color: '#9ca3af' },
      ],
      marks: [{ y: 1000 / 60, label: 'one tick (16.7 ms)' }],
    }),
  );
}
