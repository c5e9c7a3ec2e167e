import { describe, expect, it } from 'vitest';
import { DEMO_SCENE, demoScene, encodeInputs, frameEntity, frameInfo, TesseraError, TileWorldHost } from '../../src/index.js';

describe('TileWorldHost (the worker service, run in Node)', () => {
  it('loads the demo, steps with an input batch, and reports frames with every entity', async () => {
    let clock = 0;
    const host = new TileWorldHost(undefined, () => (clock += 1));
    await host.init();
    const loaded = host.load(demoScene());
    expect(loaded.tiles.length).toBe(9);
    expect(loaded.kinds).toContain('avatar');
    const before = frameInfo(new Float64Array(host.frame()));
    const buf = encodeInputs([{ entity: DEMO_SCENE.avatar, seq: 0, data: { moveX: 1 } }]).buffer as ArrayBuffer;
    const frame = new Float64Array(host.step(30, buf));
    const info = frameInfo(frame);
    expect(info.tick).toBe(30);
    expect(info.ticksRun).toBe(30);
    expect(info.entityCount).toBe(before.entityCount);
    const e = { id: 0, kind: 0, tile: 0, x: 0, y: 0, z: 0, qx: 0, qy: 0, qz: 0, qw: 0 };
    const ids = new Set<number>();
    let avatarX = 0;
    for (let i = 0; i < info.entityCount; i++) {
      frameEntity(frame, i, e);
      ids.add(e.id);
      if (e.id === DEMO_SCENE.avatar) avatarX = e.x;
      expect(loaded.kinds[e.kind]).toBeDefined();
    }
    expect(ids.size).toBe(info.entityCount);
    expect(avatarX).toBeGreaterThan(8.5); // walked +x from 8
    expect(host.looks([DEMO_SCENE.avatar])[0]!.body.shape.type).toBe('capsule');
  });

  it('snapshot/restore through ArrayBuffers continues identically', async () => {
    const a = new TileWorldHost();
    await a.init();
    a.load(demoScene());
    a.step(20);
    const snap = a.snapshot();
    const b = new TileWorldHost();
    await b.init();
    b.restore(snap, demoScene().config);
    expect(b.hash()).toBe(a.hash());
    a.step(25);
    b.step(25);
    expect(b.hash()).toBe(a.hash());
  });

  it('refuses bad calls with clear errors', async () => {
    const host = new TileWorldHost();
    await host.init();
    expect(() => host.step(1)).toThrow(/no world loaded/);
    host.load(demoScene());
    expect(() => host.step(1000)).toThrow(TesseraError);
    expect(() => host.step(1, new Uint8Array([1, 2, 3]).buffer)).toThrow(/input batch/);
  });
});
