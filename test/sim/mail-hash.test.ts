import { describe, expect, it } from 'vitest';
import { BehaviourRegistry, defineKind, initPhysics, resolveWorldConfig, TileSimulation, type EntityDesc, type InputData } from '../../src/index.js';

// Pending mail is part of a tile's state hash. A snapshot writes message data with its keys
// sorted, so the hash must cover the data in that same canonical form: otherwise a custom kind
// that builds its message data in another key order hashes differently on the owner and on the
// auditor that restored the owner's snapshot (a false accusation).

const config = resolveWorldConfig({ tileEdge: 16 });

/** A registry whose `beacon` kind mails itself, 50 ticks ahead, data built by `data()` (so it stays pending). */
function registryWith(data: () => InputData): BehaviourRegistry {
  return new BehaviourRegistry().define(
    defineKind({
      name: 'beacon',
      body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.5, y: 0.5, z: 0.5 } } },
      onStep: (ctx, self) => {
        if (ctx.tick === 0) ctx.send(self, 'wake', data(), 50);
      },
    }),
  );
}

const beacon: EntityDesc = {
  id: 1,
  kind: 'beacon',
  body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.5, y: 0.5, z: 0.5 } } },
  state: { position: { x: 8, y: 0.5, z: 8 }, rotation: { x: 0, y: 0, z: 0, w: 1 }, linvel: { x: 0, y: 0, z: 0 }, angvel: { x: 0, y: 0, z: 0 } },
  props: {},
};

describe('pending mail in the state hash', () => {
  it('hashes message data by its sorted keys, as the snapshot holds it', async () => {
    await initPhysics();
    // The same data, keys inserted in two different orders (neither of them sorted for `b`).
    const inOrder = registryWith(() => ({ alpha: 1, beta: 'two', gamma: true, zeta: -0.5 }));
    const shuffled = registryWith(() => ({ zeta: -0.5, gamma: true, alpha: 1, beta: 'two' }));
    const a = TileSimulation.create({ x: 0, y: 0, z: 0 }, config, inOrder, [beacon]);
    const b = TileSimulation.create({ x: 0, y: 0, z: 0 }, config, shuffled, [beacon]);
    try {
      for (let i = 0; i < 3; i++) {
        a.step();
        b.step();
      }
      expect(a.snapshot().length).toBeGreaterThan(0);
      expect(a.hash()).toBe(b.hash());

      // Snapshot → restore keeps the hash (the restored mailbox has its keys in sorted order).
      const restored = TileSimulation.restore(b.snapshot(), config, shuffled);
      try {
        expect(restored.hash()).toBe(b.hash());
        // And they go on agreeing, through the delivery of the message.
        for (let i = 0; i < 60; i++) {
          b.step();
          restored.step();
          expect(restored.hash()).toBe(b.hash());
        }
      } finally {
        restored.dispose();
      }

      // Different data still hashes differently.
      const other = TileSimulation.create({ x: 0, y: 0, z: 0 }, config, registryWith(() => ({ alpha: 2, beta: 'two', gamma: true, zeta: -0.5 })), [beacon]);
      try {
        for (let i = 0; i < 3; i++) other.step();
        expect(other.hash()).not.toBe(a.hash());
      } finally {
        other.dispose();
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});
