import { describe, expect, it } from 'vitest';
import { DocSync, initPhysics, templateFromJson, TEMPLATE_ENTITY_BASE, WorldDocument } from '../harness/imports.js';
import { Harness, withSeed } from '../harness/harness.js';

describe('a world made from a template', () => {
  it('starts with the template objects as entities; a creator moving one gives it a new entity where it now is', () =>
    withSeed(7, async (seed) => {
      await initPhysics();
      const template = templateFromJson(
        {
          format: 'tessera-template@1',
          objects: [
            { kind: 'ramp', position: { x: 20, y: 1.3, z: 20 }, yaw: 0.3 },
            { kind: 'cannon', position: { x: 30, y: 1.4, z: 30 }, color: '#112233', props: { speed: 14, bogus: 99 } },
            { kind: 'box', position: { x: 24, y: 1.5, z: 24 } },
          ],
        },
        16,
      );
      const h = new Harness({ seed, relay: { document: { template, updates: [] } } });
      const ids = [0, 1, 2].map((i) => TEMPLATE_ENTITY_BASE + i);
      // The relay placed them before anyone joined.
      for (const id of ids) expect(h.relay.ownWorld.tileOfEntity(id)).toBeDefined();
      const cannon = h.relay.ownWorld.describe(ids[1]!)!;
      expect(cannon.props['speed']).toBe(14);
      expect('bogus' in cannon.props).toBe(false); // props the kind does not define are left out

      const maker = h.addClient('maker');
      const world = new WorldDocument(16, 42);
      const sync = new DocSync(world);
      maker.client.on('joined', () => sync.attach(maker.client));
      expect(h.runUntil(() => world.layout.size === 3, 3000)).toBeGreaterThanOrEqual(0);
      expect(world.layout.get('tpl-0')!.entity).toBe(ids[0]);
      world.layout.move('tpl-0', { x: 36, y: 1.3, z: 20 });
      expect(h.runUntil(() => sync.acknowledged && world.layout.get('tpl-0')!.entity !== ids[0], 3000)).toBeGreaterThanOrEqual(0);
      const moved = world.layout.get('tpl-0')!.entity!;
      expect(moved).toBeGreaterThanOrEqual(2 ** 31 + 2 ** 29);
      expect(h.relay.ownWorld.tileOfEntity(ids[0]!)).toBeUndefined();
      expect(h.relay.ownWorld.describe(moved)!.state.position.x).toBeCloseTo(36, 5);
      expect(h.runUntil(() => maker.client.entities().some((e) => e.id === moved), 3000)).toBeGreaterThanOrEqual(0);
      // The old one leaves with its tile's next delta (the two tiles report on their own rhythm).
      expect(h.runUntil(() => !maker.client.entities().some((e) => e.id === ids[0]), 500)).toBeGreaterThanOrEqual(0);
      sync.close();
      world.destroy();
      h.relay.close();
    }));
});
