// The swarm: the real relay logic (`RelayCore`) in virtual time with N light players
// (light-player.ts) at fixed local density. Measures what each peer sends and receives, the
// relay's own CPU per tick (process.cpuUsage around RelayCore's work only), lease churn and
// audits; with `authority: 'relay'`, the same relay simulating every tile (server-authoritative).
import { cpuUsage } from 'node:process';
import { encodeMessage, MsgType, resolveWorldConfig, standardKinds, tileKey, TileSimulation, commitOf, type Link, type PeerId, type TileId } from '../../src/index.js';
import { RelayCore } from '../../relay/relay-core.js';
import { ed25519Signer } from '../../relay/lease-signer.js';
import type { AuditJob, AuditOutcome, Auditor } from '../../relay/audit/auditor.js';
import { LightPlayer, type ModelState, type SwarmHost } from './light-player.js';
import { groundOf, Occupancy, swarmLayout, swarmScene, WorldModel } from './world-model.js';
import { measureTileCosts, type TileCosts } from './costs.js';

/** One run of the swarm at one N. */
export interface SwarmPoint {
  readonly players: number;
  /** Players that joined and were still connected at the end. */
  readonly joined: number;
  readonly tiles: number;
  /** Virtual seconds measured (after the ramp and a warm-up). */
  readonly measuredS: number;
  /** Wall-clock seconds the whole run took. */
  readonly wallS: number;
  /** Mean over players of every byte received (from the relay and on direct paths), per second. */
  readonly downBytesPerPeerPerS: number;
  /** Mean over players of every byte sent, per second. */
  readonly upBytesPerPeerPerS: number;
  /** The part of the above on the relay link. */
  readonly downRelayBytesPerPeerPerS: number;
  readonly upRelayBytesPerPeerPerS: number;
  /** Relay CPU (RelayCore's work: reading players' messages and its tick), ms per tick; the model auditor's re-execution is not in it. */
  readonly relayCpuMsPerTick: number;
  readonly relayCpuMsPerTickPerPlayer: number;
  /** Audit re-execution, charged per window at the measured cost, ms per tick. */
  readonly auditCpuMsPerTick: number;
  readonly auditsPerS: number;
  /** Tile handoffs per second (lease churn), and leases granted per second. */
  readonly handoffsPerS: number;
  readonly leasesGrantedPerS: number;
  /** Tiles players own at the end, and tiles the relay simulates. */
  readonly playerTiles: number;
  readonly relayTiles: number;
  /** Incidents (verdicts against honest modelled owners: should be 0) and other notes, by kind. */
  readonly notes: Record<string, number>;
  /** Relay refusals, by kind. */
  readonly refused: Record<string, number>;
  /** Messages and bytes per player per second by message type on the relay link (up: player→relay). */
  readonly byType: { readonly up: Record<string, { msgs: number; bytes: number }>; readonly down: Record<string, { msgs: number; bytes: number }> };
  /** Relay CPU from the first join to the end of the warm-up, s (joins, handoffs out of the relay's own tiles, the walk's start). */
  readonly joinRelayCpuS: number;
  readonly costs: TileCosts;
}

/** Options of one swarm run. */
export interface SwarmOptions {
  /** Players joining per tick during the ramp (default 20). */
  readonly joinPerTick?: number;
  /** Virtual seconds measured after the warm-up (default 4). */
  readonly measureS?: number;
  /** Players per tile (default 4). */
  readonly perTile?: number;
  /** Walking speed, m/s (default 2; 0: players stand, turning their keys in place). */
  readonly speed?: number;
  /**
   * `peers` (default): players own their tiles. `relay`: the server-authoritative way, the same
   * relay simulating every tile (`maxTilesPerPeer: 0`, as `tessera relay --authority relay`); the
   * players only send inputs (a key pressed one way then the other, so avatars stay in their
   * tiles), poses and pings, and receive updates. The walk is off (the relay moves the avatars).
   */
  readonly authority?: 'peers' | 'relay';
  /** Stop (and report `undefined`) when the run's wall-clock time passes this, s. */
  readonly wallLimitS?: number;
  readonly log?: (s: string) => void;
}

const NAMES = Object.fromEntries(Object.entries(MsgType).map(([k, v]) => [v, k])) as Record<number, string>;

class SimLink implements Link {
  onMessage: ((bytes: Uint8Array) => void) | undefined;
  onClose: (() => void) | undefined;
  open = true;
  other!: SimLink;
  constructor(private readonly out: (to: SimLink, bytes: Uint8Array) => void) {}
  send(bytes: Uint8Array): void {
    if (this.open) this.out(this.other, bytes);
  }
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.onClose?.();
    this.other.close();
  }
}

/** The model's re-execution: an honest modelled owner's window always verifies; its cost is the measured one. */
class ModelAuditor implements Auditor {
  readonly pending = 0;
  constructor(
    private readonly windowMs: number,
    private readonly endState: (tile: TileId, tick: number) => Uint8Array,
    private readonly producedAt: (tile: TileId, tick: number) => string[],
  ) {}
  submit(job: AuditJob, done: (o: AuditOutcome) => void): void {
    const to = job.fromTick + job.records.length;
    const produced = job.records.map((_, i) => this.producedAt(job.tile, job.fromTick + i + 1));
    done({ ok: true, ticks: job.records.length, endSnapshot: this.endState(job.tile, to), produced, cpuMs: this.windowMs });
  }
  close(): void {}
}

const cpuUs = (): number => {
  const c = cpuUsage();
  return c.user + c.system;
};

/** Runs the swarm with `n` players; undefined when it passed `wallLimitS` (the reason is logged). */
export function runSwarm(n: number, opts: SwarmOptions = {}): SwarmPoint | undefined {
  const log = opts.log ?? (() => {});
  const wall0 = performance.now();
  const serverMode = opts.authority === 'relay';
  const layout = swarmLayout(n, opts.perTile ?? 4, 0.25, serverMode ? 0 : (opts.speed ?? 2));
  const scene = swarmScene(layout);
  const config = resolveWorldConfig(scene.config);
  const registry = standardKinds();
  const model = new WorldModel(layout, config);
  const occupancy = new Occupancy();
  const costs = measureTileCosts(model, layout, config);
  const rate = config.tickRate;
  let tick = 0;
  const clock = (): number => (tick * 1000) / rate + 0.1;
  const players: LightPlayer[] = [];
  const byPeer = (peer: PeerId): LightPlayer | undefined => players[peer - 1];
  const up = new Float64Array(n);
  const down = new Float64Array(n);
  const upRelay = new Float64Array(n);
  const downRelay = new Float64Array(n);
  const byType = { up: {} as Record<string, { msgs: number; bytes: number }>, down: {} as Record<string, { msgs: number; bytes: number }> };
  const countType = (dir: 'up' | 'down', bytes: Uint8Array): void => {
    const k = NAMES[bytes[0]!] ?? String(bytes[0]);
    const e = (byType[dir][k] ??= { msgs: 0, bytes: 0 });
    e.msgs++;
    e.bytes += bytes.length;
  };
  let measuring = false;
  const notes: Record<string, number> = {};
  const note = (what: string): void => {
    notes[what] = (notes[what] ?? 0) + 1;
  };
  const produced = new Map<string, string[]>();
  let excludedUs = 0;
  // A tile's state at a tick is what the model says the first time it is asked (the handoff's
  // state, a commitment, a keyframe, an audit's end state all ask for the same tick at different
  // moments, and occupancy moves in between): kept for 20 s of ticks so every answer agrees.
  const states = new Map<string, ModelState & { readonly tick: number }>();
  const snapshotAt = (tile: TileId, at: number): ModelState => {
    const id = `${tileKey(tile)}@${at}`;
    const known = states.get(id);
    if (known) return known;
    const s = { ...modelState(tile, at), tick: at };
    states.set(id, s);
    return s;
  };
  const modelState = (tile: TileId, at: number): ModelState => {
    const key = tileKey(tile);
    const avatars = occupancy.in(key).flatMap((i) => (players[i]?.avatar ? [model.avatarDesc(i, players[i]!.avatar, at - 1)] : []));
    // Created a tick early and stepped once: a state as a stepped tile holds it (contacts, solver
    // caches; a snapshot of a never-stepped world is some 40 % smaller than a real owner's).
    const sim = TileSimulation.create(tile, config, registry, [groundOf(layout, tile), ...avatars], at - 1);
    sim.step([]);
    try {
      return { snapshot: sim.snapshot(), words: commitOf(sim), entities: sim.describeAll(), continuity: sim.continuity() };
    } finally {
      sim.dispose();
    }
  };
  const auditor = new ModelAuditor(
    costs.auditWindowMs,
    (tile, at) => {
      const c0 = cpuUs();
      const s = snapshotAt(tile, at).snapshot;
      excludedUs += cpuUs() - c0;
      return s;
    },
    (tile, at) => produced.get(`${tileKey(tile)}@${at}`) ?? [],
  );
  // Each player's spawn is its walk's starting point (read by the relay at its hello).
  let spawnFor = { x: 0, y: 1.81, z: 0 };
  const spawn = {
    get x() {
      return spawnFor.x;
    },
    get y() {
      return spawnFor.y;
    },
    get z() {
      return spawnFor.z;
    },
  };
  const relay = new RelayCore({
    world: 'swarm',
    scene,
    registry,
    now: clock,
    signer: ed25519Signer(),
    log: (e) => {
      if (e['msg'] === 'leave' || e['msg'] === 'guard closed' || String(e['msg']).includes('close')) note(`relay-log:${String(e['msg'])}:${String(e['reason'] ?? '')}`);
      if (e['msg'] === 'handoff') note(`handoff:${e['from'] === 0 ? 'relay' : 'peer'}->${e['to'] === 0 ? 'relay' : 'peer'}${measuring ? '' : ':ramp'}`);
      if (e.level === 'warn' && e['msg'] !== 'refused') note(`relay-warn:${String(e['msg'])}:${String(e['why'] ?? '').slice(0, 40)}`);
      if (e.level === 'error') note(`relay-error:${String(e['msg'])}:${String(e['reason'] ?? '')}`.slice(0, 80));
    },
    checkToken: () => undefined,
    maxPeers: n + 16,
    ...(serverMode ? { maxTilesPerPeer: 0 } : {}),
    spawn,
    auditor,
    auditSeed: 1,
    onIncident: (i) => note(`incident:${i.reason}`),
  });
  let toRelay: { link: SimLink; bytes: Uint8Array; i: number }[] = [];
  let toPlayers: { link: SimLink; bytes: Uint8Array; i: number }[] = [];
  const host: SwarmHost = {
    tickRate: rate,
    edge: layout.edge,
    tick: () => tick,
    position: (i, t) => model.position(i, t),
    velocity: (i, t) => model.velocity(i, t),
    walking: (t) => t >= model.startTick,
    rockingKeys: serverMode,
    snapshotAt,
    playersIn: (key) => occupancy.in(key),
    player: byPeer,
    direct: (from, to, bytes) => {
      if (!measuring) return;
      up[from.index]! += bytes;
      down[to - 1]! += bytes;
    },
    produced: (tile, at, key) => {
      const k = `${tileKey(tile)}@${at}`;
      produced.set(k, [...(produced.get(k) ?? []), key]);
    },
    note,
  };
  // The relay places an avatar at its spawn point plus an offset by peer id (8 places): the spawn is set so that they sum to the walk's start.
  const spawnOf = (i: number): { x: number; y: number; z: number } => {
    const k = i % 8;
    const at = model.position(i, 0);
    return { x: at.x - ((k % 4) * 1.2 - 1.8 + Math.floor(k / 4) * 0.6), y: 1.81, z: at.z - ((k % 4) * 1.5 - 2.25) };
  };
  const relayEnds: SimLink[] = [];
  // Teardown without every player leaving one by one (each leave sends the roster to all the others: O(N²)).
  const closeRelay = (): void => {
    for (const l of relayEnds) l.onClose = undefined;
    relay.close();
  };
  const addPlayer = (i: number): void => {
    const toPlayer = (link: SimLink, bytes: Uint8Array): void => void toPlayers.push({ link, bytes, i });
    const fromPlayer = (link: SimLink, bytes: Uint8Array): void => void toRelay.push({ link, bytes, i });
    const relayEnd = new SimLink(toPlayer);
    const playerEnd = new SimLink(fromPlayer);
    relayEnd.other = playerEnd;
    playerEnd.other = relayEnd;
    relay.connect(relayEnd);
    relayEnds.push(relayEnd);
    const p = new LightPlayer(i, host, playerEnd);
    playerEnd.onClose = () => note(`closed${measuring ? '' : ':ramp'}`);
    players.push(p);
    p.join();
  };
  const joinPerTick = opts.joinPerTick ?? 20;
  const rampTicks = Math.ceil(n / joinPerTick);
  model.startTick = rampTicks + 2 * rate;
  const warm = model.startTick + 2 * rate;
  const measureTicks = Math.round((opts.measureS ?? 4) * rate);
  const end = warm + measureTicks;
  let relayUs = 0;
  let joinUs = 0;
  let handoffs0 = 0;
  let granted0 = 0;
  let audits0 = 0;
  for (tick = 1; tick <= end; tick++) {
    if (tick === warm) {
      measuring = true;
      joinUs = relayUs;
      relayUs = 0;
      excludedUs = 0;
      handoffs0 = relay.metrics.handoffs;
      granted0 = relay.metrics.leasesGranted;
      audits0 = relay.audit.counters.audits;
    }
    occupancy.update(model, players.length, tick);
    // The relay: what players sent last tick, then its tick. Only this is the relay's CPU.
    const batch = toRelay;
    toRelay = [];
    const c0 = cpuUs();
    for (const m of batch) {
      if (measuring) countType('up', m.bytes);
      if (m.bytes[0] === MsgType.Hello) spawnFor = spawnOf(m.i);
      m.link.onMessage?.(m.bytes);
    }
    relay.tick();
    relayUs += cpuUs() - c0;
    for (const m of batch) {
      if (!measuring) continue;
      up[m.i]! += m.bytes.length;
      upRelay[m.i]! += m.bytes.length;
    }
    const out = toPlayers;
    toPlayers = [];
    for (const m of out) {
      if (measuring) {
        countType('down', m.bytes);
        down[m.i]! += m.bytes.length;
        downRelay[m.i]! += m.bytes.length;
      }
      m.link.onMessage?.(m.bytes);
    }
    if (tick <= rampTicks) for (let j = 0; j < joinPerTick && players.length < n; j++) addPlayer(players.length);
    for (const p of players) p.step();
    if (tick % rate === 0) {
      for (const [k, st] of states) if (st.tick < tick - rate * 20) states.delete(k);
      const wallS = (performance.now() - wall0) / 1000;
      if (tick % (rate * 2) === 0) log(`swarm N=${n}: tick ${tick}/${end}, ${relay.peerCount} joined, wall ${wallS.toFixed(0)} s`);
      if (opts.wallLimitS !== undefined && wallS > opts.wallLimitS) {
        log(`swarm N=${n}: stopped at tick ${tick} of ${end} (${((tick / end) * 100).toFixed(0)} %): over the wall-clock limit of ${opts.wallLimitS} s`);
        closeRelay();
        return undefined;
      }
    }
  }
  const secs = measureTicks / rate;
  const mean = (a: Float64Array): number => a.reduce((s, x) => s + x, 0) / n / secs;
  const dir = relay.directory();
  const refused: Record<string, number> = {};
  for (const line of relay.metricsText().split('\n')) {
    const m = /^tessera_relay_refused_total\{kind="([^"]+)"\} (\d+)/.exec(line);
    if (m) refused[m[1]!] = Number(m[2]);
  }
  const perSec = (o: Record<string, { msgs: number; bytes: number }>): Record<string, { msgs: number; bytes: number }> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { msgs: v.msgs / n / secs, bytes: v.bytes / n / secs }]));
  const audits = relay.audit.counters.audits - audits0;
  const relayCpuMsPerTick = (relayUs - excludedUs) / 1000 / measureTicks;
  const point: SwarmPoint = {
    players: n,
    joined: relay.peerCount,
    tiles: dir.length,
    measuredS: secs,
    wallS: (performance.now() - wall0) / 1000,
    downBytesPerPeerPerS: mean(down),
    upBytesPerPeerPerS: mean(up),
    downRelayBytesPerPeerPerS: mean(downRelay),
    upRelayBytesPerPeerPerS: mean(upRelay),
    relayCpuMsPerTick,
    relayCpuMsPerTickPerPlayer: relayCpuMsPerTick / n,
    auditCpuMsPerTick: (audits * costs.auditWindowMs) / measureTicks,
    auditsPerS: audits / secs,
    handoffsPerS: (relay.metrics.handoffs - handoffs0) / secs,
    leasesGrantedPerS: (relay.metrics.leasesGranted - granted0) / secs,
    playerTiles: dir.filter((d) => d.owner !== 0).length,
    relayTiles: dir.filter((d) => d.owner === 0).length,
    notes: { ...notes },
    refused,
    byType: { up: perSec(byType.up), down: perSec(byType.down) },
    joinRelayCpuS: joinUs / 1e6,
    costs,
  };
  closeRelay();
  return point;
}
