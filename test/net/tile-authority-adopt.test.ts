import { describe, expect, it } from 'vitest';
import { entityDesc, groundBody, initPhysics, MsgType, resolveWorldConfig, standardKinds, TileAuthority, TileSimulation, type Message } from '../../src/index.js';

// A new owner adopts a handed-over state that stands behind its own clock (the old owner
// released it a few ticks ago; the state was on the wire) and catches the tile up at once.
// What leaves the tile during that catch-up must be sent under the new lease's epoch: the
// relay refuses a migration under any other epoch, and the entity would be lost.

const config = resolveWorldConfig({ tileEdge: 16 });
const tile = { x: 0, y: 0, z: 0 };

describe('adopting a tile behind the clock', () => {
  it('sends what leaves during the catch-up under the adopted epoch, stamped with the tick it left', async () => {
    await initPhysics();
    const registry = standardKinds();
    // A ball rolling fast toward the +x border: it leaves within the ticks the new owner catches up.
    const sim = TileSimulation.create(tile, config, registry, [
      entityDesc({ id: 1, kind: 'ground', body: groundBody(8, 0.5, 8), position: { x: 8, y: 0.5, z: 8 } }),
      entityDesc({ id: 2, kind: 'ball', body: { type: 'dynamic', shape: { type: 'ball', radius: 0.25 } }, position: { x: 15.6, y: 1.26, z: 8 }, linvel: { x: 6, y: 0, z: 0 } }),
    ], 100);
    const snapshot = sim.snapshot();
    sim.dispose();
    const sent: Message[] = [];
    const owner = new TileAuthority(config, registry, 7, { send: (_to, m) => sent.push(m), ownerOf: () => undefined, tileOfEntity: () => undefined, dropped: () => {} }, { sendEveryTicks: 3, keyframeEveryTicks: 60 }, 130);
    owner.adopt(tile, 5, snapshot, []);
    const migrations = sent.filter((m): m is Extract<Message, { type: typeof MsgType.Migrate }> => m.type === MsgType.Migrate);
    expect(migrations.map((m) => m.entity.id)).toEqual([2]);
    expect(migrations[0]!.epoch).toBe(5);
    expect(migrations[0]!.tick).toBeGreaterThan(100);
    expect(migrations[0]!.tick).toBeLessThanOrEqual(130);
    expect(owner.world.tileAt(tile)!.has(2)).toBe(false);
  });
});
