// Audit figures, from the real client, relay and auditor code in the seeded harness: what
// re-execution costs next to the owners' own simulation, how fast a cheater is caught, and
// how many bytes of commitments and input logs owners send.
import { TileAuthority, tileKey, type AuditIncident } from '../src/index.js';
import { SCENES } from '../relay/server.js';
import { Harness } from '../test/harness/harness.js';

export interface AuditCost {
  /** Auditor CPU / owners' simulation CPU. */
  readonly cpuFraction: number;
  /** Ticks re-executed / ticks owners simulated (above the sampling rate: critical and age-forced windows). */
  readonly tickFraction: number;
  readonly ownerMs: number;
  readonly auditMs: number;
  readonly audits: number;
  /** Commitments + input log bytes per peer-owned tile per second. */
  readonly logBytesPerTilePerS: number;
}

/** Four players walk about the demo world for `seconds` while the relay audits at `sample`. */
export function auditCost(sample: number, seconds: number, seed = 11): AuditCost {
  const h = new Harness({ seed, scene: SCENES['demo']!(), conditions: { delayMs: 10, jitterMs: 5, loss: 0 }, relay: { audit: { sampleProbability: sample }, auditSeed: seed } });
  for (const name of ['ann', 'ben', 'cat', 'dan']) h.addClient(name);
  h.run(2000);
  // Owners' simulation time: every TileAuthority but the relay's, timed around its steps.
  const original = TileAuthority.prototype.stepTo;
  let ownerMs = 0;
  let ownerTicks = 0;
  const relayWorld = h.relay.ownWorld;
  TileAuthority.prototype.stepTo = function (this: TileAuthority, target: number, max?: number): number {
    const t0 = performance.now();
    const n = original.call(this, target, max);
    if (this.world !== relayWorld) {
      ownerMs += performance.now() - t0;
      ownerTicks += n * this.heldTiles().length;
    }
    return n;
  };
  const start = { ...h.relay.audit.counters };
  let tileSeconds = 0;
  try {
    for (let s = 0; s < seconds; s += 2) {
      h.clients.forEach((c, i) => {
        const a = ((s * 7 + i * 13) % 16) / 16;
        c.client.send({ moveX: a * 2 - 1, moveZ: ((i * 5 + s) % 3) - 1 });
      });
      for (let ms = 0; ms < 2000; ms += 20) {
        h.run(20);
        tileSeconds += (h.relay.directory().filter((d) => d.owner !== 0).length * 20) / 1000;
      }
    }
  } finally {
    TileAuthority.prototype.stepTo = original;
  }
  const c = h.relay.audit.counters;
  const auditMs = c.cpuMs - start.cpuMs;
  const out = {
    cpuFraction: auditMs / ownerMs,
    tickFraction: (c.auditedTicks - start.auditedTicks) / Math.max(1, ownerTicks),
    ownerMs,
    auditMs,
    audits: c.audits - start.audits,
    logBytesPerTilePerS: (c.logBytes - start.logBytes) / Math.max(1e-9, tileSeconds),
  };
  h.relay.close();
  return out;
}

/** An owner nudging its avatar 1 mm a tick (a lie in every window): seconds until the verdict, per seed (-1: not caught in 10 s). */
export function detectionTimes(seeds: number): number[] {
  const out: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const h = new Harness({ seed, scene: SCENES['audit']!(), conditions: { delayMs: 10, jitterMs: 8, loss: 0.01 }, relay: { auditSeed: seed * 7919 } });
    const c = h.addClient('cheat').client;
    h.runUntil(() => c.stats().ownedTiles.some((t) => tileKey(t) === '0,0,0'), 6000);
    const incidents: AuditIncident[] = [];
    c.on('incident', (i) => incidents.push(i));
    h.run(300);
    c.cheats.nudge(c.avatar, 0.001);
    const ms = h.runUntil(() => incidents.length > 0, 10_000);
    out.push(ms < 0 ? -1 : ms / 1000);
    h.relay.close();
  }
  return out;
}

/** Incidents in an honest world: four players roaming the demo world for `seconds` under 3 % loss (must be 0). */
export function honestIncidents(seconds: number, seed = 4243): number {
  const h = new Harness({ seed, scene: SCENES['demo']!(), conditions: { delayMs: 20, jitterMs: 10, loss: 0.03 }, relay: { auditSeed: seed } });
  for (const name of ['ann', 'ben', 'cat', 'dan']) h.addClient(name);
  h.run(2000);
  for (let s = 0; s < seconds; s++) {
    h.clients.forEach((c, i) => c.client.send({ moveX: ((s + i) % 3) - 1, moveZ: ((s * 2 + i) % 3) - 1 }));
    h.run(1000);
  }
  const n = h.relay.metrics.incidentCount();
  h.relay.close();
  return n;
}
