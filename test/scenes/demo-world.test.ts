import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SCENE, demoScene, initPhysics, standardKinds, tileKey, TileWorld, type EntityDesc } from '../../src/index.js';

// The demo world as a player meets it: laid out so that the train runs clear of everything
// fixed, every fixed piece lies in one tile, and the things placed across borders (crates, a
// ball pit) are there and behave as one pile when pushed.

const EDGE = 16;
const { track } = DEMO_SCENE;

/** Corners of an entity's box collider (turned about y or x as its rotation says), in the x–z plane. */
function footprint(e: EntityDesc): { x0: number; x1: number; z0: number; z1: number } {
  const s = e.body.shape;
  const h = s.type === 'box' ? s.halfExtents : s.type === 'ball' ? { x: s.radius, y: s.radius, z: s.radius } : { x: s.radius, y: s.halfHeight + s.radius, z: s.radius };
  const q = e.state.rotation;
  // Half extents of the turned box along x and z (rows of the rotation matrix, absolute).
  const m = [
    [1 - 2 * (q.y * q.y + q.z * q.z), 2 * (q.x * q.y - q.z * q.w), 2 * (q.x * q.z + q.y * q.w)],
    [2 * (q.x * q.z - q.y * q.w), 2 * (q.y * q.z + q.x * q.w), 1 - 2 * (q.x * q.x + q.y * q.y)],
  ];
  const ex = Math.abs(m[0]![0]!) * h.x + Math.abs(m[0]![1]!) * h.y + Math.abs(m[0]![2]!) * h.z;
  const ez = Math.abs(m[1]![0]!) * h.x + Math.abs(m[1]![1]!) * h.y + Math.abs(m[1]![2]!) * h.z;
  const p = e.state.position;
  return { x0: p.x - ex, x1: p.x + ex, z0: p.z - ez, z1: p.z + ez };
}

/** Nearest and farthest distance of a rectangle from the track's centre. */
function radialSpan(f: { x0: number; x1: number; z0: number; z1: number }): { near: number; far: number } {
  const dx = Math.max(f.x0 - track.x, 0, track.x - f.x1);
  const dz = Math.max(f.z0 - track.z, 0, track.z - f.z1);
  const fx = Math.max(Math.abs(f.x0 - track.x), Math.abs(f.x1 - track.x));
  const fz = Math.max(Math.abs(f.z0 - track.z), Math.abs(f.z1 - track.z));
  return { near: Math.hypot(dx, dz), far: Math.hypot(fx, fz) };
}

describe('the demo world', () => {
  beforeAll(async () => {
    await initPhysics();
  });

  it('is laid out: fixed pieces each in one tile, nothing in the train’s way, the avatar spawns outside the track', () => {
    const scene = demoScene();
    const train = scene.entities.find((e) => e.id === DEMO_SCENE.train)!;
    expect(train.kind).toBe('train');
    expect(Math.hypot(train.state.position.x - track.x, train.state.position.z - track.z)).toBeCloseTo(track.radius, 6);
    // The band the train sweeps: its 6 m × 2.5 m box going round (corners reach in to the chord's sagitta).
    const inner = Math.hypot(track.radius - 1.25, 0);
    const outer = Math.hypot(track.radius + 1.25, 3);
    for (const e of scene.entities) {
      if (e.body.type !== 'fixed') continue;
      const f = footprint(e);
      const wholeTile = f.x1 - f.x0 >= EDGE - 0.01 && f.z1 - f.z0 >= EDGE - 0.01;
      const perimeter = f.x0 < 1 || f.z0 < 1 || f.x1 > 3 * EDGE - 1 || f.z1 > 3 * EDGE - 1;
      // The ground slabs (the train runs on them) and the outer walls (`walls`, shared by every scene) aside:
      if (wholeTile || perimeter) continue;
      // Within one tile (touching a border is allowed).
      expect(Math.floor((f.x0 + 1e-6) / EDGE), `${e.kind} ${e.id} spans tiles along x`).toBe(Math.floor((f.x1 - 1e-6) / EDGE));
      expect(Math.floor((f.z0 + 1e-6) / EDGE), `${e.kind} ${e.id} spans tiles along z`).toBe(Math.floor((f.z1 - 1e-6) / EDGE));
      const { near, far } = radialSpan(f);
      expect(far < inner - 0.3 || near > outer + 0.3, `${e.kind} ${e.id} (${near.toFixed(2)}–${far.toFixed(2)} m from the centre) is in the train's way (${inner.toFixed(2)}–${outer.toFixed(2)} m)`).toBe(true);
    }
    // The platform is beside the track: less than a metre from the train's side.
    const platform = radialSpan(footprint(scene.entities.find((e) => e.id === DEMO_SCENE.platform)!));
    expect(track.radius - 1.25 - platform.far).toBeLessThan(1);
    // The offline avatar (and the relay's players, at tile 0,0,0's centre) start in the corner, outside the track.
    const avatar = scene.entities.find((e) => e.id === DEMO_SCENE.avatar)!;
    expect(Math.hypot(avatar.state.position.x - track.x, avatar.state.position.z - track.z)).toBeGreaterThan(outer + 3);
    expect(tileKey({ x: Math.floor(avatar.state.position.x / EDGE), y: 0, z: Math.floor(avatar.state.position.z / EDGE) })).toBe('0,0,0');
  });

  it('puts crates and a ball pit across tile borders', () => {
    const scene = demoScene();
    const crates = scene.entities.filter((e) => e.id >= DEMO_SCENE.borderBoxes && e.id < DEMO_SCENE.borderBoxes + DEMO_SCENE.borderBoxCount);
    const balls = scene.entities.filter((e) => e.id >= DEMO_SCENE.ballPit && e.id < DEMO_SCENE.ballPit + DEMO_SCENE.ballPitCount);
    expect(crates.length).toBe(DEMO_SCENE.borderBoxCount);
    expect(balls.length).toBe(DEMO_SCENE.ballPitCount);
    for (const [things, border] of [[crates, 2 * EDGE], [balls, EDGE]] as const) {
      const west = things.filter((e) => e.state.position.x < border).length;
      expect(west).toBeGreaterThan(0);
      expect(things.length - west).toBeGreaterThan(0);
    }
  });

  it('runs: the train goes round through the eight outer tiles on its circle, the crates and the pit stay put until pushed', () => {
    const scene = demoScene();
    const world = TileWorld.fromScene(scene, standardKinds());
    try {
      const lap = Math.ceil(((2 * Math.PI * track.radius) / track.speed) * 60);
      const tiles = new Set<string>();
      let offCircle = 0;
      for (let t = 0; t < lap; t++) {
        world.step();
        const p = world.describe(DEMO_SCENE.train)!.state.position;
        offCircle = Math.max(offCircle, Math.abs(Math.hypot(p.x - track.x, p.z - track.z) - track.radius));
        tiles.add(tileKey(world.tileOfEntity(DEMO_SCENE.train)!));
      }
      expect(tiles.size).toBe(8);
      expect(tiles.has('1,0,1')).toBe(false);
      expect(offCircle).toBeLessThan(0.01);
      const back = world.describe(DEMO_SCENE.train)!.state.position;
      expect(Math.hypot(back.x - (track.x + track.radius), back.z - track.z)).toBeLessThan(track.speed / 60 + 0.01);
      // A lap later, the crates and the balls in the pit are where they settled (nothing knocked them over).
      for (const e of scene.entities) {
        // (The two crates at the spawn point are left out: the north's loose balls may knock them.)
        const crate = e.id >= DEMO_SCENE.borderBoxes && e.id < DEMO_SCENE.borderBoxes + DEMO_SCENE.borderBoxCount;
        if (!crate && !(e.id >= DEMO_SCENE.ballPit && e.id < DEMO_SCENE.ballPit + DEMO_SCENE.ballPitCount)) continue;
        const now = world.describe(e.id)!.state.position;
        expect(Math.hypot(now.x - e.state.position.x, now.z - e.state.position.z), `${e.kind} ${e.id} moved`).toBeLessThan(0.1);
        expect(Math.abs(now.y - e.state.position.y), `${e.kind} ${e.id} fell`).toBeLessThan(0.3);
      }
    } finally {
      world.dispose();
    }
  });

  it('the crates across the border move as one pile when the avatar walks into them', () => {
    const scene = demoScene();
    // The avatar placed just west of the crates, walking east (+x) into them.
    const entities = scene.entities.map((e) => (e.id === DEMO_SCENE.avatar ? { ...e, state: { ...e.state, position: { x: 2 * EDGE - 2, y: 1.81, z: 21 } } } : e));
    const world = TileWorld.fromScene({ ...scene, entities }, standardKinds());
    try {
      const crates = scene.entities.filter((e) => e.id >= DEMO_SCENE.borderBoxes && e.id < DEMO_SCENE.borderBoxes + DEMO_SCENE.borderBoxCount).map((e) => e.id);
      for (let t = 0; t < 60; t++) world.step(); // settle
      let sharedTicks = 0;
      for (let t = 0; t < 90; t++) {
        world.step(t === 0 ? [{ entity: DEMO_SCENE.avatar, seq: 0, data: { moveX: 1, moveZ: 0 } }] : []);
        // The crates in touch are one island: all held by one tile while the avatar pushes.
        if (new Set(crates.map((id) => tileKey(world.tileOfEntity(id)!))).size === 1) sharedTicks++;
      }
      expect(sharedTicks).toBeGreaterThan(0);
      // The east column moved too: pushed through the crates west of the border, not stopped at a wall.
      const east = crates.filter((id) => scene.entities.find((e) => e.id === id)!.state.position.x > 2 * EDGE);
      const moved = east.filter((id) => world.describe(id)!.state.position.x > scene.entities.find((e) => e.id === id)!.state.position.x + 0.1);
      expect(moved.length).toBeGreaterThan(0);
    } finally {
      world.dispose();
    }
  });
  it('a player hops from the station platform onto the passing flatcar, rides it round the track across tiles, and jumps off', () => {
    const scene = demoScene();
    // The avatar on the platform's track-side edge, facing the track (+z).
    const at = { x: track.x, y: 1.3 + 0.8 + 0.01, z: 35.55 };
    const entities = scene.entities.map((e) => (e.id === DEMO_SCENE.avatar ? { ...e, state: { ...e.state, position: at } } : e));
    const world = TileWorld.fromScene({ ...scene, entities }, standardKinds());
    const me = DEMO_SCENE.avatar;
    let seq = 0;
    const input = (data: Record<string, number | boolean>) => [{ entity: me, seq: seq++, data }];
    const rideOn = () => world.describe(me)!.props['rideOn'];
    try {
      // Wait for the flatcar on the south side, 4.8 m short of the avatar (it runs +x there at
      // 5 m/s): a jump is a second in the air.
      let waited = 0;
      for (;;) {
        const w = world.describe(DEMO_SCENE.wagon)!.state.position;
        if (w.z > track.z + track.radius - 1 && w.x > at.x - 4.8 && w.x < at.x) break;
        world.step();
        expect(++waited, 'the flatcar comes past the platform within a lap').toBeLessThan(60 * 20);
      }
      // Hop: jump towards the track, and stop walking once over the middle of the deck.
      world.step(input({ jump: true, moveZ: 1 }));
      for (let t = 0; t < 22; t++) world.step();
      world.step(input({ moveZ: 0 }));
      let boarded = -1;
      for (let t = 0; t < 60 && boarded < 0; t++) {
        world.step();
        if (rideOn() === DEMO_SCENE.wagon) boarded = t;
      }
      expect(boarded, 'the avatar stands on the flatcar within a second of the hop').toBeGreaterThanOrEqual(0);
      // Rides a quarter lap and more (22 m), through the tiles the track crosses, on the deck all along.
      const tiles = new Set<string>();
      for (let t = 0; t < 270; t++) {
        world.step();
        const p = world.describe(me)!.state.position;
        const w = world.describe(DEMO_SCENE.wagon)!.state.position;
        expect(rideOn(), `tick ${t} of the ride`).toBe(DEMO_SCENE.wagon);
        expect(Math.hypot(p.x - w.x, p.z - w.z), `tick ${t}: on the deck`).toBeLessThan(2.8);
        expect(p.y - w.y, `tick ${t}: standing on the deck`).toBeGreaterThan(0.9);
        tiles.add(tileKey(world.tileOfEntity(me)!));
      }
      expect(tiles.size).toBeGreaterThanOrEqual(2);
      // Jumps off towards the plaza (the track's centre): lands beside the track, no longer riding.
      const p = world.describe(me)!.state.position;
      const d = Math.hypot(track.x - p.x, track.z - p.z);
      world.step(input({ jump: true, moveX: (track.x - p.x) / d, moveZ: (track.z - p.z) / d }));
      for (let t = 0; t < 30; t++) world.step();
      world.step(input({ moveX: 0, moveZ: 0 }));
      for (let t = 0; t < 60; t++) world.step();
      const off = world.describe(me)!.state.position;
      expect(rideOn()).toBe(0);
      expect(Math.hypot(off.x - track.x, off.z - track.z)).toBeLessThan(track.radius - 1.3);
      expect(off.y).toBeLessThan(2);
      console.log(`hopped on after ${waited} ticks of waiting, on the deck ${boarded} ticks after the hop stopped walking, rode through ${tiles.size} tiles, off at ${off.x.toFixed(1)}, ${off.z.toFixed(1)}`);
    } finally {
      world.dispose();
    }
  });
});
