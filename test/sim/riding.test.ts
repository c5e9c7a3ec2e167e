import { describe, expect, it } from 'vitest';
import { commitOf, initPhysics, islandTargets, standardKinds, tileKey, TileSimulation, TileWorld, TRAIN_SCENE, trainScene, verifyWindow, type CommitWords, type EntityDesc, type EntityInput, type TickRecord, type Vec3 } from '../../src/index.js';

// Riding (issue 13): an avatar standing on a kinematic platform — the train going round its
// curved track — moves with it, walks on it and jumps off it, in one tile and across tiles.

const { train, rider, roof } = TRAIN_SCENE;
/** Ticks in one lap of the track (2π · 8 m at 10 m/s, 60 Hz), and a few more. */
const LAP = Math.ceil(((2 * Math.PI * TRAIN_SCENE.radius) / TRAIN_SCENE.speed) * 60) + 10;

/** `p` in the car's frame (x along the car, z across it, y up from its centre). */
function inCar(car: EntityDesc, p: Vec3): Vec3 {
  const c = car.state.position;
  const q = car.state.rotation;
  // Rotate (p − c) by the inverse of q: v' = v + 2w(−u × v) + 2(−u) × (−u × v), u = (x, y, z).
  const v = { x: p.x - c.x, y: p.y - c.y, z: p.z - c.z };
  const u = { x: -q.x, y: -q.y, z: -q.z };
  const t = { x: 2 * (u.y * v.z - u.z * v.y), y: 2 * (u.z * v.x - u.x * v.z), z: 2 * (u.x * v.y - u.y * v.x) };
  return { x: v.x + q.w * t.x + (u.y * t.z - u.z * t.y), y: v.y + q.w * t.y + (u.z * t.x - u.x * t.z), z: v.z + q.w * t.z + (u.x * t.y - u.y * t.x) };
}

/** True when the rider stands on the car's roof (within its 6 m × 2.5 m footprint, feet on the roof). */
function onCar(car: EntityDesc, me: EntityDesc): boolean {
  const l = inCar(car, me.state.position);
  return Math.abs(l.x) < 3 && Math.abs(l.z) < 1.25 && me.state.position.y > roof + 0.7 && me.state.position.y < roof + 0.9;
}

function stateOf(world: TileWorld, id: number): EntityDesc {
  const e = world.describe(id);
  if (!e) throw new Error(`entity ${id} is gone`);
  return e;
}

describe('riding a moving platform (the train)', () => {
  it('an avatar standing on the train stays where it stands on the car for a full lap, in one tile', async () => {
    await initPhysics();
    const world = TileWorld.fromScene(trainScene({ rider: true }), standardKinds());
    expect(world.tileList()).toHaveLength(1);
    for (let t = 0; t < 5; t++) world.step();
    const start = inCar(stateOf(world, train), stateOf(world, rider).state.position);
    let worst = 0;
    for (let t = 0; t < LAP; t++) {
      world.step();
      const car = stateOf(world, train);
      const me = stateOf(world, rider);
      expect(onCar(car, me), `tick ${world.tick}`).toBe(true);
      const l = inCar(car, me.state.position);
      worst = Math.max(worst, Math.hypot(l.x - start.x, l.z - start.z));
    }
    console.log(`riding one lap in one tile: the rider moved at most ${(worst * 100).toFixed(2)} cm on the car`);
    expect(worst).toBeLessThan(0.05);
    world.dispose();
  });

  it('walking on the car moves the rider along it; once it stops it rides on from there', async () => {
    await initPhysics();
    const world = TileWorld.fromScene(trainScene({ rider: true }), standardKinds());
    for (let t = 0; t < 30; t++) world.step();
    const before = inCar(stateOf(world, train), stateOf(world, rider).state.position);
    // The car runs along −z here: walking +z (backwards, world frame) for 0.2 s.
    const input = (data: EntityInput['data'], seq: number): EntityInput[] => [{ entity: rider, seq, data }];
    world.step(input({ moveZ: 1 }, 0));
    for (let t = 0; t < 11; t++) world.step();
    world.step(input({ moveZ: 0 }, 1));
    for (let t = 0; t < 20; t++) world.step();
    const moved = inCar(stateOf(world, train), stateOf(world, rider).state.position);
    const walked = Math.hypot(moved.x - before.x, moved.z - before.z);
    expect(walked).toBeGreaterThan(0.5);
    for (let t = 0; t < LAP; t++) {
      world.step();
      expect(onCar(stateOf(world, train), stateOf(world, rider)), `tick ${world.tick}`).toBe(true);
    }
    const after = inCar(stateOf(world, train), stateOf(world, rider).state.position);
    console.log(`walked ${(walked * 100).toFixed(1)} cm along the car, then drifted ${(Math.hypot(after.x - moved.x, after.z - moved.z) * 100).toFixed(2)} cm in a lap`);
    expect(Math.hypot(after.x - moved.x, after.z - moved.z)).toBeLessThan(0.05);
    world.dispose();
  });

  it('jumping off leaves the car: the rider lands on the ground and the car goes on without it', async () => {
    await initPhysics();
    const world = TileWorld.fromScene(trainScene({ rider: true }), standardKinds());
    for (let t = 0; t < 30; t++) world.step();
    // Outwards, off the track (the car is near x = 24, the track's centre at x = 16).
    world.step([{ entity: rider, seq: 0, data: { jump: true, moveX: 1 } }]);
    for (let t = 0; t < 120; t++) world.step();
    const me = stateOf(world, rider);
    const car = stateOf(world, train);
    expect(onCar(car, me)).toBe(false);
    expect(me.state.position.y).toBeLessThan(2);
    expect(Math.hypot(me.state.position.x - car.state.position.x, me.state.position.z - car.state.position.z)).toBeGreaterThan(4);
    world.dispose();
  });

  it('across tiles: the car and its rider migrate as one island, never apart, and ride as in one tile (≤ 5 cm)', async () => {
    await initPhysics();
    const split = TileWorld.fromScene(trainScene({ rider: true, tileEdge: 16, slabEdge: 16 }), standardKinds());
    const whole = TileWorld.fromScene(trainScene({ rider: true, tileEdge: 64, slabEdge: 16 }), standardKinds());
    expect(split.tileList().length).toBe(4);
    expect(whole.tileList().length).toBe(1);
    const visited = new Set<string>();
    let worst = 0;
    for (let t = 0; t < LAP; t++) {
      split.step();
      whole.step();
      const tile = tileKey(split.tileOfEntity(train)!);
      visited.add(tile);
      // The rider is simulated with its car: same tile, at every tick boundary.
      expect(tileKey(split.tileOfEntity(rider)!), `tick ${split.tick}`).toBe(tile);
      const me = stateOf(split, rider);
      expect(onCar(stateOf(split, train), me), `tick ${split.tick}`).toBe(true);
      const ref = stateOf(whole, rider).state.position;
      const p = me.state.position;
      worst = Math.max(worst, Math.hypot(p.x - ref.x, p.y - ref.y, p.z - ref.z));
    }
    console.log(`riding one lap over ${visited.size} tiles: at most ${(worst * 100).toFixed(3)} cm from the single-tile run`);
    expect(visited.size).toBe(4);
    expect(worst).toBeLessThan(0.05);
    split.dispose();
    whole.dispose();
  });

  it('an auditor re-executes windows of every tile the car and its rider cross, bit for bit', async () => {
    await initPhysics();
    const registry = standardKinds();
    const world = TileWorld.fromScene(trainScene({ rider: true, tileEdge: 16, slabEdge: 16 }), registry);
    // Windows of 40 ticks over a lap: each tile's record covers car and rider arriving, riding and leaving.
    let crossings = 0;
    for (let w = 0; w < 8; w++) {
      const tiles = world.tileList().map((sim) => {
        sim.startRecording();
        return { sim, from: sim.tick, snapshot: sim.snapshot(), commits: [commitOf(sim)] as CommitWords[], records: [] as TickRecord[] };
      });
      for (let i = 0; i < 40; i++) {
        crossings += world.step().migrations;
        for (const t of tiles) {
          t.records.push(t.sim.takeRecord()!);
          t.commits.push(commitOf(t.sim));
        }
      }
      for (const t of tiles) {
        const v = verifyWindow(t.snapshot, t.from, t.records, t.commits, world.config, registry);
        expect(v, `window ${w} tile ${tileKey(t.sim.tile)}`).toMatchObject({ ok: true, ticks: 40 });
        const end = TileSimulation.restore(v.endSnapshot!, world.config, registry);
        expect(end.hash()).toBe(t.sim.hash());
        end.dispose();
      }
    }
    // Car and rider crossed the four borders together (two migrations a crossing).
    expect(crossings).toBeGreaterThanOrEqual(8);
    expect(onCar(stateOf(world, train), stateOf(world, rider))).toBe(true);
    world.dispose();
  });

  it('the island rule: a rider’s island is its platform’s, whatever else it touches', () => {
    const a = { x: 0, y: 0, z: 0 };
    const b = { x: 1, y: 0, z: 0 };
    // Riding a platform of the holder: stays, though linked to a lower tile and its reference point is elsewhere.
    expect([...islandTargets(b, [{ id: 1, home: a, links: [a], close: true, platform: b }], [])]).toEqual([]);
    // Standing on another tile's platform (a ghost here): goes there, even up the tile order, with what it touches.
    expect([...islandTargets(a, [{ id: 2, home: a, links: [], close: true, platform: b }, { id: 3, home: a, links: [], close: true }], [[0, 1]])]).toEqual([[2, b], [3, b]]);
  });
});
