// Runs one world spec over the seeded harness and checks the system's invariants every 50 ms of
// virtual time. Returns the first violation (with the tick it was seen at), or none.
import { tileKey, type TileAuthority, type WorldClient } from '../../src/index.js';
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
}

/** How long an entity may be held by no current owner (a handoff or takeover in flight), ms. */
const MISSING_GRACE_MS = 2500;
const CHECK_EVERY_MS = 50;
/** How long after the faults heal (and the world's calm 2.5 s) every replica must agree with its owner, ms. */
const CONVERGE_MS = 2000;
/** A replica agrees when it shows an entity within this of its owner's state, m (owners correct anything over 1 cm). */
const CONVERGED_M = 0.25;

const authorityOf = (c: WorldClient): TileAuthority | undefined => (c as unknown as { authority: TileAuthority | undefined }).authority;

/** Runs `spec`; never throws for a violation (it is returned), only for a broken harness. */
export function runWorld(spec: WorldSpec, trace?: (h: Harness, ms: number) => void, onEnd?: (logs: readonly Record<string, unknown>[]) => void): WorldResult {
  const scene = SCENES['audit']!();
  const h = new Harness({ seed: spec.seed, scene, conditions: { delayMs: 10, jitterMs: 5, loss: 0 }, relay: { auditSeed: spec.seed } });
  const players = new Map<number, { hc: HarnessClient; gone: boolean }>();
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
    for (const id of watched) {
      const n = count.get(id) ?? 0;
      if (n > 1) fail('no entity doubled', `entity ${id} is in ${n} current tiles`);
      if (n === 0) {
        const since = missingSince.get(id) ?? now;
        missingSince.set(id, since);
        if (now - since > MISSING_GRACE_MS || final) {
          entitiesLost++;
          fail('no entity lost', `entity ${id} held by no current owner for ${now - since} ms${final ? ' (at the end, after the faults healed)' : ''}`);
        }
      } else missingSince.delete(id);
    }
    // No honest player is convicted (there is no cheater here): only liveness takeovers.
    const judged = h.logs.find((l) => l['msg'] === 'incident' && l['reason'] !== 'lease-expired');
    if (judged) fail('no honest player convicted', `incident ${String(judged['reason'])} against peer ${String(judged['peer'])}: ${String(judged['detail'])}`);
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
          if (err > CONVERGED_M) return `peer ${c.peerId} shows entity ${e.id} of tile ${tileKey(t.tile)} ${err.toFixed(2)} m from its owner's state`;
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
          case 'join':
            players.set(e.player, { hc: h.addClient(`p${e.player}`), gone: false });
            break;
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
      check(false);
    }
    // Faults healed 2.5 s ago: every player's replicas must agree with their owners within 2 s.
    let diverged = converged();
    for (let t = 0; !violation && diverged && t < CONVERGE_MS; t += CHECK_EVERY_MS) {
      h.run(CHECK_EVERY_MS);
      diverged = converged();
    }
    if (diverged) fail('replicas converge', diverged);
    const m = h.relay.metrics;
    return {
      spec,
      ...(violation ? { violation } : {}),
      handoffs: m.handoffs,
      takeovers: m.takeovers,
      incidents: m.incidentCount(),
      convictions: m.incidentCount() - m.incidentCount('lease-expired'),
      entitiesLost,
    };
  } finally {
    onEnd?.(h.logs);
    h.relay.close();
  }
}
