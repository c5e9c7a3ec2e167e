import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cannonScene, decodeTileSnapshot, encodeTileSnapshot, initPhysics, standardKinds, TesseraError, TileSimulation, TileWorld } from '../../src/index.js';

describe('tile snapshot codec', () => {
  it('round-trips a live tile exactly (decode → encode gives the same bytes)', async () => {
    await initPhysics();
    const world = TileWorld.fromScene(cannonScene(), standardKinds());
    world.step([{ entity: 102, seq: 0, data: { moveX: -1 } }]);
    for (let t = 0; t < 60; t++) world.step();
    for (const tile of world.tileList()) {
      const bytes = tile.snapshot();
      const data = decodeTileSnapshot(bytes);
      expect(data.tile).toEqual(tile.tile);
      expect(data.tick).toBe(tile.tick);
      expect(data.entities.map((e) => e.id)).toEqual(tile.entityIds());
      expect(encodeTileSnapshot(data)).toEqual(bytes);
    }
  });

  it('rejects truncated and corrupted snapshots with a TesseraError', async () => {
    await initPhysics();
    const world = TileWorld.fromScene(cannonScene(), standardKinds());
    const bytes = world.tileList()[0]!.snapshot();
    fc.assert(
      fc.property(fc.nat(), (at) => {
        expect(() => decodeTileSnapshot(bytes.subarray(0, at % bytes.length))).toThrow(TesseraError);
      }),
      { numRuns: 300 },
    );
    const wrongMagic = bytes.slice();
    wrongMagic[0] = wrongMagic[0]! ^ 0xff;
    expect(() => decodeTileSnapshot(wrongMagic)).toThrow(/bad magic/);
    expect(() => TileSimulation.restore(wrongMagic, world.config, standardKinds())).toThrow(/tile snapshot/);
  });
});
