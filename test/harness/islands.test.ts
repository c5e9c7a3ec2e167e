import { describe, expect, it } from 'vitest';
import { BORDER_FIRST_BODY, borderScene, initPhysics, standardKinds, tileKey, TileSimulation, TileWorld, type AuditIncident, type BorderSceneName, type EntityDesc } from './imports.js';
import { Harness, seeds, withSeed } from './harness.js';

// Islands across the border of two tiles owned by two players, with the relay auditing: the
// hand-over of a body to the other player's tile goes through the relay as a migration.

const owns = (h: Harness, i: number, key: string): boolean => h.clients[i]!.client.stats().ownedTiles.some((t) => tileKey(t) === key);

/** Each scene entity with its state, from the relay's checkpoint cut (each must be in exactly one tile), and the cut's tick per tile. */
function fromCut(h: Harness, ids: readonly number[]): { states: Map<number, { e: EntityDesc; tick: number; tile: string }>; wrong: string[] } {
  const config = h.relay.config;
  const registry = standardKinds();
  const states = new Map<number, { e: EntityDesc; tick: number; tile: string }>();
  const count = new Map<number, number>();
  for (const c of h.relay.checkpoints()) {
    const sim = TileSimulation.restore(c.snapshot, config, registry);
    for (const e of sim.describeAll()) {
      count.set(e.id, (count.get(e.id) ?? 0) + 1);
      states.set(e.id, { e, tick: c.tick, tile: tileKey(c.tile) });
    }
    sim.dispose();
  }
  return { states, wrong: ids.filter((id) => count.get(id) !== 1).map((id) => `${id}×${count.get(id) ?? 0}`) };
}

function runScene(seed: number, name: BorderSceneName, ms: number): { incidents: AuditIncident[]; refused: unknown[]; h: Harness; bodies: number[] } {
  const scene = borderScene(name, 16);
  // Players spawn on either side of x = 16 (at 15.1 and 16.3), away from the boxes (z = 8).
  const h = new Harness({ seed, scene, conditions: { delayMs: 10, jitterMs: 8, loss: 0.01 }, relay: { spawn: { x: 16.9, y: 1.81, z: 3 }, auditSeed: seed * 7919 } });
  h.addClient('ann');
  h.addClient('ben');
  // One player holds each tile (which one depends on the order they joined in).
  const split = (): boolean => (owns(h, 0, '0,0,0') && owns(h, 1, '1,0,0') && !owns(h, 0, '1,0,0')) || (owns(h, 1, '0,0,0') && owns(h, 0, '1,0,0') && !owns(h, 1, '1,0,0'));
  expect(h.runUntil(split, 8000)).toBeGreaterThanOrEqual(0);
  const before = h.relay.directory().map((d) => `${tileKey(d.tile)}:${d.owner}`).sort();
  const incidents: AuditIncident[] = [];
  for (const c of h.clients) c.client.on('incident', (e) => incidents.push(e));
  const bodies = scene.entities.filter((e) => e.id >= BORDER_FIRST_BODY).map((e) => e.id);
  const sceneIds = scene.entities.filter((e) => e.kind !== 'avatar').map((e) => e.id);
  for (let t = 0; t < ms; t += 100) {
    h.run(100);
    expect(fromCut(h, sceneIds).wrong, `checkpoint at ${t} ms`).toEqual([]);
  }
  // Nobody lost a tile: the audit found nothing to revoke a lease for (a tile bodies moved into may have been added, the relay's).
  const after = h.relay.directory().map((d) => `${tileKey(d.tile)}:${d.owner}`);
  expect(before.filter((t) => !after.includes(t))).toEqual([]);
  const refused = h.logs.filter((l) => l['msg'] === 'refused' && l['kind'] !== 'route');
  return { incidents, refused, h, bodies };
}

/** The largest distance (m) between the cut's bodies and the same bodies in a single-tile run at the cut's tick. */
function errorVsWhole(name: BorderSceneName, states: Map<number, { e: EntityDesc; tick: number }>, ids: readonly number[]): number {
  const whole = TileWorld.fromScene(borderScene(name, 64), standardKinds());
  let worst = 0;
  for (const id of [...ids].sort((a, b) => states.get(a)!.tick - states.get(b)!.tick)) {
    const s = states.get(id)!;
    while (whole.tick < s.tick) whole.step();
    const p = whole.describe(id)!.state.position;
    const q = s.e.state.position;
    worst = Math.max(worst, Math.sqrt((p.x - q.x) ** 2 + (p.y - q.y) ** 2 + (p.z - q.z) ** 2));
  }
  whole.dispose();
  return worst;
}

describe('islands across two players’ tiles, audited', () => {
  for (const seed of seeds(2)) {
    it(`seed ${seed}: two boxes drifting at each other meet across the border of two players' tiles and bounce as in one tile; no incident, nothing lost`, () =>
      withSeed(seed, async () => {
        await initPhysics();
        const { incidents, refused, h, bodies } = runScene(seed, 'drift', 12_000);
        expect(incidents).toEqual([]);
        expect(refused).toEqual([]);
        const { states } = fromCut(h, bodies);
        const [a, b] = bodies.map((id) => states.get(id)!);
        // They met and bounced: each flies back the way it came.
        expect(a!.e.state.linvel.x).toBeLessThan(0);
        expect(b!.e.state.linvel.x).toBeGreaterThan(0);
        // Momentum was exchanged as in one tile (off an immovable ghost each would keep its speed
        // reversed, × restitution): velocities after the collision (constant in zero gravity).
        const whole = TileWorld.fromScene(borderScene('drift', 64), standardKinds());
        for (let t = 0; t < 600; t++) whole.step();
        const dv = Math.max(...bodies.map((id) => Math.abs(whole.describe(id)!.state.linvel.x - states.get(id)!.e.state.linvel.x)));
        whole.dispose();
        console.log(`seed ${seed}: drift across two owners: worst velocity difference from the single-tile run ${(dv * 100).toFixed(2)} cm/s (cut tiles ${a!.tile}, ${b!.tile})`);
        expect(dv).toBeLessThan(0.01);
        h.relay.close();
      }),
    120_000);

    it(`seed ${seed}: a stack of five boxes standing across the border of two players' tiles stays standing; no incident, nothing lost`, () =>
      withSeed(seed, async () => {
        await initPhysics();
        const { incidents, refused, h, bodies } = runScene(seed, 'stack', 8000);
        expect(incidents).toEqual([]);
        expect(refused).toEqual([]);
        const { states } = fromCut(h, bodies);
        for (const id of bodies) expect(states.get(id)!.e.state.position.y).toBeCloseTo(1.25 + 0.5 * (id - BORDER_FIRST_BODY), 1);
        expect(errorVsWhole('stack', states, bodies)).toBeLessThan(0.01);
        h.relay.close();
      }),
    120_000);

    it(`seed ${seed}: a row of ten boxes pushed across three tiles (two players' and the relay's) passes the momentum on as in one tile; no incident, nothing lost`, () =>
      withSeed(seed, async () => {
        await initPhysics();
        const { incidents, refused, h, bodies } = runScene(seed, 'cradle', 8000);
        expect(incidents).toEqual([]);
        expect(refused).toEqual([]);
        const { states } = fromCut(h, bodies);
        // The row spread over the three tiles, and the push reached its far end as in one tile.
        expect(new Set(bodies.map((id) => states.get(id)!.tile)).size).toBeGreaterThanOrEqual(2);
        const err = errorVsWhole('cradle', states, bodies);
        console.log(`seed ${seed}: cradle across owners: worst position difference from the single-tile run ${(err * 100).toFixed(3)} cm (tiles ${[...new Set(bodies.map((id) => states.get(id)!.tile))].join(' ')})`);
        expect(err).toBeLessThan(0.01);
        h.relay.close();
      }),
    120_000);
  }
});

