// The adversarial suite: every class of cheat a modified browser can try, each run in its own
// seeded world against the real relay logic and honest clients. A class is caught when the
// relay convicts the cheater (an incident with its reason) or refuses the forgery outright
// (a counted refusal, and the forgery has no effect). Used by attack.test.ts (CI: 10 seeds
// per class; `npm run attack`: 100) and by the bench (attack_* figures).
import { AUDIT_SCENE, AUDIT_WINDOW_TICKS, entityDesc, initPhysics, MsgType, tileKey, type EntityDesc, type IncidentReason, type TickRecord, type TileId, type WorldClient } from '../../src/index.js';
import { SCENES } from '../../relay/server.js';
import { Harness } from './harness.js';
import { MaliciousClient } from './malicious-client.js';

/** One run of one class with one seed. */
export interface AttackRun {
  readonly cls: string;
  readonly seed: number;
  readonly caught: boolean;
  /** Virtual ms from the cheat's start to its incident or refusal (-1 when not caught). */
  readonly ms: number;
  /** What caught it: an incident reason, or `refused:<kind>`. */
  readonly how: string;
}

/** A world with a cheater owning tile (0,0,0) and an honest victim whose avatar is in it. */
interface Arena {
  readonly h: Harness;
  readonly cheat: MaliciousClient;
  readonly victim: WorldClient;
}

function arena(seed: number, scene: 'audit' | 'demo' = 'audit'): Arena {
  const h = new Harness({ seed, scene: SCENES[scene]!(), conditions: { delayMs: 10, jitterMs: 8, loss: 0.01 }, relay: { auditSeed: seed * 7919 } });
  const cheat = new MaliciousClient(h, 'cheat');
  if (h.runUntil(() => cheat.owned().includes('0,0,0'), 8000) < 0) throw new Error(`seed ${seed}: the cheater never got tile 0,0,0`);
  const victim = h.addClient('victim').client;
  if (h.runUntil(() => victim.peerId !== undefined && victim.entities().some((e) => e.id === victim.avatar), 8000) < 0) throw new Error(`seed ${seed}: the victim never joined`);
  h.run(600);
  return { h, cheat, victim };
}

/** The first incident against `peer` in the relay's log, if any. */
function incidentAgainst(h: Harness, peer: number | undefined): IncidentReason | undefined {
  const e = h.logs.find((x) => x['msg'] === 'incident' && x['peer'] === peer);
  return e?.['reason'] as IncidentReason | undefined;
}

/** Runs until the cheater is convicted, the victim walking to and fro (its inputs keep coming). */
function untilConvicted(a: Arena, maxMs: number, walk = true): { ms: number; how: string } {
  const start = a.h.scheduler.now();
  let step = 0;
  const ms = a.h.runUntil(() => {
    if (walk && (a.h.scheduler.now() - start) / 250 >= step) {
      a.victim.send({ moveX: step % 2 === 0 ? 1 : -1, moveZ: 0 });
      step++;
    }
    return incidentAgainst(a.h, a.cheat.client.peerId) !== undefined;
  }, maxMs);
  return { ms, how: incidentAgainst(a.h, a.cheat.client.peerId) ?? 'none' };
}

/** Runs until the relay (or a client) counted a refusal beyond `before`. */
function untilRefused(a: Arena, count: () => number, maxMs: number): number {
  const before = count();
  return a.h.runUntil(() => count() > before, maxMs);
}

const goldChest = (id: number, x: number): EntityDesc =>
  entityDesc({ id, kind: 'chest', body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.5, y: 0.35, z: 0.35 } }, friction: 0.8 }, position: { x, y: 1.35, z: 6 }, props: { gold: 1_000_000 } });

type ClassRun = (seed: number) => { caught: boolean; ms: number; how: string };

const convicted =
  (setup: (a: Arena) => void, reasons: readonly IncidentReason[], maxMs = 8000): ClassRun =>
  (seed) => {
    const a = arena(seed);
    try {
      setup(a);
      const r = untilConvicted(a, maxMs);
      return { caught: r.ms >= 0 && reasons.includes(r.how as IncidentReason), ms: r.ms, how: r.how };
    } finally {
      a.h.relay.close();
    }
  };

const refusedByRelay =
  (kind: string, act: (a: Arena) => void, effectless: (a: Arena) => boolean = () => true, scene: 'audit' | 'demo' = 'audit'): ClassRun =>
  (seed) => {
    const a = arena(seed, scene);
    try {
      const count = (): number => a.h.relay.metrics.refusedCount(kind);
      const before = count();
      act(a);
      const ms = a.h.runUntil(() => count() > before, 3000);
      a.h.run(500);
      const noIncidentOnVictim = incidentAgainst(a.h, a.victim.peerId) === undefined;
      return { caught: ms >= 0 && effectless(a) && noIncidentOnVictim, ms, how: `refused:${kind}` };
    } finally {
      a.h.relay.close();
    }
  };

const refusedByPeer =
  (act: (a: Arena) => void, effectless: (a: Arena) => boolean = () => true): ClassRun =>
  (seed) => {
    const a = arena(seed);
    try {
      const ms = untilRefused(a, () => a.victim.stats().refused, 0);
      void ms;
      const before = a.victim.stats().refused;
      act(a);
      const t = a.h.runUntil(() => a.victim.stats().refused > before, 3000);
      a.h.run(300);
      return { caught: t >= 0 && effectless(a), ms: t, how: 'refused:peer' };
    } finally {
      a.h.relay.close();
    }
  };

/** The cheater answers no audit request (its client believes it did); the relay stalls `stallMs` before every tick when > 0. */
const withholdsAudits =
  (stallMs: number): ClassRun =>
  (seed) => {
    const a = arena(seed);
    try {
      const owner = (a.cheat.client as unknown as { authority: { sendAuditState(...args: unknown[]): boolean } }).authority;
      owner.sendAuditState = () => true;
      const start = a.h.scheduler.now();
      const judged = (): boolean => incidentAgainst(a.h, a.cheat.client.peerId) !== undefined;
      while (!judged() && a.h.scheduler.now() - start < 20_000) {
        if (stallMs > 0) a.h.stallRelay(stallMs);
        a.h.run(stallMs + 2); // one tick after each stall: it follows the stall, so it may not judge
      }
      const how = incidentAgainst(a.h, a.cheat.client.peerId) ?? 'none';
      return { caught: how === 'no-audit-answer', ms: judged() ? a.h.scheduler.now() - start : -1, how };
    } finally {
      a.h.relay.close();
    }
  };

const epochOf = (a: Arena, key: string): number => a.h.relay.directory().find((d) => tileKey(d.tile) === key)?.epoch ?? 0;

/** Every class of the suite, by group (the classes). */
export const ATTACK_CLASSES: readonly { readonly name: string; readonly group: string; readonly run: ClassRun }[] = [
  // Physics and world parameters: the start state an owner hands the audit carries its physics.
  { name: 'gravity-changed', group: 'physics', run: convicted((a) => a.cheat.gravity(a.cheat.client.avatar, { x: 0, y: -2, z: 0 }), ['bad-audit-state', 'state-mismatch']) },
  // State edits.
  { name: 'state-nudged', group: 'state', run: convicted((a) => a.cheat.client.cheats.nudge(a.cheat.client.avatar, 0.001), ['state-mismatch', 'bad-audit-state']) },
  {
    // The audit desk considered windows from the tick after a batch's first one, so the window ending
    // where a batch began was skipped: 5-tick batches cut on the windows' boundaries put a tile out
    // of the audit's reach altogether (found by the swarm's light players). The same nudge must be caught.
    name: 'state-nudged-aligned-batches',
    group: 'state',
    run: convicted((a) => {
      const pending = new Map<string, { tile: TileId; epoch: number; firstTick: number; hashes: [number, number, number][]; records: TickRecord[] }>();
      a.cheat.outgoing = (bytes, m) => {
        if (m.type !== MsgType.Commits) return bytes;
        const key = `${m.tile.x},${m.tile.y},${m.tile.z}:${m.epoch}`;
        const p = pending.get(key) ?? { tile: m.tile, epoch: m.epoch, firstTick: m.firstTick, hashes: [], records: [] };
        p.hashes.push(...m.hashes.map((h) => [h[0], h[1], h[2]] as [number, number, number]));
        p.records.push(...m.records);
        pending.set(key, p);
        // Everything up to the last window boundary goes out in batches that each start on one.
        while (p.hashes.length > 0) {
          const n = p.firstTick % AUDIT_WINDOW_TICKS === 0 ? AUDIT_WINDOW_TICKS : AUDIT_WINDOW_TICKS - (p.firstTick % AUDIT_WINDOW_TICKS);
          if (p.hashes.length < n) break;
          a.cheat.sendRelay({ type: MsgType.Commits, tile: p.tile, epoch: p.epoch, firstTick: p.firstTick, hashes: p.hashes.splice(0, n), records: p.records.splice(0, n) });
          p.firstTick += n;
        }
        return undefined;
      };
      a.cheat.client.cheats.nudge(a.cheat.client.avatar, 0.001);
    }, ['state-mismatch', 'bad-audit-state']),
  },
  { name: 'critical-gold', group: 'state', run: convicted((a) => a.cheat.keepProp(AUDIT_SCENE.chest, { gold: 1_000_000 }), ['state-mismatch', 'critical-concealed', 'bad-audit-state']) },
  // Record forgery: inputs.
  { name: 'input-dropped', group: 'record', run: convicted((a) => a.cheat.dropInputsOf(a.victim.avatar), ['dropped-input']) },
  { name: 'input-repeated', group: 'record', run: convicted((a) => a.cheat.repeatInputsOf(a.victim.avatar, 5), ['repeated-input']) },
  { name: 'input-invented', group: 'record', run: convicted((a) => a.cheat.inventInput(a.victim.avatar, { moveX: 1 }), ['invented-input'], 8000) },
  {
    name: 'input-altered',
    group: 'record',
    run: convicted((a) => {
      a.cheat.outgoing = (bytes, m) => {
        if (m.type !== MsgType.Commits || !m.records.some((r) => r.inputs.length > 0)) return bytes;
        a.cheat.outgoing = undefined;
        const records = m.records.map((r) => ({ ...r, inputs: r.inputs.map((i) => ({ ...i, data: { ...i.data, moveX: 1, moveZ: 1 } })) }));
        a.cheat.sendRelay({ ...m, records });
        return undefined;
      };
    }, ['altered-input', 'state-mismatch']),
  },
  // Record forgery: arrivals, removals, messages.
  { name: 'arrival-invented', group: 'record', run: convicted((a) => a.cheat.inventArrival(goldChest(777_777, 6)), ['invented-arrival', 'forged-record']) },
  { name: 'avatar-removed', group: 'record', run: convicted((a) => a.cheat.inventRemoval(a.victim.avatar), ['invented-removal']) },
  {
    name: 'message-invented',
    group: 'record',
    run: convicted((a) => a.cheat.inventMessage({ from: AUDIT_SCENE.box + 3, to: AUDIT_SCENE.chest, topic: 'open', data: { gold: 5 }, dueTick: a.h.relay.currentTick + 30, seq: 7 }), ['invented-message', 'forged-record']),
  },
  // Protocol forgery.
  {
    name: 'migration-forged',
    group: 'protocol',
    run: convicted((a) => {
      const tick = a.h.relay.currentTick;
      a.cheat.sendRelay({ type: MsgType.Migrate, from: { x: 0, y: 0, z: 0 }, to: { x: 1, y: 0, z: 0 }, epoch: epochOf(a, '0,0,0'), tick, entity: goldChest(AUDIT_SCENE.chest, 17) });
    }, ['forged-record']),
  },
  {
    // Islands let a body be handed to a tile two away, lying next to it: the relay's geometric
    // check passes such a forgery, and the audit must find that the tile's re-execution never produced it.
    name: 'migration-forged-two-away',
    group: 'protocol',
    run: convicted((a) => {
      const tick = a.h.relay.currentTick;
      a.cheat.sendRelay({ type: MsgType.Migrate, from: { x: 0, y: 0, z: 0 }, to: { x: 2, y: 0, z: 0 }, epoch: epochOf(a, '0,0,0'), tick, entity: goldChest(777_001, 31) });
    }, ['forged-record']),
  },
  {
    name: 'mail-for-unowned-entity',
    group: 'protocol',
    run: refusedByRelay('authority', (a) =>
      a.cheat.sendRelay({ type: MsgType.EntityMail, tile: { x: 0, y: 0, z: 0 }, epoch: 0, message: { from: AUDIT_SCENE.box + 3, to: AUDIT_SCENE.chest, topic: 'open', data: {}, dueTick: a.h.relay.currentTick + 2, seq: 1 } }),
    ),
  },
  {
    name: 'migrate-peer-to-peer',
    group: 'protocol',
    run: refusedByPeer((a) => a.cheat.sendPeer(a.victim.peerId!, { type: MsgType.Migrate, from: { x: 0, y: 0, z: 0 }, to: { x: 0, y: 0, z: 0 }, epoch: epochOf(a, '0,0,0'), tick: a.h.relay.currentTick, entity: goldChest(888_888, 6) }), (a) => !a.victim.entities().some((e) => e.id === 888_888)),
  },
  {
    name: 'update-for-others-tile',
    group: 'protocol',
    run: refusedByPeer((a) => a.cheat.sendPeer(a.victim.peerId!, { type: MsgType.StateDelta, tile: { x: 1, y: 0, z: 0 }, epoch: epochOf(a, '1,0,0') + 5, tick: a.h.relay.currentTick, seq: 1, poses: [{ id: AUDIT_SCENE.box + 3, x: 20, y: 9, z: 6, rotation: undefined, vx: 0, vy: 0, vz: 0 }], removed: [], departed: [] })),
  },
  {
    name: 'lease-forged',
    group: 'protocol',
    run: refusedByPeer((a) =>
      a.cheat.sendPeer(a.victim.peerId!, { type: MsgType.Lease, lease: { tile: { x: 1, y: 0, z: 0 }, owner: a.cheat.client.peerId!, epoch: 999, fromTick: 0, expiresTick: 1e9, signature: new Uint8Array(64) } }),
    ),
  },
  // False positions: a claim far from the simulated avatar is bounded; no lease or interest follows it.
  {
    name: 'false-position',
    group: 'position',
    run: refusedByRelay(
      'pose-bounded',
      (a) => {
        for (let i = 0; i < 20; i++) a.h.scheduler.at(a.h.scheduler.now() + i * 100, () => a.cheat.claimPosition({ x: 40, y: 1.8, z: 40 }));
      },
      (a) => {
        a.h.run(2000);
        return !a.cheat.owned().some((k) => k.startsWith('2,') || k.endsWith(',2'));
      },
      'demo',
    ),
  },
  {
    name: 'position-flapping',
    group: 'position',
    run: (seed) => {
      const a = arena(seed, 'demo');
      try {
        const handoffs = a.h.relay.metrics.handoffs;
        const before = a.h.relay.metrics.refusedCount('pose-bounded');
        for (let i = 0; i < 60; i++) a.h.scheduler.at(a.h.scheduler.now() + i * 100, () => a.cheat.claimPosition(i % 2 === 0 ? { x: 40, y: 1.8, z: 8 } : { x: 8, y: 1.8, z: 40 }));
        const ms = a.h.runUntil(() => a.h.relay.metrics.refusedCount('pose-bounded') > before, 3000);
        a.h.run(6000);
        const forced = a.h.relay.metrics.handoffs - handoffs;
        return { caught: ms >= 0 && forced <= 2, ms, how: `refused:pose-bounded (${forced} handoffs)` };
      } finally {
        a.h.relay.close();
      }
    },
  },
  // Replay.
  {
    name: 'commits-replayed',
    group: 'replay',
    run: refusedByRelay('replay', (a) => {
      let first: Uint8Array | undefined;
      a.cheat.outgoing = (bytes, m) => {
        if (m.type === MsgType.Commits && !first) {
          first = bytes;
          a.h.scheduler.at(a.h.scheduler.now() + 500, () => a.cheat.sendRelay(m));
        }
        return bytes;
      };
    }),
  },
  {
    name: 'input-replayed',
    group: 'replay',
    run: refusedByRelay('replay', (a) => {
      a.cheat.client.send({ moveX: 1 });
      a.cheat.outgoing = (bytes, m) => {
        if (m.type === MsgType.Input) a.h.scheduler.at(a.h.scheduler.now() + 300, () => a.cheat.sendRelay(m));
        return bytes;
      };
      a.h.scheduler.at(a.h.scheduler.now() + 100, () => a.cheat.client.send({ moveX: -1 }));
    }),
  },
  // Liveness: an owner that goes silent with its connection open, again and again.
  {
    name: 'silent-owner-cycling',
    group: 'liveness',
    run: (seed) => {
      const a = arena(seed);
      try {
        a.cheat.outgoing = (bytes, m) => (m.type === MsgType.Commits ? undefined : bytes);
        const ms = a.h.runUntil(() => incidentAgainst(a.h, a.cheat.client.peerId) === 'lease-expired', 4000);
        // For 20 s more it keeps trying: the cool-down grows, so it holds a tile only briefly and rarely.
        let heldMs = 0;
        for (let t = 0; t < 20_000; t += 100) {
          a.h.run(100);
          if (a.cheat.owned().length > 0) heldMs += 100;
        }
        return { caught: ms >= 0 && ms <= 1600 && heldMs <= 6000, ms, how: `lease-expired (held ${heldMs} ms of 20 s after)` };
      } finally {
        a.h.relay.close();
      }
    },
  },
  // Withheld evidence: an owner that keeps committing but never answers an audit request is
  // convicted — also on a relay that stalls before every tick, where judgments by time wait for
  // what it has read (at most 3 ticks in a row are skipped, so the deadline still bites).
  { name: 'audit-withheld', group: 'evidence', run: withholdsAudits(0) },
  { name: 'audit-withheld-relay-stalling', group: 'evidence', run: withholdsAudits(150) },
  // Floods: the relay refuses past its budget and keeps serving.
  {
    name: 'message-flood',
    group: 'flood',
    run: refusedByRelay('rate', (a) => {
      for (let i = 0; i < 3000; i++) a.cheat.sendRelay({ type: MsgType.Ping, clientTimeMs: i }, false);
    }),
  },
];

/** Runs every class over `seeds` (or the classes named); one line per class of results. */
export async function runAttackCampaign(seeds: readonly number[], only?: readonly string[]): Promise<AttackRun[]> {
  await initPhysics();
  const out: AttackRun[] = [];
  for (const c of ATTACK_CLASSES) {
    if (only && !only.includes(c.name)) continue;
    for (const seed of seeds) {
      let r: { caught: boolean; ms: number; how: string };
      try {
        r = c.run(seed);
      } catch (e) {
        r = { caught: false, ms: -1, how: `error: ${e instanceof Error ? e.message : String(e)}` };
      }
      out.push({ cls: c.name, seed, ...r });
    }
  }
  return out;
}

/** Per class: caught/total and detection p50/p99 (s). */
export function summariseAttacks(runs: readonly AttackRun[]): { cls: string; caught: number; total: number; p50: number; p99: number; missed: number[] }[] {
  const byClass = new Map<string, AttackRun[]>();
  for (const r of runs) byClass.set(r.cls, [...(byClass.get(r.cls) ?? []), r]);
  return [...byClass].map(([cls, rs]) => {
    const times = rs.filter((r) => r.caught).map((r) => r.ms / 1000).sort((a, b) => a - b);
    const q = (p: number): number => (times.length === 0 ? -1 : times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!);
    return { cls, caught: times.length, total: rs.length, p50: q(0.5), p99: q(0.99), missed: rs.filter((r) => !r.caught).map((r) => r.seed) };
  });
}
