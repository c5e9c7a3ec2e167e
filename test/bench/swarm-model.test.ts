import { describe, expect, it } from 'vitest';
import { initPhysics } from '../../src/index.js';
import { runSwarm } from '../../bench/swarm/swarm.js';
import { harnessTraffic, type TrafficByType } from '../../bench/swarm/harness-traffic.js';

// The swarm's light players are only worth their figures if they speak to the relay as real
// clients do. Eight players on the swarm's world, once as light players and once as full
// `WorldClient`s stepping their tiles in the seeded harness (standing, turning their keys in
// place twice a second): per player and second, each message type's count and bytes on the
// relay link must agree within 20 %, and a keyframe's size within 25 % (a model state is built
// and stepped once; a real owner's has run for seconds). Audit answers are compared by size
// only: how many windows the relay considers depends on where each lease's commit batches start.
const TOLERANCE = 0.2;
const within = (got: number, want: number, tol: number): boolean => Math.abs(got - want) <= tol * Math.max(want, 1e-9);

describe('swarm model against real clients', () => {
  it('light players send and receive what real clients do, message type by message type', async () => {
    await initPhysics();
    const n = 8;
    const swarm = runSwarm(n, { measureS: 8, speed: 0 });
    expect(swarm).toBeDefined();
    const real = harnessTraffic(n, 8, 0);
    const light: { up: TrafficByType; down: TrafficByType } = swarm!.byType;
    // Honest owners: no verdicts, no refusals.
    expect(Object.keys(swarm!.notes).filter((k) => k.startsWith('incident') || k.startsWith('error'))).toEqual([]);
    expect(swarm!.refused).toEqual({});
    const mismatches: string[] = [];
    const check = (dir: 'up' | 'down', types: readonly string[]): void => {
      for (const t of types) {
        const a = light[dir][t] ?? { msgs: 0, bytes: 0 };
        const b = real[dir][t] ?? { msgs: 0, bytes: 0 };
        if (!within(a.msgs, b.msgs, TOLERANCE) || !within(a.bytes, b.bytes, TOLERANCE)) mismatches.push(`${dir} ${t}: light ${a.msgs.toFixed(2)} msgs ${a.bytes.toFixed(0)} B, real ${b.msgs.toFixed(2)} msgs ${b.bytes.toFixed(0)} B`);
      }
    };
    check('up', ['Pose', 'Ping', 'Input', 'Commits']);
    check('down', ['Lease', 'TileState', 'Pong', 'AuditStats']);
    expect(mismatches).toEqual([]);
    const perMsg = (o: TrafficByType, t: string): number => o[t]!.bytes / o[t]!.msgs;
    expect(within(perMsg(light.up, 'Keyframe'), perMsg(real.up, 'Keyframe'), 0.25)).toBe(true);
    // Every message type a real client sent, the light ones sent too.
    expect(Object.keys(real.up).filter((t) => !(t in light.up))).toEqual([]);
  }, 240_000);
});
