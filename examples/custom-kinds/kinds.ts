// A world's own kinds, in a module of their own: the relay loads it (`tessera relay --kinds
// examples/custom-kinds/kinds.ts`) and every player's worker imports it (`joinWorld({ kinds })`),
// because behaviours are functions and cannot be posted to a worker.
import { defineKind, standardKinds, type BehaviourRegistry } from '../../src/index.js';

/** A ball that hops straight up every `every` ticks (deterministic: the tick decides, not a clock). */
export const Hopper = defineKind({
  name: 'hopper',
  body: { type: 'dynamic', shape: { type: 'ball', radius: 0.3 }, friction: 0.6, restitution: 0.2 },
  props: { every: { type: 'number', default: 90 }, hops: { type: 'number', default: 0 } },
  onStep(ctx, self) {
    if (ctx.tick % (ctx.prop(self, 'every') as number) !== 0) return;
    ctx.applyImpulse(self, { x: 0, y: 2.5 * ctx.mass(self), z: 0 });
    ctx.setProp(self, 'hops', (ctx.prop(self, 'hops') as number) + 1);
  },
});

/** The world's kinds: the standard ones plus the hopper. */
export default function kinds(): BehaviourRegistry {
  return standardKinds().define(Hopper);
}
