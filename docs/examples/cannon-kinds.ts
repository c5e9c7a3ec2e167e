import { BehaviourRegistry, defineKind } from '../../src/index.js';

export const Switch = defineKind({
  name: 'switch',
  body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.5, y: 0.1, z: 0.5 } } },
  props: {
    target: { type: 'entity', default: 0 },     // the cannon this switch fires
    cooldown: { type: 'number', default: 60 },  // ticks
    readyAt: { type: 'number', default: 0 },
    presses: { type: 'number', default: 0 },
  },
  onContact(ctx, self, other) {                 // "Touched"
    if (ctx.kindOf(other) === 'ground' || ctx.tick < (ctx.prop(self, 'readyAt') as number)) return;
    ctx.setProp(self, 'readyAt', ctx.tick + (ctx.prop(self, 'cooldown') as number));
    ctx.setProp(self, 'presses', (ctx.prop(self, 'presses') as number) + 1);
    ctx.send(ctx.prop(self, 'target') as number, 'fire');   // delivered next tick, wherever the cannon is
  },
});

export const Cannon = defineKind({
  name: 'cannon',
  body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.6, y: 0.4, z: 0.4 } } },
  props: {
    dirX: { type: 'number', default: 0.7071 }, dirY: { type: 'number', default: 0.7071 },
    dirZ: { type: 'number', default: 0 }, speed: { type: 'number', default: 9 },
    shots: { type: 'number', default: 0 },
  },
  onMessage(ctx, self, message) {
    if (message.topic !== 'fire') return;
    const p = ctx.position(self);
    const d = { x: ctx.prop(self, 'dirX') as number, y: ctx.prop(self, 'dirY') as number, z: ctx.prop(self, 'dirZ') as number };
    const ball = ctx.spawn({ kind: 'cannonball', position: { x: p.x + d.x * 1.1, y: p.y + d.y * 1.1, z: p.z + d.z * 1.1 }, props: { bornTick: ctx.tick } });
    const j = ctx.mass(ball) * (ctx.prop(self, 'speed') as number);
    ctx.applyImpulse(ball, { x: d.x * j, y: d.y * j, z: d.z * j });   // physics takes it from here
    ctx.setProp(self, 'shots', (ctx.prop(self, 'shots') as number) + 1);
  },
});

export const kinds = new BehaviourRegistry().define(Switch, Cannon /*, Cannonball, Ground, Avatar … */);
