import { describe, expect, it } from 'vitest';
import { BORDER_FIRST_BODY, borderScene, borderSplitEdge, commitOf, initPhysics, standardKinds, tileKey, tileOf, TileSimulation, TileWorld, verifyWindow, islandTargets, type BorderSceneName, type CommitWords, type EntityDesc, type TickRecord } from '../../src/index.js';

/** Runs a border scene split over small tiles and whole in one tile, side by side, for `ticks`. */
function runBoth(name: BorderSceneName, ticks: number): { split: EntityDesc[]; whole: EntityDesc[]; sharedTicks: number; tilesSplit: number } {
  const split = TileWorld.fromScene(borderScene(name, borderSplitEdge(name)), standardKinds());
  const whole = TileWorld.fromScene(borderScene(name, 64), standardKinds());
  expect(whole.tileList()).toHaveLength(1);
  const tilesSplit = split.tileList().length;
  const ids = split.describeAll().filter((e) => e.id >= BORDER_FIRST_BODY).map((e) => e.id);
  // Ticks at which all the scene's bodies were simulated by one tile.
  let sharedTicks = 0;
  for (let t = 0; t < ticks; t++) {
    split.step();
    whole.step();
    if (new Set(ids.map((id) => tileKey(split.tileOfEntity(id)!))).size === 1) sharedTicks++;
  }
  const out = { split: split.describeAll().filter((e) => e.id >= BORDER_FIRST_BODY), whole: whole.describeAll().filter((e) => e.id >= BORDER_FIRST_BODY), sharedTicks, tilesSplit };
  split.dispose();
  whole.dispose();
  return out;
}

function worst(a: readonly EntityDesc[], b: readonly EntityDesc[]): { position: number; velocity: number } {
  expect(a.map((e) => e.id)).toEqual(b.map((e) => e.id));
  let position = 0;
  let velocity = 0;
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!.state.position;
    const q = b[i]!.state.position;
    const v = a[i]!.state.linvel;
    const w = b[i]!.state.linvel;
    position = Math.max(position, Math.hypot(p.x - q.x, p.y - q.y, p.z - q.z));
    velocity = Math.max(velocity, Math.hypot(v.x - w.x, v.y - w.y, v.z - w.z));
  }
  return { position, velocity };
}

describe('physics islands across tile borders', () => {
  it('two boxes colliding head-on across a border end within 1 cm and 1 cm/s of the single-tile collision', async () => {
    await initPhysics();
    const r = runBoth('collision', 120);
    expect(r.tilesSplit).toBe(2);
    const [a, b] = r.whole;
    // The collision happened in the reference run: unhindered, the fast box would have landed
    // beyond the border; it bounced back.
    expect(a!.state.position.x).toBeLessThan(16);
    expect(b!.state.position.x).toBeGreaterThan(16);
    const e = worst(r.split, r.whole);
    expect(e.position).toBeLessThan(0.01);
    expect(e.velocity).toBeLessThan(0.01);
  });

  it('a stack of five boxes standing across a border stays standing where the single-tile stack stands', async () => {
    await initPhysics();
    const r = runBoth('stack', 300);
    expect(r.tilesSplit).toBe(2);
    for (const e of r.split) expect(e.state.position.y).toBeCloseTo(1.25 + 0.5 * (e.id - BORDER_FIRST_BODY), 1);
    expect(worst(r.split, r.whole).position).toBeLessThan(0.01);
    // The stack was simulated whole, not as two halves leaning on ghost walls.
    expect(r.sharedTicks).toBeGreaterThan(290);
  });

  it('a row of ten boxes pushed across three tiles passes the momentum on like the single-tile run', async () => {
    await initPhysics();
    const r = runBoth('cradle', 240);
    expect(r.tilesSplit).toBe(3);
    const last = r.whole[9]!;
    // The reference: the push reached the far end of the row.
    expect(last.state.linvel.x).toBeGreaterThan(2.5);
    const e = worst(r.split, r.whole);
    expect(e.velocity).toBeLessThan(0.01);
    expect(e.position).toBeLessThan(0.01);
    const momentum = (list: readonly EntityDesc[]): number => list.reduce((s, x) => s + x.state.linvel.x, 0);
    expect(Math.abs(momentum(r.split) - momentum(r.whole))).toBeLessThan(0.01);
  });

  it('an auditor re-executes windows that start while a tile holds bodies outside it, bit for bit', async () => {
    await initPhysics();
    for (const [name, start] of [['stack', 30], ['collision', 20], ['cradle', 122]] as const) {
      const registry = standardKinds();
      const world = TileWorld.fromScene(borderScene(name, borderSplitEdge(name)), registry);
      for (let t = 0; t < start; t++) world.step();
      // Some tile holds a body whose reference point lies outside it (or the window proves nothing).
      const holding = world.tileList().some((sim) => sim.describeAll().some((e) => tileKey(tileOf(e.state.position, world.config.tileEdge)) !== tileKey(sim.tile)));
      expect(holding, name).toBe(true);
      const tiles = world.tileList().map((sim) => {
        sim.startRecording();
        return { sim, from: sim.tick, snapshot: sim.snapshot(), commits: [commitOf(sim)] as CommitWords[], records: [] as TickRecord[] };
      });
      for (let i = 0; i < 60; i++) {
        world.step();
        for (const t of tiles) {
          t.records.push(t.sim.takeRecord()!);
          t.commits.push(commitOf(t.sim));
        }
      }
      for (const t of tiles) {
        const v = verifyWindow(t.snapshot, t.from, t.records, t.commits, world.config, registry);
        expect(v, `${name} tile ${tileKey(t.sim.tile)}`).toMatchObject({ ok: true, ticks: 60 });
        const end = TileSimulation.restore(v.endSnapshot!, world.config, registry);
        expect(end.hash()).toBe(t.sim.hash());
        end.dispose();
      }
      world.dispose();
    }
  });

  it('the island rule: parts move down the tile order only, guests go home when their contact ends', () => {
    const a = { x: 0, y: 0, z: 0 };
    const b = { x: 1, y: 0, z: 0 };
    const c = { x: 2, y: 0, z: 0 };
    // Both sides of one contact see the other: only the higher tile gives its part (no swap).
    expect([...islandTargets(a, [{ id: 1, home: a, links: [b], close: true }], [])]).toEqual([]);
    expect([...islandTargets(b, [{ id: 2, home: b, links: [a], close: true }], [])]).toEqual([[2, a]]);
    // An island linked to a lower and a higher tile goes to the lowest, whole (its members in contact).
    expect([...islandTargets(b, [{ id: 3, home: b, links: [c], close: true }, { id: 4, home: b, links: [a], close: true }, { id: 5, home: b, links: [], close: true }], [[0, 1]])]).toEqual([[3, a], [4, a]]);
    // Unlinked: a lone guest goes home; guests touching each other near the holder stay; far, they go.
    expect([...islandTargets(a, [{ id: 6, home: b, links: [], close: true }], [])]).toEqual([[6, b]]);
    expect([...islandTargets(a, [{ id: 7, home: b, links: [], close: true }, { id: 8, home: b, links: [], close: true }], [[0, 1]])]).toEqual([]);
    expect([...islandTargets(a, [{ id: 7, home: c, links: [], close: false }, { id: 8, home: b, links: [], close: true }], [[0, 1]])]).toEqual([[7, b], [8, b]]);
  });
});
