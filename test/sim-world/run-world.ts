// Runs one world spec over the seeded harness and checks the system's invariants every 50 ms of
// virtual time. Returns the first violation (with the tick it was seen at), or none.
import { DocSync, tileKey, WorldDocument, type TileAuthority, type WorldClient } from '../../src/index.js';
import { SCENES } from '../../relay/server.js';
import { Harness, type HarnessClient } from '../harness/harness.js';
import type { WorldSpec } from './world-spec.js';

/** What a world's run found. */
export interface WorldResult {
  readonly spec: WorldSpec;
  /** The first invariant that failed, with when (virtual ms, tick) — undefined when all held. */
  readonly violation?: { readonly invariant: string; readonly atMs: number; readonly tick: number; readonly detail: string };
  /** Counters for the campaign's summary. */
  readonly handoffs: number;
  readonly takeovers: number;
  readonly incidents: number;
  readonly convictions: number;
  readonly entitiesLost: number;
  /** Verdicts against the world's cheater (it may be convicted; nobody else). */
  readonly cheaterConvictions: number;
  /** Layout edits made, and how many the relay acknowledged. */
  readonly edits: number;
  readonly editsAcknowledged: number;
  /** The most the relay held at any check, by collection (`RelayCore.retained()`). */
  readonly relayRetainedMax: Readonly<Record<string, number>>;
}

/** How long an entity may be held by no current owner (a handoff or takeover in flight), ms. */
const MISSING_GRACE_MS = 2500;
const CHECK_EVERY_MS = 50;
/** How long after the faults heal (and the world's calm 2.5 s) every replica must agree with its owner, ms. */
const CONVERGE_MS = 2000;
/** A replica agrees when it shows an entity within this of its owner's state, m (owners correct anything over 1 cm). */
const CONVERGED_M = 0.25;

/** Edge of a tile in the audit scene, m (an edit's document needs it). */
const TILE_EDGE = 16;

/**
 * The most the relay may hold of each kind of thing, per live player, per tile and in all: what
 * it keeps is windows of time (audit records, inputs, routed items) and per-peer state, so it
 * must not grow with the length of the world or with players that have left.
 */
const RETAINED_BOUND = (kind: string, peers: number, tiles: number): number => {
  const perWindow = 60 * 12; // ticks in the longest window any collection keeps (12 s)
  switch (kind) {
    case 'commits':
    case 'records':
    case 'produced':
      return tiles * perWindow;
    case 'inputs':
      return (peers + 8) * 1800;
    default:
      return 64 * (peers + 8) + 16 * tiles;
  }
};

const authorityOf = (c: WorldClient): TileAuthority | undefined => (c as unknown as { authority: TileAuthority | undefined }).authority;

/** Runs `spec`; never throws for a violation (it is returned), only for a broken harness. */
export function runWorld(spec: WorldSpec, trace?: (h: Harness, ms: number) => void, onEnd?: (logs: readonly Record<string, unknown>[]) => void): WorldResult {
  const makeScene = SCENES[spec.scene ?? 'audit'];
  if (!makeScene) throw new Error(`no scene ${spec.scene}: one of ${Object.keys(SCENES).join(', ')}`);
  const scene = makeScene();
  const restarts = spec.events.some((e) => e.kind === 'relay-restart');
  const h = new Harness({ seed: spec.seed, scene, conditions: { delayMs: 10, jitterMs: 5, loss: 0 }, relay: { auditSeed: spec.seed }, ...(restarts ? { saveEveryMs: 2000 } : {}) });
  /** Each player: its client now (a new one after a rejoin or a relay restart), and its document, which outlives connections. */
  interface Player {
    hc: HarnessClient;
    gone: boolean;
    readonly doc: { world: WorldDocument; sync: DocSync; placed: { key: string; acked: boolean }[] } | undefined;
  }
  const players = new Map<number, Player>();
  const withEdits = spec.events.some((e) => e.kind === 'edit');
  /** Peers that turned cheater, as `generation:peer` (a restarted relay numbers peers from 1 again). */
  const cheaters = new Set<string>();
  /** Where each relay generation's lines start in `h.logs` (a restart starts a new one). */
  const generations: number[] = [0];
  const generationOf = (logIndex: number): number => generations.filter((start) => start <= logIndex).length - 1;
  const isCheater = (logIndex: number, peer: unknown): boolean => cheaters.has(`${generationOf(logIndex)}:${String(peer)}`);
  /** Verdicts (not liveness takeovers), over every relay the world had, split by whether they hit the cheater. */
  const verdicts = (): { cheater: number; honest: { line: Record<string, unknown> }[]; liveness: number } => {
    const out = { cheater: 0, honest: [] as { line: Record<string, unknown> }[], liveness: 0 };
    h.logs.forEach((l, i) => {
      if (l['msg'] !== 'incident') return;
      if (l['reason'] === 'lease-expired') out.liveness++;
      else if (isCheater(i, l['peer'])) out.cheater++;
      else out.honest.push({ line: l });
    });
    return out;
  };
  const retainedMax: Record<string, number> = {};
  let edits = 0;
  /** Each player's replica mode, from its join (a rejoin or a reconnection keeps it). */
  const modes = new Map(spec.events.flatMap((e) => (e.kind === 'join' && e.replicaMode ? [[e.player, e.replicaMode] as const] : [])));
  const connect = (slot: number, doc: Player['doc']): HarnessClient => {
    const mode = modes.get(slot);
    const hc = h.addClient(`p${slot}`, 'auto', mode ? { replicaMode: mode } : {});
    if (doc) hc.client.on('joined', () => doc.sync.attach(hc.client));
    return hc;
  };
  const newDoc = (slot: number): Player['doc'] => {
    if (!withEdits) return undefined;
    const world = new WorldDocument(TILE_EDGE, spec.seed * 100 + slot + 1);
    return { world, sync: new DocSync(world), placed: [] };
  };
  const lastEpoch = new Map<string, number>();
  const missingSince = new Map<number, number>();
  const sceneIds = scene.entities.map((e) => e.id);
  let violation: WorldResult['violation'];
  let entitiesLost = 0;
  const fail = (invariant: string, detail: string): void => {
    violation ??= { invariant, atMs: h.scheduler.now(), tick: h.relay.currentTick, detail };
  };

  const check = (final: boolean): void => {
    const dir = new Map(h.relay.directory().map((d) => [tileKey(d.tile), d]));
    // Epochs only grow.
    for (const [key, d] of dir) {
      if ((lastEpoch.get(key) ?? 0) > d.epoch) fail('epochs never go back', `tile ${key} went from epoch ${lastEpoch.get(key)} to ${d.epoch}`);
      lastEpoch.set(key, d.epoch);
    }
    // At most one owner per tile and epoch; nobody holds an epoch the relay has not granted.
    const holders = new Map<string, number[]>();
    const current: { peer: number; a: TileAuthority; key: string }[] = [];
    for (const { hc, gone } of players.values()) {
      const a = authorityOf(hc.client);
      if (gone || !a) continue;
      for (const t of a.heldTiles()) {
        const key = tileKey(t.tile);
        const d = dir.get(key);
        if (d && t.epoch > d.epoch) fail('no epoch from the future', `peer ${hc.client.peerId} holds ${key} at epoch ${t.epoch}, the relay granted ${d.epoch}`);
        const k = `${key}@${t.epoch}`;
        holders.set(k, [...(holders.get(k) ?? []), hc.client.peerId]);
        if (d && d.epoch === t.epoch && d.owner === hc.client.peerId) current.push({ peer: hc.client.peerId, a, key });
      }
    }
    for (const [k, peers] of holders) if (peers.length > 1) fail('one owner per tile and epoch', `${k} held by peers ${peers.join(', ')}`);
    // Where each entity is, as the current owners hold it.
    const count = new Map<number, number>();
    for (const sim of h.relay.ownWorld.tileList()) for (const id of sim.entityIds()) count.set(id, (count.get(id) ?? 0) + 1);
    for (const c of current) for (const id of c.a.world.tileAt(dir.get(c.key)!.tile)?.entityIds() ?? []) count.set(id, (count.get(id) ?? 0) + 1);
    const now = h.scheduler.now();
    const watched = [...sceneIds, ...[...players.values()].filter((p) => !p.gone && p.hc.client.joined).map((p) => p.hc.client.avatar)];
    // Any entity, spawned ones too (two balls with one id once showed only as views disagreeing: world 712).
    for (const [id, n] of count) if (n > 1) fail('no entity doubled', `entity ${id} is in ${n} current tiles`);
    for (const id of watched) {
      const n = count.get(id) ?? 0;
      if (n === 0) {
        // A stalled relay completes no handoff: the grace counts from when it reads again.
        const since = h.relayStalled() ? now : (missingSince.get(id) ?? now);
        missingSince.set(id, since);
        if (now - since > MISSING_GRACE_MS || final) {
          entitiesLost++;
          fail('no entity lost', `entity ${id} held by no current owner for ${now - since} ms${final ? ' (at the end, after the faults healed)' : ''}`);
        }
      } else missingSince.delete(id);
    }
    // No honest player is convicted: only liveness takeovers, and verdicts against the cheater.
    const judged = verdicts().honest[0]?.line;
    if (judged) fail('no honest player convicted', `incident ${String(judged['reason'])} against peer ${String(judged['peer'])}: ${String(judged['detail'])}`);
    // Every edit the relay acknowledged is in its document (and survives a restart from the store).
    const layout = h.relay.doc.layout;
    for (const p of players.values()) {
      if (!p.doc) continue;
      if (!p.gone && p.doc.sync.acknowledged) for (const e of p.doc.placed) e.acked = true;
      for (const e of p.doc.placed) if (e.acked && !layout.get(e.key)) fail('no acknowledged edit lost', `object ${e.key} placed by player ${p.hc.name} was acknowledged and is not in the relay's document`);
    }
    // The relay's memory stays bounded: nothing it keeps grows with time or with players gone.
    const live = [...players.values()].filter((p) => !p.gone).length;
    for (const [kind, n] of Object.entries(h.relay.retained())) {
      retainedMax[kind] = Math.max(retainedMax[kind] ?? 0, n);
      const bound = RETAINED_BOUND(kind, live, dir.size);
      if (n > bound) fail('relay memory bounded', `the relay holds ${n} ${kind} (bound ${bound} for ${live} players, ${dir.size} tiles)`);
    }
  };

  /** Why some player's view disagrees with the owners now (undefined when every view agrees). */
  const converged = (): string | undefined => {
    const dir = new Map(h.relay.directory().map((d) => [tileKey(d.tile), d]));
    const owners = new Map<number, TileAuthority>();
    for (const { hc, gone } of players.values()) {
      const a = authorityOf(hc.client);
      if (!gone && a) owners.set(hc.client.peerId, a);
    }
    const now = h.scheduler.now();
    for (const { hc, gone } of players.values()) {
      const c = hc.client;
      if (gone || !c.joined) continue;
      const view = new Map(c.visibleState(now).map((v) => [v.entity.id, v.entity.position]));
      for (const t of c.tiles()) {
        const d = dir.get(tileKey(t.tile));
        if (!d || d.owner === c.peerId) continue;
        const ownerWorld = d.owner === 0 ? h.relay.ownWorld : owners.get(d.owner)?.world;
        const sim = ownerWorld?.tileAt(t.tile);
        if (!sim) continue; // its owner is between states (a handoff in flight)
        for (const e of sim.describeAll()) {
          if (e.body.type === 'fixed') continue;
          const p = view.get(e.id);
          if (!p) return `peer ${c.peerId} does not show entity ${e.id} of tile ${tileKey(t.tile)} (owner ${d.owner})`;
          const q = e.state.position;
          const err = Math.sqrt((p.x - q.x) ** 2 + (p.y - q.y) ** 2 + (p.z - q.z) ** 2);
          // The owner's state and the view may stand a tick or two apart: a fast body moves that much more.
          const v = e.state.linvel;
          const slack = (Math.sqrt(v.x * v.x + v.y * v.y + v.z * v.z) * 2) / 60;
          if (err > CONVERGED_M + slack) return `peer ${c.peerId} shows entity ${e.id} of tile ${tileKey(t.tile)} ${err.toFixed(2)} m from its owner's state`;
        }
      }
    }
    return undefined;
  };

  const events = [...spec.events];
  try {
    for (let t = 0; t < spec.durationMs && !violation; t += CHECK_EVERY_MS) {
      while (events.length > 0 && events[0]!.at <= t) {
        const e = events.shift()!;
        const p = 'player' in e ? players.get(e.player) : undefined;
        switch (e.kind) {
          case 'join': {
            const doc = newDoc(e.player);
            players.set(e.player, { hc: connect(e.player, doc), gone: false, doc });
            break;
          }
          case 'rejoin':
            if (p && p.gone) {
              p.hc = connect(e.player, p.doc);
              p.gone = false;
            }
            break;
          case 'edit':
            if (p && !p.gone && p.doc && p.hc.client.joined) {
              p.doc.placed.push({ key: p.doc.world.layout.place({ kind: 'box', position: { x: e.x, y: e.y, z: e.z }, yaw: 0, color: '#888888' }), acked: false });
              edits++;
            }
            break;
          case 'peer-partition': {
            const q = players.get(e.other);
            if (p && q && !p.gone && !q.gone && p.hc.client.joined && q.hc.client.joined) h.cutPeers(p.hc.client.peerId, q.hc.client.peerId, e.ms);
            break;
          }
          case 'relay-restart':
            h.restartRelay();
            generations.push(h.logs.length);
            // A restarted relay signs with a new key: the old relay's epochs mean nothing now.
            lastEpoch.clear();
            for (const [slot, q] of players) if (!q.gone) q.hc = connect(slot, q.doc);
            break;
          case 'cheat': {
            // The cheater is the first player from `player` on that owns a tile with a body that
            // moves (cheating on nothing one owns changes nothing); it nudges that body.
            for (let k = 0; k < spec.players; k++) {
              const q = players.get((e.player + k) % spec.players);
              const a = q && !q.gone ? authorityOf(q.hc.client) : undefined;
              const target = a?.heldTiles().flatMap((t) => a.world.tileAt(t.tile)?.describeAll() ?? []).find((d) => d.body.type === 'dynamic');
              if (!q || !target) continue;
              cheaters.add(`${generations.length - 1}:${q.hc.client.peerId}`);
              q.hc.client.cheats.nudge(target.id, 0.05);
              break;
            }
            break;
          }
          case 'walk':
            if (p && !p.gone && p.hc.client.joined) p.hc.client.send({ moveX: e.moveX, moveZ: e.moveZ });
            break;
          case 'throw':
            if (p && !p.gone && p.hc.client.joined) p.hc.client.send({ throw: true, vx: e.vx, vy: e.vy, vz: e.vz, atTick: p.hc.client.currentTick() });
            break;
          case 'leave':
            if (p && !p.gone) {
              p.gone = true;
              p.hc.client.close();
            }
            break;
          case 'crash':
            if (p && !p.gone) {
              p.gone = true;
              p.hc.crash();
            }
            break;
          case 'freeze':
            if (p && !p.gone) p.hc.freeze!(e.ms);
            break;
          case 'partition':
            if (p && !p.gone) p.hc.partition!(e.ms);
            break;
          case 'slow':
            if (p && !p.gone) p.hc.slow!(e.ms, e.everyMs);
            break;
          case 'relay-stall':
            h.stallRelay(e.ms);
            break;
          case 'relay-lag':
            h.lagRelay(e.ms, e.ticksPerSecond);
            break;
          case 'network':
            h.net.setConditions({ loss: e.loss, delayMs: e.delayMs, jitterMs: e.jitterMs, ...(e.duplicate !== undefined ? { duplicate: e.duplicate } : {}) });
            break;
        }
      }
      h.run(CHECK_EVERY_MS);
      trace?.(h, t);
      check(false);
    }
    // The end: whatever is unheld must be held again within the grace (a handoff in flight).
    for (let t = 0; !violation && missingSince.size > 0 && t <= MISSING_GRACE_MS + CHECK_EVERY_MS; t += CHECK_EVERY_MS) {
      h.run(CHECK_EVERY_MS);
      trace?.(h, spec.durationMs + t);
      check(false);
    }
    // Faults healed 2.5 s ago: every player's replicas must agree with their owners within 2 s.
    let diverged = converged();
    for (let t = 0; !violation && diverged && t < CONVERGE_MS; t += CHECK_EVERY_MS) {
      h.run(CHECK_EVERY_MS);
      trace?.(h, spec.durationMs + MISSING_GRACE_MS + t);
      diverged = converged();
    }
    if (diverged) fail('replicas converge', diverged);
    // Verdicts reached while the world settled count too.
    const judged = verdicts().honest[0]?.line;
    if (judged) fail('no honest player convicted', `incident ${String(judged['reason'])} against peer ${String(judged['peer'])}: ${String(judged['detail'])} (after the faults healed)`);
    const m = h.relay.metrics;
    const v = verdicts();
    return {
      spec,
      ...(violation ? { violation } : {}),
      handoffs: m.handoffs,
      takeovers: m.takeovers,
      incidents: v.liveness + v.cheater + v.honest.length,
      convictions: v.honest.length,
      entitiesLost,
      cheaterConvictions: v.cheater,
      edits,
      editsAcknowledged: [...players.values()].reduce((n, p) => n + (p.doc?.placed.filter((e) => e.acked).length ?? 0), 0),
      relayRetainedMax: retainedMax,
    };
  } finally {
    onEnd?.(h.logs);
    h.relay.close();
    for (const p of players.values()) {
      p.doc?.sync.close();
      p.doc?.world.destroy();
    }
  }
}
