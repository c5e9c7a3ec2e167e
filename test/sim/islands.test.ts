import { describe, expect, it } from 'vitest';
import { BORDER_FIRST_BODY, borderScene, borderSplitEdge, initPhysics, standardKinds, tileKey, TileWorld, type BorderSceneName, type EntityDesc } from '../../src/index.js';

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
});
