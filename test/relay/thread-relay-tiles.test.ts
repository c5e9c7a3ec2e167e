import { describe, expect, it } from 'vitest';
import { initPhysics, standardKinds, TileSimulation, type SceneDesc } from '../../src/index.js';
import { RelayCore, type RelayLog } from '../../relay/relay-core.js';
import { ed25519Signer } from '../../relay/lease-signer.js';
import { SCENES } from '../../relay/server.js';
import { threadRelayTiles } from '../../relay/tiles/thread-relay-tiles.js';
import type { TileCheckpoint } from '../../relay/store/world-store.js';

// The relay's own tiles on a worker thread (what the server runs) compute exactly what they
// compute on the relay's thread (what the harness runs): same commands, same bytes.

const TICK_MS = 1000 / 60;

function relay(scene: SceneDesc, clock: { ms: number }, log: RelayLog, thread: boolean): RelayCore {
  return new RelayCore({
    world: 'thread-test',
    scene,
    registry: standardKinds(),
    now: () => clock.ms,
    signer: ed25519Signer(),
    log,
    checkToken: () => undefined,
    auditSeed: 1,
    ...(thread ? { ownTiles: threadRelayTiles(undefined, (reason) => log({ level: 'error', msg: reason })) } : {}),
  });
}

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const cutOf = (core: RelayCore): Promise<TileCheckpoint[]> =>
  new Promise((resolve, reject) => core.checkpoints((tiles) => (tiles ? resolve(tiles) : reject(new Error('no cut')))));

describe("the relay's own tiles on a worker thread", () => {
  it('step the demo world to the same bytes as on the relay thread, and the relay thread steps nothing', async () => {
    await initPhysics();
    const scene = SCENES['demo']!();
    const logs: { level: string; msg: string }[] = [];
    const log: RelayLog = (e) => logs.push(e);
    const clocks = { inline: { ms: 0 }, thread: { ms: 0 } };
    const inline = relay(scene, clocks.inline, log, false);
    const thread = relay(scene, clocks.thread, log, true);
    try {
      // Only the relay-thread version exposes its simulation; the worker's is out of reach.
      expect(() => thread.ownWorld).toThrow(/worker thread/);
      const start = inline.ownTiles.tick;
      expect(thread.ownTiles.tick).toBe(start);
      for (let t = 1; t <= 120; t++) {
        clocks.inline.ms = clocks.thread.ms = t * TICK_MS + 1;
        inline.tick();
        thread.tick();
        // The relay's thread only posted the step: its view of the tiles moves when the worker reports.
        if (t % 30 === 0) await until(`worker at tick ${start + t}`, () => thread.ownTiles.tick === start + t);
      }
      expect(inline.ownTiles.tick).toBe(start + 120);
      expect(thread.ownTiles.entityCount).toBe(inline.ownTiles.entityCount);
      expect(thread.ownTiles.entityCount).toBe(scene.entities.length);
      // Where the view says each entity is matches the relay-thread simulation.
      for (const e of scene.entities) {
        const a = inline.ownTiles.positionOf(e.id)!;
        const b = thread.ownTiles.positionOf(e.id)!;
        expect(b, `entity ${e.id}`).toEqual(a);
        expect(thread.ownTiles.tileOfEntity(e.id)).toEqual(inline.ownTiles.tileOfEntity(e.id));
      }
      const [a, b] = await Promise.all([cutOf(inline), cutOf(thread)]);
      expect(b.map((c) => [c.tile, c.tick])).toEqual(a.map((c) => [c.tile, c.tick]));
      for (let i = 0; i < a.length; i++) expect(Buffer.from(b[i]!.snapshot).equals(Buffer.from(a[i]!.snapshot)), `tile ${JSON.stringify(a[i]!.tile)}`).toBe(true);
      // Something moved (the cut is not just the scene as built).
      const moved = a.some((c) => {
        const sim = TileSimulation.restore(c.snapshot, inline.ownWorld.config, standardKinds());
        const any = sim.describeAll().some((e) => {
          const from = scene.entities.find((s) => s.id === e.id)!.state.position;
          return Math.abs(from.y - e.state.position.y) > 1e-3 || Math.abs(from.x - e.state.position.x) > 1e-3;
        });
        sim.dispose();
        return any;
      });
      expect(moved).toBe(true);
      expect(logs.filter((l) => l.level === 'error')).toEqual([]);
    } finally {
      inline.close();
      thread.close();
    }
  }, 60_000);

  it('a relay that was closed gives no cut rather than an empty one (the last checkpoint stands)', async () => {
    await initPhysics();
    const clock = { ms: 0 };
    const core = relay(SCENES['demo']!(), clock, () => {}, true);
    core.close();
    let got: TileCheckpoint[] | undefined | 'none' = 'none';
    core.checkpoints((tiles) => (got = tiles));
    expect(got).toBeUndefined();
  });
});
