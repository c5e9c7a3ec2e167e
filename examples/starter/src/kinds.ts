// The world's own kinds. Behaviours are functions, which cannot be posted to a Web Worker, so
// this module is loaded by URL: the relay loads it (`tessera-engine relay --kinds src/kinds.ts`)
// and every player's simulation imports it (`joinWorld({ kinds })` in main.ts). Both must run
// the same code: the relay audits what players simulate, step by step.
//
// Only erasable TypeScript here (no enums, no parameter properties): Node can strip the types
// and load this file as it is.
import { Avatar, BehaviourRegistry, defineKind, standardKinds } from 'tessera-engine';

/** A cube that hops straight up every `every` ticks (the tick decides, not a clock: deterministic). */
export const Hopper = defineKind({
  name: 'hopper',
  body: { type: 'dynamic', shape: { type: 'box', halfExtents: { x: 0.3, y: 0.3, z: 0.3 } }, friction: 0.6, restitution: 0.1 },
  props: { every: { type: 'number', default: 60 }, hops: { type: 'number', default: 0 } },
  onStep(ctx, self) {
    if ((ctx.tick + self) % (ctx.prop(self, 'every') as number) !== 0) return;
    ctx.applyImpulse(self, { x: 0, y: 3 * ctx.mass(self), z: 0 });
    ctx.setProp(self, 'hops', (ctx.prop(self, 'hops') as number) + 1);
  },
});

/** Ticks between two drops of one player (half a second at 60 Hz). */
const DROP_EVERY_TICKS = 30;

/**
 * The standard avatar (walk, jump, throw) plus one input: `{ drop: true, dirX, dirZ }` puts a
 * hopper on the ground 1.2 m from the avatar in that direction (+z without one).
 */
export const StarterAvatar = defineKind({
  ...Avatar,
  props: { ...Avatar.props, nextDrop: { type: 'number', default: 0 } },
  onInput(ctx, self, input) {
    Avatar.onInput?.(ctx, self, input);
    if (input['drop'] !== true || ctx.tick < (ctx.prop(self, 'nextDrop') as number)) return;
    ctx.setProp(self, 'nextDrop', ctx.tick + DROP_EVERY_TICKS);
    const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    let dx = num(input['dirX']);
    let dz = num(input['dirZ']);
    const len = Math.sqrt(dx * dx + dz * dz);
    if (len === 0) [dx, dz] = [0, 1];
    else [dx, dz] = [dx / len, dz / len];
    const p = ctx.position(self);
    ctx.spawn({ kind: 'hopper', position: { x: p.x + dx * 1.2, y: p.y + 0.5, z: p.z + dz * 1.2 } });
  },
});

/** The world's kinds: the standard ones (the relay's scene is made of them), the avatar above instead of theirs, and the hopper. */
export default function kinds(): BehaviourRegistry {
  const standard = standardKinds();
  const others = standard.names().filter((name) => name !== 'avatar').map((name) => standard.get(name).def);
  return new BehaviourRegistry().define(...others, StarterAvatar, Hopper);
}
