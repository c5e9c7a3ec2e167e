import { describe, expect, it } from 'vitest';
import {
  ByteReader,
  ByteWriter,
  busyScene,
  Chest,
  commitOf,
  entityDesc,
  groundBody,
  resolveWorldConfig,
  TileSimulation,
  ErrorCode,
  initPhysics,
  readTickRecords,
  standardKinds,
  TileWorld,
  verifyWindow,
  writeTickRecords,
  type CommitWords,
  type TickRecord,
} from '../../src/index.js';

/** Runs a busy multi-tile world, recording one tile from tick `from`: its state then, its records and commitments. */
function recordWindow(ticks: number, tamper?: (sim: TileSimulation, tick: number) => void) {
  const registry = standardKinds();
  const world = TileWorld.fromScene(busyScene(80, { seed: 9 }), registry);
  for (let t = 0; t < 120; t++) world.step(); // things in motion, crossing borders
  // The tile with the most entities (it trades migrants and ghosts with its neighbours).
  const sim = [...world.tileList()].sort((a, b) => b.entityCount - a.entityCount)[0]!;
  sim.startRecording();
  const from = sim.tick;
  const snapshot = sim.snapshot();
  const commits: CommitWords[] = [commitOf(sim)];
  const records: TickRecord[] = [];
  for (let i = 0; i < ticks; i++) {
    world.step();
    tamper?.(sim, sim.tick);
    records.push(sim.takeRecord()!);
    commits.push(commitOf(sim));
  }
  return { world, sim, from, snapshot, commits, records, registry };
}

describe('audit re-execution of recorded windows', () => {
  it('every tile restored from its window-start state and fed its records reproduces every commitment, bit for bit', async () => {
    await initPhysics();
    const registry = standardKinds();
    const world = TileWorld.fromScene(busyScene(80, { seed: 9 }), registry);
    for (let t = 0; t < 120; t++) world.step(); // things in motion, crossing borders
    const tiles = world.tileList().map((sim) => {
      sim.startRecording();
      return { sim, from: sim.tick, snapshot: sim.snapshot(), commits: [commitOf(sim)] as CommitWords[], records: [] as TickRecord[] };
    });
    for (let i = 0; i < 90; i++) {
      world.step();
      for (const t of tiles) {
        t.records.push(t.sim.takeRecord()!);
        t.commits.push(commitOf(t.sim));
      }
    }
    // The window really had outside traffic: ghosts and migrants between the tiles.
    const batches = tiles.flatMap((t) => t.records.flatMap((r) => [...r.inbound, ...r.after]));
    expect(batches.some((b) => b.ghosts.length > 0)).toBe(true);
    expect(batches.some((b) => b.immigrants.length > 0)).toBe(true);
    for (const t of tiles) {
      const v = verifyWindow(t.snapshot, t.from, t.records, t.commits, world.config, registry);
      expect(v).toMatchObject({ ok: true, ticks: 90 });
      // The verified end state is the live tile's state.
      const end = TileSimulation.restore(v.endSnapshot!, world.config, registry);
      expect(end.hash()).toBe(t.sim.hash());
      end.dispose();
    }
    world.dispose();
  });

  it('records survive the wire: encoded and decoded, they replay the same', async () => {
    await initPhysics();
    const w = recordWindow(30);
    const bytes = new ByteWriter(1024);
    writeTickRecords(bytes, w.records);
    const encoded = bytes.finish();
    const decoded = readTickRecords(new ByteReader(encoded, ErrorCode.BadInput, 'records'));
    expect(decoded).toEqual(w.records);
    expect(verifyWindow(w.snapshot, w.from, decoded, w.commits, w.sim.config, w.registry).ok).toBe(true);
    // Resting ghosts repeat as one byte each: far smaller than writing every ghost every tick.
    const ghostsPerTick = w.records.reduce((n, r) => n + [...r.inbound, ...r.after].reduce((m, b) => m + b.ghosts.reduce((k, g) => k + g.ghosts.length, 0), 0), 0);
    expect(encoded.length).toBeLessThan(ghostsPerTick * 150);
    w.world.dispose();
  });

  it('a state changed outside the rules is found at the first tick it shows, and a forged critical prop is named as such', async () => {
    await initPhysics();
    // Tamper at a known tick: the 8th state of the window.
    let target = 0;
    const w = recordWindow(20, (sim, tick) => {
      if (target === 0) target = tick + 7;
      if (tick !== target) return;
      const id = sim.entityIds().find((x) => sim.describe(x).body.type === 'dynamic')!;
      const p = sim.describe(id).state.position;
      sim.tamper(id, { position: { x: p.x, y: p.y + 0.001, z: p.z } });
    });
    const v = verifyWindow(w.snapshot, w.from, w.records, w.commits, w.sim.config, w.registry);
    expect(v.ok).toBe(false);
    expect(v.mismatchTick).toBe(target);
    expect(v.reason).toMatch(/^state at tick/);
    w.world.dispose();

    // A chest's gold (a critical prop) forged once: the window fails on the critical digest.
    const registry = standardKinds();
    const config = resolveWorldConfig({ tileEdge: 16 });
    const sim = TileSimulation.create({ x: 0, y: 0, z: 0 }, config, registry, [
      entityDesc({ id: 1, kind: 'ground', body: groundBody(8, 0.5, 8), position: { x: 8, y: 0.5, z: 8 } }),
      entityDesc({ id: 2, kind: 'chest', body: Chest.body!, position: { x: 4, y: 1.35, z: 4 } }),
    ]);
    sim.startRecording();
    const snapshot = sim.snapshot();
    const commits: CommitWords[] = [commitOf(sim)];
    const records: TickRecord[] = [];
    for (let i = 0; i < 10; i++) {
      sim.step();
      if (i === 4) sim.tamper(2, { props: { gold: 1_000_000 } });
      records.push(sim.takeRecord()!);
      commits.push(commitOf(sim));
    }
    expect(commits[5]![2]).not.toBe(commits[4]![2]); // the commitment shows critical state changed
    const c = verifyWindow(snapshot, 0, records, commits, config, registry);
    expect(c).toMatchObject({ ok: false, mismatchTick: 5 });
    expect(c.reason).toMatch(/^critical state/);
    sim.dispose();
  });
});
