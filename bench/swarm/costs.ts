// Measured once at the start of a swarm run: what a real tile of the swarm's density costs to step
// and to audit (the figures modelled players and the model auditor are charged), and what the
// relay pays to encode a state update for the server-authoritative model.
import { AUDIT_WINDOW_TICKS, commitOf, encodeForWire, MsgType, standardKinds, TileSimulation, verifyWindow, type EntityInput, type TickRecord, type WorldConfig } from '../../src/index.js';
import { cpuUsage } from 'node:process';
import { groundOf, type SwarmLayout, type WorldModel } from './world-model.js';

/** Measured costs of one tile of the swarm (`perTile` walking avatars on a ground slab). */
export interface TileCosts {
  /** One tile step, ms (median of the measured steps). */
  readonly stepMs: number;
  /** Re-executing one audit window (`AUDIT_WINDOW_TICKS` ticks, restore and hash included), ms. */
  readonly auditWindowMs: number;
  /** Encoding one state delta of the tile for the wire, ms. */
  readonly deltaEncodeMs: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** This process's CPU time, ms: unlike the wall clock, not inflated when a shared machine deschedules it. */
const cpuMs = (): number => {
  const c = cpuUsage();
  return (c.user + c.system) / 1000;
};

/** Steps a real tile of the swarm (the first home tile, its players walking by keyboard inputs) and times it. */
export function measureTileCosts(model: WorldModel, layout: SwarmLayout, config: WorldConfig, ticks = 300): TileCosts {
  // The first pass warms the engine up (WebAssembly tiers up, caches fill); the second is measured.
  measureOnce(model, layout, config, ticks);
  return measureOnce(model, layout, config, ticks);
}

function measureOnce(model: WorldModel, layout: SwarmLayout, config: WorldConfig, ticks: number): TileCosts {
  const registry = standardKinds();
  const tile = { x: 0, y: 0, z: 0 };
  const avatars = Array.from({ length: layout.perTile }, (_, i) => model.avatarDesc(i, 1_000_000 + i, 0));
  const sim = TileSimulation.create(tile, config, registry, [groundOf(layout, tile), ...avatars], 0);
  const steps: number[] = [];
  const records: TickRecord[] = [];
  const commits: [number, number, number][] = [];
  const windowStart = ticks - 4 * AUDIT_WINDOW_TICKS;
  let snapshot: Uint8Array | undefined;
  let seq = 0;
  for (let t = 0; t < ticks; t++) {
    // Each avatar turns about twice a second, as the modelled players do.
    const inputs: EntityInput[] = t % 30 === 0 ? avatars.map((a, i) => ({ entity: a.id, seq: seq++, data: { moveX: (t / 30 + i) % 3 - 1, moveZ: ((t / 30 + i * 2) % 3) - 1 } })) : [];
    if (t === windowStart) {
      snapshot = sim.snapshot();
      commits.push(commitOf(sim));
    }
    const t0 = cpuMs();
    sim.step(inputs);
    steps.push(cpuMs() - t0);
    if (t >= windowStart && records.length < AUDIT_WINDOW_TICKS) {
      records.push({ inbound: [], messages: [], inputs, after: [] });
      commits.push(commitOf(sim));
    }
  }
  sim.dispose();
  const audits: number[] = [];
  for (let i = 0; i < 10; i++) {
    // Five windows per sample: CPU time has a resolution of a few microseconds.
    const t0 = cpuMs();
    for (let k = 0; k < 5; k++) {
      const v = verifyWindow(snapshot!, windowStart, records, commits, config, registry);
      if (!v.ok) throw new Error(`swarm cost calibration: the window did not verify (${v.reason ?? 'mismatch'})`);
    }
    audits.push((cpuMs() - t0) / 5);
  }
  const poses = avatars.map((a) => ({ id: a.id, x: a.state.position.x, y: 1.81, z: a.state.position.z, rotation: undefined, vx: 1, vy: 0, vz: 1 }));
  const encodes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = cpuMs();
    for (let k = 0; k < 100; k++) encodeForWire({ type: MsgType.StateDelta, tile, epoch: 1, tick: k, seq: k, poses, removed: [], departed: [] }, k, config.tileEdge);
    encodes.push((cpuMs() - t0) / 100);
  }
  return { stepMs: steps.slice(60).reduce((a, b) => a + b, 0) / (steps.length - 60), auditWindowMs: median(audits), deltaEncodeMs: median(encodes) };
}
