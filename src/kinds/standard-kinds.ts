import { BehaviourRegistry, defineKind, type KindDef, type TileContext } from '../core/behaviour.js';
import type { BodyDesc } from '../core/entity.js';
import { alight, platformOf, ride, RIDER_PROPS } from './riding.js';

// Simulation code uses only + - * / and Math.sqrt/floor/min/max/abs: these round the same in
// every engine. Math.sin/cos/hypot/pow do not, so they stay out of behaviours.

/** Static ground slab body (half extents in metres). */
export function groundBody(hx: number, hy: number, hz: number): BodyDesc {
  return { type: 'fixed', shape: { type: 'box', halfExtents: { x: hx, y: hy, z: hz } }, friction: 0.8 };
}

/** Terrain and walls: fixed boxes with no behaviour. */
export const Ground = defineKind({ name: 'ground' });

/** A dynamic box with no behaviour. */
export const Box = defineKind({
  name: 'box',
  body: { type: 'dynamic', shape: { type: 'box', halfExtents: { x: 0.25, y: 0.25, z: 0.25 } }, friction: 0.6 },
});

/** A dynamic ball with no behaviour. */
export const Ball = defineKind({
  name: 'ball',
  body: { type: 'dynamic', shape: { type: 'ball', radius: 0.25 }, friction: 0.6, restitution: 0.3, angularDamping: 0.2 },
});

/**
 * A walking input axis as the avatar keeps it: clamped to -1..1 and rounded to 1/256 (finer than a
 * gamepad stick reports), so a delta carries it in 3 bytes instead of a float's 9. Not a number: 0.
 */
export function walkAxis(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 0;
  return Math.round(Math.max(-1, Math.min(1, v)) * 256) / 256 + 0; // + 0: never -0
}

/** Default avatar body: an upright capsule 1.6 m tall. */
export const AVATAR_BODY: BodyDesc = { type: 'dynamic', shape: { type: 'capsule', halfHeight: 0.5, radius: 0.3 }, lockRotations: true, friction: 0.2 };

/** How far below the world's spawn point a falling avatar goes before it comes back there, metres. */
export const AVATAR_RESPAWN_DROP_M = 30;

/**
 * A player's avatar. Input `{ moveX, moveZ }` (each -1..1, rounded to 1/256 by `walkAxis`, held until changed) sets the walking
 * direction; `{ jump: true }` jumps once when grounded. On a kinematic body (the train, a lift:
 * `TileContext.support`) it walks relative to it and is carried with it (`ride`). Movement is by impulses toward the
 * target velocity, so pushes from elsewhere still add up. An avatar that falls out of the world (off its edge) comes back
 * at the world's spawn point, at rest, once it is `AVATAR_RESPAWN_DROP_M` below it (or 1 m above `floorY`, whichever is higher).
 */
export const Avatar = defineKind({
  name: 'avatar',
  body: AVATAR_BODY,
  props: {
    name: { type: 'string', default: '' },
    moveX: { type: 'number', default: 0 },
    moveZ: { type: 'number', default: 0 },
    jump: { type: 'boolean', default: false },
    speed: { type: 'number', default: 5 },
    ...RIDER_PROPS,
  },
  onInput(ctx, self, input) {
    if ('moveX' in input) ctx.setProp(self, 'moveX', walkAxis(input['moveX']));
    if ('moveZ' in input) ctx.setProp(self, 'moveZ', walkAxis(input['moveZ']));
    if (input['jump'] === true) ctx.setProp(self, 'jump', true);
    if (input['throw'] === true) throwBall(ctx, self, input);
  },
  onStep(ctx, self) {
    // Fallen off the world: back at the spawn point before the floor removes it (a player who is
    // still here keeps an avatar). Every node runs this, so owner, replicas and the audit agree.
    if (ctx.position(self).y < Math.max(ctx.floorY + 1, ctx.spawnPoint.y - AVATAR_RESPAWN_DROP_M)) {
      ctx.teleport(self, ctx.spawnPoint);
      return;
    }
    const mx = ctx.prop(self, 'moveX') as number;
    const mz = ctx.prop(self, 'moveZ') as number;
    const speed = ctx.prop(self, 'speed') as number;
    // Standing on a moving platform (the train): walking is relative to it, and it carries us.
    const platform = platformOf(ctx, self);
    if (platform === undefined) {
      alight(ctx, self);
      walk(ctx, self, mx, mz, speed);
    } else ride(ctx, self, platform, mx, mz, speed);
    if (ctx.prop(self, 'jump') === true) {
      ctx.setProp(self, 'jump', false);
      if (Math.abs(ctx.linvel(self).y) < 0.05) ctx.applyImpulse(self, { x: 0, y: ctx.mass(self) * 5, z: 0 });
    }
  },
});

/** Fastest throw, m/s; lag compensation covers at most this many ticks (250 ms at 60 Hz). */
const MAX_THROW_SPEED = 25;
const MAX_THROW_LAG_TICKS = 15;

/**
 * `{ throw: true, vx, vy, vz, atTick }`: a ball leaves the avatar's hand with that velocity
 * (capped at 25 m/s). The owner may get the input a few ticks after `atTick`, the tick the
 * player threw at: the ball is placed where it would be by now on its ballistic arc (at most
 * 250 ms of lag made up), so what the player aimed at is what it flies at.
 */
function throwBall(ctx: TileContext, self: number, input: Readonly<Record<string, unknown>>): void {
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  let v = { x: num(input['vx']), y: num(input['vy']), z: num(input['vz']) };
  const speed = Math.sqrt(v.x * v.x + v.y * v.y + v.z * v.z);
  if (speed > MAX_THROW_SPEED) v = { x: (v.x / speed) * MAX_THROW_SPEED, y: (v.y / speed) * MAX_THROW_SPEED, z: (v.z / speed) * MAX_THROW_SPEED };
  const at = num(input['atTick']);
  const lag = Math.max(0, Math.min(MAX_THROW_LAG_TICKS, ctx.tick - at));
  const t = lag * ctx.dt;
  const g = ctx.gravity;
  const p = ctx.position(self);
  const h = Math.sqrt(v.x * v.x + v.z * v.z) || 1;
  // From the hand: 0.7 m ahead (clear of the capsule), 0.8 m up.
  const from = { x: p.x + (v.x / h) * 0.7, y: p.y + 0.8, z: p.z + (v.z / h) * 0.7 };
  ctx.spawn({
    kind: 'ball',
    position: { x: from.x + v.x * t + 0.5 * g.x * t * t, y: from.y + v.y * t + 0.5 * g.y * t * t, z: from.z + v.z * t + 0.5 * g.z * t * t },
    linvel: { x: v.x + g.x * t, y: v.y + g.y * t, z: v.z + g.z * t },
  });
}

/**
 * A train on a circular track: a kinematic body turning about (`cx`, `cz`) by a fixed angle
 * per tick, whose cosine and sine (`c`, `s`, and `ch`, `sh` of the half angle for its
 * orientation) are props — plain multiplications keep it deterministic everywhere. It pushes
 * whatever is in its way; nothing pushes it.
 */
export const Train = defineKind({
  name: 'train',
  body: { type: 'kinematic', shape: { type: 'box', halfExtents: { x: 3, y: 1.25, z: 1.25 } }, friction: 0.9 },
  props: {
    cx: { type: 'number', default: 0 },
    cz: { type: 'number', default: 0 },
    c: { type: 'number', default: 1 },
    s: { type: 'number', default: 0 },
    ch: { type: 'number', default: 1 },
    sh: { type: 'number', default: 0 },
  },
  onStep(ctx, self) {
    const num = (k: string): number => ctx.prop(self, k) as number;
    const cx = num('cx');
    const cz = num('cz');
    const c = num('c');
    const s = num('s');
    const ch = num('ch');
    const sh = num('sh');
    const p = ctx.position(self);
    const dx = p.x - cx;
    const dz = p.z - cz;
    // Rotating (dx, dz) by +a about y: x' = c·dx + s·dz, z' = −s·dx + c·dz; the body turns with it.
    const q = ctx.rotation(self);
    const r = { x: ch * q.x + sh * q.z, y: ch * q.y + sh * q.w, z: ch * q.z - sh * q.x, w: ch * q.w - sh * q.y };
    ctx.moveKinematic(self, { x: cx + c * dx + s * dz, y: p.y, z: cz - s * dx + c * dz }, r);
  },
});

/** Pushes an upright body toward a horizontal target velocity (direction clamped to length 1) with one impulse. */
export function walk(ctx: Parameters<NonNullable<KindDef['onStep']>>[0], self: number, mx: number, mz: number, speed: number): void {
  const len = Math.sqrt(mx * mx + mz * mz);
  const k = len > 1 ? speed / len : speed;
  const v = ctx.linvel(self);
  const dx = mx * k - v.x;
  const dz = mz * k - v.z;
  if (dx * dx + dz * dz < 1e-6) return; // already there: do not wake a sleeping body
  const m = ctx.mass(self) * 0.5; // close half the gap each tick: responsive, and smooth
  ctx.applyImpulse(self, { x: dx * m, y: 0, z: dz * m });
}

/**
 * An avatar driven by its own seeded randomness instead of a player: picks a new direction every
 * `turnEvery` ticks. Load tests and benchmarks fill tiles with these.
 */
export const Wanderer = defineKind({
  name: 'wanderer',
  body: AVATAR_BODY,
  props: {
    moveX: { type: 'number', default: 0 },
    moveZ: { type: 'number', default: 0 },
    speed: { type: 'number', default: 3 },
    turnEvery: { type: 'number', default: 120 },
  },
  onStep(ctx, self) {
    if ((ctx.tick + self) % (ctx.prop(self, 'turnEvery') as number) === 0) {
      ctx.setProp(self, 'moveX', walkAxis(ctx.rng.range(-1, 1)));
      ctx.setProp(self, 'moveZ', walkAxis(ctx.rng.range(-1, 1)));
    }
    walk(ctx, self, ctx.prop(self, 'moveX') as number, ctx.prop(self, 'moveZ') as number, ctx.prop(self, 'speed') as number);
  },
});

/**
 * The paper's Figure 1(c) switch: when something starts touching it, it tells the entity in its
 * `target` prop to `fire` (next tick), then rests for `cooldown` ticks.
 */
export const Switch = defineKind({
  name: 'switch',
  body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.5, y: 0.1, z: 0.5 } } },
  props: {
    target: { type: 'entity', default: 0 },
    cooldown: { type: 'number', default: 60 },
    readyAt: { type: 'number', default: 0 },
    presses: { type: 'number', default: 0 },
  },
  onContact(ctx, self, other) {
    if (ctx.kindOf(other) === 'ground' || ctx.tick < (ctx.prop(self, 'readyAt') as number)) return;
    ctx.setProp(self, 'readyAt', ctx.tick + (ctx.prop(self, 'cooldown') as number));
    ctx.setProp(self, 'presses', (ctx.prop(self, 'presses') as number) + 1);
    ctx.send(ctx.prop(self, 'target') as number, 'fire');
  },
});

/** The cannon: on a `fire` message it spawns a cannonball at its muzzle and kicks it along (dirX, dirY, dirZ). */
export const Cannon = defineKind({
  name: 'cannon',
  body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.6, y: 0.4, z: 0.4 } } },
  props: {
    dirX: { type: 'number', default: 0.7071 },
    dirY: { type: 'number', default: 0.7071 },
    dirZ: { type: 'number', default: 0 },
    speed: { type: 'number', default: 9 },
    shots: { type: 'number', default: 0 },
  },
  onMessage(ctx, self, message) {
    if (message.topic !== 'fire') return;
    const p = ctx.position(self);
    const d = { x: ctx.prop(self, 'dirX') as number, y: ctx.prop(self, 'dirY') as number, z: ctx.prop(self, 'dirZ') as number };
    const ball = ctx.spawn({ kind: 'cannonball', position: { x: p.x + d.x * 1.1, y: p.y + d.y * 1.1, z: p.z + d.z * 1.1 }, props: { bornTick: ctx.tick } });
    const j = ctx.mass(ball) * (ctx.prop(self, 'speed') as number);
    ctx.applyImpulse(ball, { x: d.x * j, y: d.y * j, z: d.z * j });
    ctx.setProp(self, 'shots', (ctx.prop(self, 'shots') as number) + 1);
  },
});

/** A cannonball: a heavy ball that despawns `ttl` ticks after it was fired. */
export const Cannonball = defineKind({
  name: 'cannonball',
  body: { type: 'dynamic', shape: { type: 'ball', radius: 0.2 }, density: 4, restitution: 0.2, friction: 0.5, angularDamping: 0.5 },
  props: {
    bornTick: { type: 'number', default: 0 },
    ttl: { type: 'number', default: 900 },
  },
  onStep(ctx, self) {
    if (ctx.tick - (ctx.prop(self, 'bornTick') as number) >= (ctx.prop(self, 'ttl') as number)) ctx.despawn(self);
  },
});

/**
 * A treasure chest: every time an avatar starts touching it, its `gold` grows by one. `gold` is
 * a critical prop — the relay audits every window that changes it — so a chest is how the
 * demo shows a forged critical write (`gold = 1_000_000`) being caught.
 */
export const Chest = defineKind({
  name: 'chest',
  body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 0.5, y: 0.35, z: 0.35 } }, friction: 0.8 },
  props: {
    gold: { type: 'number', default: 0, critical: true },
  },
  onContact(ctx, self, other) {
    if (ctx.kindOf(other) === 'avatar') ctx.setProp(self, 'gold', (ctx.prop(self, 'gold') as number) + 1);
  },
});

/** A ramp: a fixed, tilted slab (3 m × 4 m) creators place to roll balls and walk up. */
export const Ramp = defineKind({
  name: 'ramp',
  body: { type: 'fixed', shape: { type: 'box', halfExtents: { x: 1.5, y: 0.1, z: 2 } }, friction: 0.7 },
});

/** Every built-in kind, in a fresh registry; add your own with `.define(...)`. */
export function standardKinds(): BehaviourRegistry {
  return new BehaviourRegistry().define(Ground, Box, Ball, Avatar, Wanderer, Switch, Cannon, Cannonball, Chest, Train, Ramp);
}
