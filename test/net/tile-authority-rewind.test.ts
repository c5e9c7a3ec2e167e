import { describe, expect, it } from 'vitest';
import { AVATAR_BODY, entityDesc, groundBody, initPhysics, MsgType, resolveWorldConfig, standardKinds, TileAuthority, TileSimulation, type Message } from '../../src/index.js';

// An owner that hears of an input late (stamped for a tick it has already simulated) rewinds
// the tile to that tick and replays: the tile ends exactly as if the input had come in time,
// and the commitments it sends describe that history.

const config = resolveWorldConfig({ tileEdge: 16 });
const tile = { x: 0, y: 0, z: 0 };
const AVATAR = 1_000_001;
const BALL = 2;

function owner(sent: Message[]): TileAuthority {
  const registry = standardKinds();
  const sim = TileSimulation.create(tile, config, registry, [
    entityDesc({ id: 1, kind: 'ground', body: groundBody(8, 0.5, 8), position: { x: 8, y: 0.5, z: 8 } }),
    entityDesc({ id: 2, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: 0.3 }, restitution: 0.5 }, position: { x: 4, y: 3, z: 8 }, linvel: { x: 2, y: 0, z: 0 } }),
    entityDesc({ id: AVATAR, kind: 'avatar', body: AVATAR_BODY, position: { x: 8, y: 1.81, z: 8 } }),
  ]);
  const snapshot = sim.snapshot();
  sim.dispose();
  const a = new TileAuthority(config, registry, 7, { send: (_to, m) => sent.push(m), ownerOf: () => undefined, tileOfEntity: () => undefined, dropped: () => {} }, { sendEveryTicks: 3, keyframeEveryTicks: 60 }, 0);
  a.adopt(tile, 1, snapshot, []);
  return a;
}

/**
 * An owner of the home tile (and, with `east`, of the tile east of it, bare ground) where a ball
 * rolls east and leaves the home tile at about tick 52; what it sends goes to `sent`.
 */
function ballOwner(sent: Message[], east?: { x: number; y: number; z: number }): TileAuthority {
  const registry = standardKinds();
  const a = new TileAuthority(config, registry, 7, { send: (_to, m) => sent.push(m), ownerOf: () => undefined, tileOfEntity: () => undefined, dropped: () => {} }, { sendEveryTicks: 3, keyframeEveryTicks: 60 }, 0);
  const home = TileSimulation.create(tile, config, registry, [
    entityDesc({ id: 1, kind: 'ground', body: groundBody(8, 0.5, 8), position: { x: 8, y: 0.5, z: 8 } }),
    entityDesc({ id: BALL, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: 0.3 } }, position: { x: 12, y: 1.3, z: 8 }, linvel: { x: 6, y: 0, z: 0 } }),
    entityDesc({ id: AVATAR, kind: 'avatar', body: AVATAR_BODY, position: { x: 6, y: 1.81, z: 8 } }),
  ]);
  a.adopt(tile, 1, home.snapshot(), []);
  home.dispose();
  if (east) {
    const next = TileSimulation.create(east, config, registry, [entityDesc({ id: 3, kind: 'ground', body: groundBody(8, 0.5, 8), position: { x: 24, y: 0.5, z: 8 } })]);
    a.adopt(east, 1, next.snapshot(), []);
    next.dispose();
  }
  return a;
}

/** Steps an owner to `tick` (stepTo goes at most 30 ticks per call). */
function run(a: TileAuthority, tick: number): void {
  while (a.tick < tick) a.stepTo(tick);
}

describe('rewind at the owner for late inputs', () => {
  it('an input 8 ticks late gives exactly the state and commitments of the same input in time', async () => {
    await initPhysics();
    const onTimeSent: Message[] = [];
    const lateSent: Message[] = [];
    const onTime = owner(onTimeSent);
    const late = owner(lateSent);
    run(onTime, 40);
    run(late, 40);
    onTime.addInputs(40, [{ entity: AVATAR, seq: 0, data: { moveX: 1, moveZ: 0.5 } }]);
    run(onTime, 48);
    run(late, 48);
    expect(late.world.tileAt(tile)!.hash()).not.toBe(onTime.world.tileAt(tile)!.hash());
    // The input stamped tick 40 reaches the other owner at tick 48.
    late.addInputs(40, [{ entity: AVATAR, seq: 0, data: { moveX: 1, moveZ: 0.5 } }]);
    expect(late.counters.rewinds).toBe(1);
    expect(late.world.tileAt(tile)!.hash()).toBe(onTime.world.tileAt(tile)!.hash());
    run(onTime, 120);
    run(late, 120);
    expect(late.world.tileAt(tile)!.hash()).toBe(onTime.world.tileAt(tile)!.hash());
    // What each sent the relay as commitments is the same history, tick for tick.
    const commits = (sent: Message[]): string[] => sent.flatMap((m) => (m.type === 26 ? m.hashes.map((h, i) => `${m.firstTick + i}:${h.join(',')}`) : []));
    expect(commits(lateSent)).toEqual(commits(onTimeSent));
    expect(commits(lateSent).length).toBeGreaterThan(80);
  });

  it('a tile is not rewound across a departure: an entity that moved into another tile held here stays there, once', async () => {
    await initPhysics();
    const east = { x: 1, y: 0, z: 0 };
    const sent: Message[] = [];
    const a = ballOwner(sent, east);
    run(a, 56);
    // The ball rolled into the east tile within this world (no message for it).
    expect(a.world.tileOfEntity(BALL)).toEqual(east);
    // A late input for the avatar, stamped before the ball left: a replay of the tile the ball
    // left could have it leave again (sent on a second time) or at another tick than the east
    // tile logged it arriving. The tile is not rewound across the departure: the input applies
    // at the next tick.
    const applied = a.counters.inputsApplied;
    a.addInputs(48, [{ entity: AVATAR, seq: 0, data: { moveX: 1 } }]);
    expect(a.counters.rewinds).toBe(0);
    run(a, 80);
    expect(a.counters.inputsApplied).toBe(applied + 1);
    expect(a.world.tileOfEntity(BALL)).toEqual(east);
    expect(a.world.tileAt(tile)!.has(BALL)).toBe(false);
    expect(sent.filter((m) => m.type === MsgType.Migrate)).toEqual([]);
  });

  it('a tile is not rewound across a departure reported to the relay: the migrant is sent once, as it left', async () => {
    await initPhysics();
    const sent: Message[] = [];
    const a = ballOwner(sent);
    run(a, 56);
    const migrations = (): Message[] => sent.filter((m) => m.type === MsgType.Migrate);
    expect(migrations().length).toBe(1);
    a.addInputs(48, [{ entity: AVATAR, seq: 0, data: { moveX: 1 } }]);
    expect(a.counters.rewinds).toBe(0);
    run(a, 80);
    expect(migrations().length).toBe(1);
  });

  it('an input older than the rewind depth applies at the next tick instead', async () => {
    await initPhysics();
    const a = owner([]);
    run(a, 60);
    a.addInputs(30, [{ entity: AVATAR, seq: 0, data: { moveX: 1 } }]);
    expect(a.counters.rewinds).toBe(0);
    run(a, 61);
    expect(a.counters.inputsApplied).toBe(1);
  });
});
