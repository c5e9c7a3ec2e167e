import { describe, expect, it } from 'vitest';
import { AVATAR_BODY, commitOf, defineKind, entityDesc, initPhysics, islandTargets, standardKinds, tileKey, TileSimulation, TileWorld, TRAIN_SCENE, trainScene, verifyWindow, type CommitWords, type EntityDesc, type EntityInput, type SceneDesc, type TickRecord, type Vec3 } from '../../src/index.js';

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

/** A kinematic deck sliding along (`vx`, `vz`) m/s: the simplest platform. */
const Slider = defineKind({
  name: 'slider',
  body: { type: 'kinematic', shape: { type: 'box', halfExtents: { x: 1.2, y: 0.25, z: 1.5 } }, friction: 0.9 },
  props: { vx: { type: 'number', default: 0 }, vz: { type: 'number', default: 0 } },
  onStep(ctx, self) {
    const p = ctx.position(self);
    ctx.moveKinematic(self, { x: p.x + (ctx.prop(self, 'vx') as number) * ctx.dt, y: p.y, z: p.z + (ctx.prop(self, 'vz') as number) * ctx.dt });
  },
});

/** True when the rider stands on the deck (within its footprint, feet on it). */
function onDeck(deck: EntityDesc, me: EntityDesc): boolean {
  const d = deck.state.position;
  const p = me.state.position;
  return Math.abs(p.x - d.x) < 1.2 && Math.abs(p.z - d.z) < 1.5 && Math.abs(p.y - (d.y + 1.05)) < 0.05;
}

/** Ids in `dropScene`. */
const DROP = { deck: 70, rider: 71, ball: 72 } as const;

/**
 * A rider on a deck sliding along +z at 1 m/s just inside tile (1,0,0) (x ≥ 16 with 16 m tiles),
 * and a ball of tile (0,0,0) — lower in the tile order — dropped from 5.5 m beside the border so
 * that it lands on the rider's head (0.3 m off its axis) and bounces off towards −x.
 */
function dropScene(tileEdge: number): SceneDesc {
  const ground = (x: number): EntityDesc => entityDesc({ id: x < 16 ? 1 : 2, kind: 'ground', body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 8, y: 0.25, z: 8 } } }, position: { x, y: 0.25, z: 8 } });
  return {
    config: { tileEdge, seed: 5 },
    entities: [
      ground(8),
      ground(24),
      entityDesc({ id: DROP.deck, kind: 'slider', body: Slider.body!, position: { x: 17, y: 1.5, z: 4 }, linvel: { x: 0, y: 0, z: 1 }, props: { vz: 1 } }),
      entityDesc({ id: DROP.rider, kind: 'avatar', body: AVATAR_BODY, position: { x: 16.2, y: 2.55, z: 4 }, linvel: { x: 0, y: 0, z: 1 }, props: { name: 'bob', rideOn: DROP.deck, rideX: -0.8, rideY: 1.05, rideZ: 0 } }),
      entityDesc({ id: DROP.ball, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: 0.25 }, friction: 0.6, restitution: 0.3, angularDamping: 0.2 }, position: { x: 15.9, y: 5.5, z: 4.62 } }),
    ],
  };
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


  it('a ball of a lower tile dropped on a rider across the border meets it as in one tile (≤ 1 cm), handed to the platform’s tile', async () => {
    await initPhysics();
    const kinds = (): ReturnType<typeof standardKinds> => standardKinds().define(Slider);
    const split = TileWorld.fromScene(dropScene(16), kinds());
    const whole = TileWorld.fromScene(dropScene(64), kinds());
    expect(split.tileList().length).toBe(2);
    expect(whole.tileList().length).toBe(1);
    const ids = [DROP.rider, DROP.ball];
    let worst = 0;
    let touched = 0;
    let together = 0;
    const ballTiles = new Set<string>();
    for (let t = 0; t < 150; t++) {
      split.step();
      whole.step();
      ballTiles.add(tileKey(split.tileOfEntity(DROP.ball)!));
      if (tileKey(split.tileOfEntity(DROP.ball)!) === tileKey(split.tileOfEntity(DROP.deck)!)) together++;
      const b = stateOf(whole, DROP.ball).state.position;
      const r = stateOf(whole, DROP.rider).state.position;
      // In the reference run: the ball touches the rider's head (sphere against the capsule's top).
      if (Math.hypot(b.x - r.x, b.y - (r.y + 0.5), b.z - r.z) < 0.56) touched++;
      for (const id of ids) {
        const p = stateOf(split, id).state.position;
        const q = stateOf(whole, id).state.position;
        worst = Math.max(worst, Math.hypot(p.x - q.x, p.y - q.y, p.z - q.z));
      }
    }
    const ball = stateOf(whole, DROP.ball).state.position;
    console.log(`ball dropped on a rider across a border: touched ${touched} ticks, held with the deck ${together} ticks, at most ${(worst * 100).toFixed(4)} cm from the single-tile run`);
    // The reference: the ball hit the rider and bounced off towards −x, back over tile (0,0,0).
    expect(touched).toBeGreaterThan(0);
    expect(ball.x).toBeLessThan(15.9);
    // The ball was simulated with the deck's island while it touched the rider, and went home after.
    expect(together).toBeGreaterThan(0);
    expect(ballTiles.size).toBe(2);
    expect(tileKey(split.tileOfEntity(DROP.ball)!)).toBe('0,0,0');
    expect(onDeck(stateOf(split, DROP.deck), stateOf(split, DROP.rider))).toBe(true);
    expect(worst).toBeLessThan(0.01);
    split.dispose();
    whole.dispose();
  });

  it('an auditor re-executes windows of both tiles while the ball is handed to the rider’s tile and back, bit for bit', async () => {
    await initPhysics();
    const registry = standardKinds().define(Slider);
    const world = TileWorld.fromScene(dropScene(16), registry);
    let moves = 0;
    for (let w = 0; w < 3; w++) {
      const tiles = world.tileList().map((sim) => {
        sim.startRecording();
        return { sim, from: sim.tick, snapshot: sim.snapshot(), commits: [commitOf(sim)] as CommitWords[], records: [] as TickRecord[] };
      });
      for (let i = 0; i < 30; i++) {
        moves += world.step().migrations;
        for (const t of tiles) {
          t.records.push(t.sim.takeRecord()!);
          t.commits.push(commitOf(t.sim));
        }
      }
      for (const t of tiles) {
        const v = verifyWindow(t.snapshot, t.from, t.records, t.commits, world.config, registry);
        expect(v, `window ${w} tile ${tileKey(t.sim.tile)}`).toMatchObject({ ok: true, ticks: 30 });
        const end = TileSimulation.restore(v.endSnapshot!, world.config, registry);
        expect(end.hash()).toBe(t.sim.hash());
        end.dispose();
      }
    }
    // The ball went to the rider's tile and came back (within the 90 ticks the windows cover).
    expect(moves).toBeGreaterThanOrEqual(2);
    world.dispose();
  });

  it('the island rule: a rider’s island is its platform’s, whatever else it touches', () => {
    const a = { x: 0, y: 0, z: 0 };
    const b = { x: 1, y: 0, z: 0 };
    // Riding a platform of the holder: stays, though linked to a lower tile and its reference point is elsewhere.
    expect([...islandTargets(b, [{ id: 1, home: a, links: [a], close: true, platform: b }], [])]).toEqual([]);
    // Standing on another tile's platform (a ghost here): goes there, even up the tile order, with what it touches.
    expect([...islandTargets(a, [{ id: 2, home: a, links: [], close: true, platform: b }, { id: 3, home: a, links: [], close: true }], [[0, 1]])]).toEqual([[2, b], [3, b]]);
    // Touching only riders of another tile (ghosts standing on its platform): the island goes to the platform's tile, even up the order.
    expect([...islandTargets(a, [{ id: 4, home: a, links: [b], close: true, riders: [b] }, { id: 5, home: a, links: [], close: true }], [[0, 1]])]).toEqual([[4, b], [5, b]]);
    // The platform may be a third tile's (the rider boarding it there): the platform's tile takes.
    const c = { x: 2, y: 0, z: 0 };
    expect([...islandTargets(a, [{ id: 6, home: a, links: [b], close: true, riders: [c] }], [])]).toEqual([[6, c]]);
    // Riders on this tile's platform: the island stays.
    expect([...islandTargets(a, [{ id: 7, home: a, links: [b], close: true, riders: [a] }], [])]).toEqual([]);
    // An island with a platform of its own keeps to it, whatever riders it touches.
    expect([...islandTargets(b, [{ id: 8, home: b, links: [a], close: true, platform: b, riders: [a] }], [])]).toEqual([]);
    // Touching also a body that does not ride (it may be handed down to us at this boundary): the lowest tile, as without riders.
    expect([...islandTargets(a, [{ id: 9, home: a, links: [b, b], close: true, riders: [b] }], [])]).toEqual([]);
    expect([...islandTargets(b, [{ id: 10, home: b, links: [a], close: true }, { id: 11, home: b, links: [c], close: true, riders: [c] }], [[0, 1]])]).toEqual([[10, a], [11, a]]);
  });
});
