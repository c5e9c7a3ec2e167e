// The operator's dashboard, data side: what `GET /dashboard/data` answers. Built from the relay
// core's public API (the tile directory, the metrics registry, the audit counters, its own
// simulation) plus what the server wires in: every log line (joins, leaves, handoffs, takeovers,
// incidents, refusals) and a tap on each connection's link (the welcome that names the peer, its
// role and avatar; its poses; the signalling and fallback traffic between players). Everything
// kept is bounded: rings of fixed size, and per-player state that leaves with the player.

import { decodeMessage, MsgType, RELAY_PEER, tileOf, type Link, type PeerId, type TileId } from '../../src/index.js';
import type { RelayCore, RelayLog } from '../relay-core.js';
import { Ring } from './ring.js';

/** One log line of the relay, kept for the dashboard (primitive fields only, long strings cut). */
export interface DashboardLogLine {
  /** Wall-clock time it was logged, ms since the Unix epoch. */
  readonly at: number;
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly fields: Readonly<Record<string, string | number | boolean | null>>;
}

/** How two players reach each other, as the relay sees it. */
export type DashboardPath = 'p2p' | 'relay' | 'connecting' | 'none';

/** A connected player. */
export interface DashboardPlayer {
  readonly peer: PeerId;
  readonly name: string;
  /** From its welcome (`creator`, `player`, `viewer`); null until seen. */
  readonly role: string | null;
  readonly avatar: number | null;
  /** The tile its avatar is in: from the relay's own simulation when it holds the avatar, else from the player's last pose. */
  readonly avatarTile: TileId | null;
  readonly avatarTileFrom: 'relay' | 'pose' | null;
  /** Tiles it holds the lease of. */
  readonly tiles: number;
  /** Joined at, ms since the Unix epoch. */
  readonly joinedAt: number;
  /**
   * Its path to every other player: `relay` when their traffic went through the relay in the
   * last 5 s (or only ever did), `p2p` when WebRTC signalling went both ways and nothing is
   * relayed, `connecting` while signalling goes one way, `none` when they never needed a link.
   */
  readonly paths: readonly { readonly peer: PeerId; readonly path: DashboardPath; readonly relayedMessages: number }[];
}

/** Rates at one moment (from the relay's 1 s samples). */
export interface DashboardRates {
  /** Sample time, ms since the Unix epoch. */
  readonly t: number;
  /** Ticks the relay's own simulation advanced per second (60 when it keeps up). */
  readonly ticksPerSecond: number;
  /** CPU of the relay process, every thread, % of one core. */
  readonly cpuPercent: number;
  /** Leases granted in the last minute (as every `…PerMinute`: counted over the trailing 60 s). */
  readonly leasesPerMinute: number;
  readonly handoffsPerMinute: number;
  readonly takeoversPerMinute: number;
  readonly auditWindowsPerMinute: number;
  readonly auditsPerMinute: number;
  readonly auditMismatchesPerMinute: number;
  readonly refusalsPerMinute: number;
  readonly messagesInPerSecond: number;
  readonly messagesOutPerSecond: number;
}

/** A count by reason. */
export interface DashboardCount {
  readonly reason: string;
  readonly count: number;
}

/** What `GET /dashboard/data` answers. */
export interface DashboardSnapshot {
  readonly world: string;
  /** ms since the Unix epoch. */
  readonly time: number;
  readonly startedAt: number;
  readonly auth: 'token' | 'open';
  readonly authority: 'peers' | 'relay';
  /** The shared timeline's tick, and the tick the relay's own simulation has reached. */
  readonly tick: number;
  readonly simTick: number;
  readonly tileEdge: number;
  readonly peers: number;
  readonly tiles: readonly { readonly x: number; readonly y: number; readonly z: number; readonly owner: PeerId; readonly epoch: number }[];
  readonly players: readonly DashboardPlayer[];
  readonly rates: DashboardRates | null;
  readonly totals: Readonly<Record<string, number>>;
  readonly audit: Readonly<Record<string, number>>;
  readonly refusals: readonly DashboardCount[];
  readonly closed: readonly DashboardCount[];
  readonly incidentsByReason: readonly DashboardCount[];
  /** The relay's incident log lines, newest last. */
  readonly incidents: readonly DashboardLogLine[];
  /** Its refusal and closed-connection log lines, newest last. */
  readonly refusalLog: readonly DashboardLogLine[];
  /** Joins, leaves, handoffs, takeovers, incidents…, newest last. */
  readonly events: readonly DashboardLogLine[];
  /** Relay ticks that held the event loop over 100 ms, with where the time went, newest last. */
  readonly slowTicks: readonly DashboardLogLine[];
  /** The rates of the last samples, oldest first (only when asked for: the page's first load). */
  readonly series?: readonly DashboardRates[];
}

/** Options of `DashboardData`. */
export interface DashboardDataOptions {
  readonly world: string;
  readonly auth: 'token' | 'open';
  readonly authority?: 'peers' | 'relay';
  /** Wall clock, ms (default `Date.now`). */
  readonly now?: () => number;
  /** The process's CPU time, µs (default `process.cpuUsage`, user + system). */
  readonly cpuMicros?: () => number;
}

interface Sample {
  readonly t: number;
  readonly simTick: number;
  readonly cpuUs: number;
  readonly leases: number;
  readonly handoffs: number;
  readonly takeovers: number;
  readonly windows: number;
  readonly audits: number;
  readonly mismatches: number;
  readonly refused: number;
  readonly msgsIn: number;
  readonly msgsOut: number;
}

interface PairTraffic {
  signalAt: number;
  forwardAt: number;
  forwarded: number;
}

interface PlayerRecord {
  readonly peer: PeerId;
  name: string;
  role: string | null;
  avatar: number | null;
  readonly joinedAt: number;
  pose: { x: number; y: number; z: number } | undefined;
  /** Signalling and fallback traffic this player sent to another (bounded by the players present). */
  readonly to: Map<PeerId, PairTraffic>;
}

/** Samples kept: two minutes at one a second. */
export const SAMPLE_CAPACITY = 121;
const INCIDENT_CAPACITY = 100;
const REFUSAL_CAPACITY = 100;
const EVENT_CAPACITY = 200;
const MAX_FIELD_CHARS = 600;
const RELAYED_RECENT_MS = 5000;

const SLOW_CAPACITY = 30;
const EVENT_MSGS = new Set(['join', 'leave', 'handoff', 'handoff timed out; using the last keyframe', 'takeover', 'takeover replay failed; using the last keyframe', 'tick failed', 'world restored', 'new world', 'checkpoint save failed']);
const SLOW_MSGS = new Set(['slow relay tick']);
const REFUSAL_MSGS = new Set(['refused', 'join refused', 'connection closed']);

/** Parses `name{reason="x"} n` lines of one metric out of the Prometheus text. */
function countsOf(text: string, metric: string): DashboardCount[] {
  const out: DashboardCount[] = [];
  const prefix = `${metric}{reason="`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const end = line.indexOf('"}', prefix.length);
    if (end < 0) continue;
    const count = Number(line.slice(end + 2).trim());
    if (Number.isFinite(count)) out.push({ reason: line.slice(prefix.length, end), count });
  }
  return out;
}

/**
 * The dashboard's view of one relay. The server calls `onLog` for every log line, wraps every
 * connection's link with `tap`, and calls `sample()` once a second; `snapshot()` is the JSON.
 */
export class DashboardData {
  private readonly core: RelayCore;
  private readonly opts: DashboardDataOptions;
  private readonly now: () => number;
  private readonly cpuMicros: () => number;
  private readonly startedAt: number;
  private readonly samples = new Ring<Sample>(SAMPLE_CAPACITY);
  private readonly incidents = new Ring<DashboardLogLine>(INCIDENT_CAPACITY);
  private readonly refusalLog = new Ring<DashboardLogLine>(REFUSAL_CAPACITY);
  private readonly events = new Ring<DashboardLogLine>(EVENT_CAPACITY);
  private readonly slowTicks = new Ring<DashboardLogLine>(SLOW_CAPACITY);
  private readonly players = new Map<PeerId, PlayerRecord>();

  constructor(core: RelayCore, opts: DashboardDataOptions) {
    this.core = core;
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.cpuMicros =
      opts.cpuMicros ??
      (() => {
        const u = process.cpuUsage();
        return u.user + u.system;
      });
    this.startedAt = this.now();
  }

  /** Takes one log line of the relay (never throws: the dashboard never stands in the way of a log line). */
  onLog(e: Parameters<RelayLog>[0]): void {
    try {
      this.takeLog(e);
    } catch {
      // a line the dashboard cannot read is left out of it
    }
  }

  private takeLog(e: Parameters<RelayLog>[0]): void {
    const msg = e.msg;
    const isIncident = msg === 'incident';
    const isRefusal = REFUSAL_MSGS.has(msg);
    const isEvent = EVENT_MSGS.has(msg);
    const isSlow = SLOW_MSGS.has(msg);
    if (!isIncident && !isRefusal && !isEvent && !isSlow) return;
    const fields: Record<string, string | number | boolean | null> = {};
    for (const [k, v] of Object.entries(e)) {
      if (k === 'msg' || k === 'level' || k === 'time') continue;
      if (typeof v === 'string') fields[k] = v.length > MAX_FIELD_CHARS ? `${v.slice(0, MAX_FIELD_CHARS)}…` : v;
      else if (typeof v === 'number' || typeof v === 'boolean' || v === null) fields[k] = v;
    }
    const line: DashboardLogLine = { at: this.now(), level: e.level, msg, fields };
    if (isIncident) this.incidents.push(line);
    if (isRefusal) this.refusalLog.push(line);
    if (isEvent || isIncident) this.events.push(line);
    if (isSlow) this.slowTicks.push(line);
    if (msg === 'join' && typeof e['peer'] === 'number') {
      const peer = e['peer'];
      this.players.set(peer, { peer, name: typeof e['name'] === 'string' ? e['name'] : `player ${peer}`, role: null, avatar: null, joinedAt: line.at, pose: undefined, to: new Map() });
    } else if (msg === 'leave' && typeof e['peer'] === 'number') {
      const peer = e['peer'];
      this.players.delete(peer);
      for (const p of this.players.values()) p.to.delete(peer);
    }
  }

  /**
   * Wraps a connection's link: what the relay sends it and what it sends the relay pass through
   * unchanged; the dashboard reads a few bytes of some (the welcome, poses, signalling and
   * fallback messages between players). Nothing is kept for a connection that never joins.
   */
  tap(inner: Link): Link {
    let peer: PeerId | undefined;
    let handler: ((bytes: Uint8Array) => void) | undefined;
    const record = (): PlayerRecord | undefined => (peer === undefined ? undefined : this.players.get(peer));
    const onBytes = (bytes: Uint8Array): void => {
      try {
        this.fromPeer(record(), bytes);
      } catch {
        // the relay decides what a message is worth; the tap only looks
      }
      handler?.(bytes);
    };
    const link: Link = {
      get open() {
        return inner.open;
      },
      get onMessage() {
        return handler;
      },
      set onMessage(f) {
        handler = f;
        inner.onMessage = f ? onBytes : undefined;
      },
      get onClose() {
        return inner.onClose;
      },
      set onClose(f) {
        inner.onClose = f;
      },
      send: (bytes, reliable) => {
        if (bytes[0] === MsgType.Welcome) {
          try {
            const m = decodeMessage(bytes, this.core.config.tileEdge);
            if (m.type === MsgType.Welcome) {
              peer = m.peer;
              const r = this.players.get(m.peer);
              if (r) {
                r.role = m.role;
                r.avatar = m.avatar;
              }
            }
          } catch {
            // not a welcome the dashboard can read: the player shows without role and avatar
          }
        }
        inner.send(bytes, reliable);
      },
      close: () => inner.close(),
    };
    return link;
  }

  private fromPeer(from: PlayerRecord | undefined, bytes: Uint8Array): void {
    if (!from || bytes.length < 5) return;
    const type = bytes[0];
    if (type !== MsgType.Pose && type !== MsgType.Signal && type !== MsgType.Forward) return;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (type === MsgType.Pose) {
      // tick f64, then x, y, z as f32 (little-endian)
      if (bytes.length < 21) return;
      const x = view.getFloat32(9, true);
      const y = view.getFloat32(13, true);
      const z = view.getFloat32(17, true);
      if (Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z)) from.pose = { x, y, z };
      return;
    }
    const to = view.getUint32(1, true);
    if (to === from.peer || !this.players.has(to)) return;
    let t = from.to.get(to);
    if (!t) from.to.set(to, (t = { signalAt: 0, forwardAt: 0, forwarded: 0 }));
    const at = this.now();
    if (type === MsgType.Signal) t.signalAt = at;
    else {
      t.forwardAt = at;
      t.forwarded++;
    }
  }

  /** Takes a sample of the relay's counters (call once a second). */
  sample(): void {
    const m = this.core.metrics;
    const a = this.core.audit.counters;
    this.samples.push({
      t: this.now(),
      simTick: this.core.ownWorld.tick,
      cpuUs: this.cpuMicros(),
      leases: m.leasesGranted,
      handoffs: m.handoffs,
      takeovers: m.takeovers,
      windows: a.windowsSeen,
      audits: a.audits,
      mismatches: a.mismatches,
      refused: m.refusedCount(),
      msgsIn: m.messagesIn,
      msgsOut: m.messagesOut,
    });
  }

  /** Rates at sample `i` (needs one sample before it). */
  private ratesAt(i: number): DashboardRates | undefined {
    if (i < 1) return undefined;
    const s = this.samples.at(i);
    const prev = this.samples.at(i - 1);
    if (!s || !prev) return undefined;
    const dt = (s.t - prev.t) / 1000;
    if (!(dt > 0)) return undefined;
    // Per minute: how many in the last 60 s (everything since the start while the relay is younger).
    let j = i - 1;
    while (j > 0 && s.t - this.samples.at(j - 1)!.t <= 60_000) j--;
    const w = this.samples.at(j)!;
    const perMin = (key: 'leases' | 'handoffs' | 'takeovers' | 'windows' | 'audits' | 'mismatches' | 'refused'): number => s[key] - w[key];
    const round1 = (v: number): number => Math.round(v * 10) / 10;
    return {
      t: s.t,
      ticksPerSecond: round1((s.simTick - prev.simTick) / dt),
      cpuPercent: round1(((s.cpuUs - prev.cpuUs) / 1e6 / dt) * 100),
      leasesPerMinute: perMin('leases'),
      handoffsPerMinute: perMin('handoffs'),
      takeoversPerMinute: perMin('takeovers'),
      auditWindowsPerMinute: perMin('windows'),
      auditsPerMinute: perMin('audits'),
      auditMismatchesPerMinute: perMin('mismatches'),
      refusalsPerMinute: perMin('refused'),
      messagesInPerSecond: round1((s.msgsIn - prev.msgsIn) / dt),
      messagesOutPerSecond: round1((s.msgsOut - prev.msgsOut) / dt),
    };
  }

  private pathBetween(a: PlayerRecord, b: PlayerRecord, now: number): { path: DashboardPath; relayedMessages: number } {
    const ab = a.to.get(b.peer);
    const ba = b.to.get(a.peer);
    const relayedMessages = (ab?.forwarded ?? 0) + (ba?.forwarded ?? 0);
    const lastForward = Math.max(ab?.forwardAt ?? 0, ba?.forwardAt ?? 0);
    if (lastForward > 0 && now - lastForward <= RELAYED_RECENT_MS) return { path: 'relay', relayedMessages };
    if ((ab?.signalAt ?? 0) > 0 && (ba?.signalAt ?? 0) > 0) return { path: 'p2p', relayedMessages };
    if ((ab?.signalAt ?? 0) > 0 || (ba?.signalAt ?? 0) > 0) return { path: 'connecting', relayedMessages };
    return { path: lastForward > 0 ? 'relay' : 'none', relayedMessages };
  }

  /** The dashboard's JSON; `withSeries` adds the rates of every sample kept (the page's first load). */
  snapshot(withSeries = false): DashboardSnapshot {
    const core = this.core;
    const now = this.now();
    const edge = core.config.tileEdge;
    const directory = core.directory();
    const owned = new Map<PeerId, number>();
    for (const d of directory) if (d.owner !== RELAY_PEER) owned.set(d.owner, (owned.get(d.owner) ?? 0) + 1);
    const records = [...this.players.values()].sort((a, b) => a.peer - b.peer);
    const players: DashboardPlayer[] = records.map((r) => {
      let avatarTile: TileId | null = null;
      let avatarTileFrom: 'relay' | 'pose' | null = null;
      const simTile = r.avatar !== null ? core.ownWorld.tileOfEntity(r.avatar) : undefined;
      if (simTile) {
        avatarTile = { x: simTile.x, y: simTile.y, z: simTile.z };
        avatarTileFrom = 'relay';
      } else if (r.pose) {
        const t = tileOf(r.pose, edge);
        avatarTile = { x: t.x, y: t.y, z: t.z };
        avatarTileFrom = 'pose';
      }
      const paths = records.filter((o) => o !== r).map((o) => ({ peer: o.peer, ...this.pathBetween(r, o, now) }));
      return { peer: r.peer, name: r.name, role: r.role, avatar: r.avatar, avatarTile, avatarTileFrom, tiles: owned.get(r.peer) ?? 0, joinedAt: r.joinedAt, paths };
    });
    const m = core.metrics;
    const text = core.metricsText();
    const series: DashboardRates[] = [];
    if (withSeries) {
      for (let i = 1; i < this.samples.size; i++) {
        const r = this.ratesAt(i);
        if (r) series.push(r);
      }
    }
    return {
      world: this.opts.world,
      time: now,
      startedAt: this.startedAt,
      auth: this.opts.auth,
      authority: this.opts.authority ?? 'peers',
      tick: core.currentTick,
      simTick: core.ownWorld.tick,
      tileEdge: edge,
      peers: core.peerCount,
      tiles: directory.map((d) => ({ x: d.tile.x, y: d.tile.y, z: d.tile.z, owner: d.owner, epoch: d.epoch })),
      players,
      rates: this.ratesAt(this.samples.size - 1) ?? null,
      totals: {
        connections: m.connections,
        joins: m.joins,
        leaves: m.leaves,
        leasesGranted: m.leasesGranted,
        leasesRevoked: m.leasesRevoked,
        handoffs: m.handoffs,
        handoffTimeouts: m.handoffTimeouts,
        takeovers: m.takeovers,
        staleEpochs: m.staleEpochs,
        signals: m.signals,
        relayedMessages: m.relayedMessages,
        relayedBytes: m.relayedBytes,
        relayedPairs: m.relayedPairCount,
        commits: m.commits,
        messagesIn: m.messagesIn,
        messagesOut: m.messagesOut,
        bytesIn: m.bytesIn,
        bytesOut: m.bytesOut,
        relayEntities: core.relayEntityCount(),
      },
      audit: { ...core.audit.counters, pending: core.audit.pendingCount },
      refusals: countsOf(text, 'tessera_refused_total'),
      closed: countsOf(text, 'tessera_closed_total'),
      incidentsByReason: countsOf(text, 'tessera_incidents_total'),
      incidents: this.incidents.toArray(),
      refusalLog: this.refusalLog.toArray(),
      events: this.events.toArray(),
      slowTicks: this.slowTicks.toArray(),
      ...(withSeries ? { series } : {}),
    };
  }
}
