import { describe, expect, it } from 'vitest';
import { entityDesc, groundBody, initPhysics, resolveWorldConfig, standardKinds, TileAuthority, TileSimulation, type EntityDesc } from '../../src/index.js';

// A migrant's state is of the tick its sender handed it on. A receiver whose simulation runs
// behind that tick (a loaded tab, a relay catching up in bites) must not step it through ticks
// it has already lived: seen in a CI run as an avatar 9 cm ahead of itself after a handoff.

const config = resolveWorldConfig({ tileEdge: 16 });
const tile = { x: 0, y: 0, z: 0 };

async function receiver(atTick: number): Promise<TileAuthority> {
  await initPhysics();
  const registry = standardKinds();
  const sim = TileSimulation.create(tile, config, registry, [entityDesc({ id: 1, kind: 'ground', body: groundBody(8, 0.5, 8), position: { x: 8, y: 0.5, z: 8 } })], atTick);
  const snapshot = sim.snapshot();
  sim.dispose();
  const owner = new TileAuthority(config, registry, 7, { send: () => {}, ownerOf: () => undefined, tileOfEntity: () => undefined, dropped: () => {} }, { sendEveryTicks: 3, keyframeEveryTicks: 60 }, atTick);
  owner.adopt(tile, 5, snapshot, []);
  return owner;
}

// A ball rolling west at 3 m/s, as the sender had it at tick 103.
const migrant: EntityDesc = entityDesc({ id: 2, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: 0.25 } }, position: { x: 15.5, y: 1.25, z: 8 }, linvel: { x: -3, y: 0, z: 0 } });

describe('a migrant stamped ahead of the receiver', () => {
  it('joins the simulation at its own tick: the same state at tick 110 as a receiver that was on time', async () => {
    const onTime = await receiver(103);
    expect(onTime.insert(migrant, 103)).toBe(true);
    onTime.stepTo(110);
    const late = await receiver(100);
    expect(late.insert(migrant, 103)).toBe(true); // accepted: the tile is held here
    late.stepTo(102);
    expect(late.world.tileAt(tile)!.has(2)).toBe(false); // not before its tick
    late.stepTo(110);
    const a = onTime.world.tileAt(tile)!.describe(2).state.position;
    const b = late.world.tileAt(tile)!.describe(2).state.position;
    expect(b.x).toBe(a.x);
    expect(b.z).toBe(a.z);
  });

  it('is not lost when the tile is released before its tick: it leaves in the snapshot', async () => {
    const late = await receiver(100);
    expect(late.insert(migrant, 104)).toBe(true);
    const out = late.release(tile)!;
    expect(out.entities.map((e) => e.id)).toContain(2);
  });

  it('is refused (false) when its tile is not held here, like a migrant on time', async () => {
    const late = await receiver(100);
    expect(late.insert({ ...migrant, state: { ...migrant.state, position: { x: 20, y: 1.25, z: 8 } } }, 104)).toBe(false);
  });
});

describe('a migrant with a forged tick', () => {
  it('stamped far ahead (beyond any transit) is placed at once, not held where nobody sees it', async () => {
    const late = await receiver(100);
    expect(late.insert(migrant, 100 + 1_000_000)).toBe(true);
    expect(late.world.tileAt(tile)!.has(2)).toBe(true); // placed now, as reported
    late.stepTo(101);
    expect(late.world.tileAt(tile)!.has(2)).toBe(true);
  });
});
