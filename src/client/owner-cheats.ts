import type { CheatDrills, RunningCheat } from './player-client.js';
import type { EntityId, PropValue } from '../core/entity.js';
import type { Vec3 } from '../core/vec.js';
import type { TileWorld } from '../sim/tile-world.js';

export type { RunningCheat } from './player-client.js';

/**
 * Cheat drills for the tiles this player owns — what a modified browser could do — so that
 * people and tests can watch the relay's audit catch them. Each acts between a step and its
 * commitment, outside the simulation's rules (`TileSimulation.tamper`); nothing here is sent
 * to anyone. Only owned tiles can be touched: returns false for anything else.
 */
export class OwnerCheats implements CheatDrills {
  private running: RunningCheat | undefined;
  private oneShots: ((world: TileWorld) => void)[] = [];

  /** The cheat running every tick, if any. */
  get active(): RunningCheat | undefined {
    return this.running;
  }

  /** Moves an entity of an owned tile once, at the next tick. */
  teleport(entity: EntityId, position: Vec3): void {
    this.oneShots.push((w) => simOf(w, entity)?.tamper(entity, { position, linvel: { x: 0, y: 0, z: 0 } }));
  }

  /** Overwrites props once (a critical one, e.g. a chest's `gold`, is what the audit never misses). */
  setProp(entity: EntityId, props: Readonly<Record<string, PropValue>>): void {
    this.oneShots.push((w) => simOf(w, entity)?.tamper(entity, { props }));
  }

  /** Keeps an entity at `position` every tick (the "teleport" cheat left on). */
  hold(entity: EntityId, position: Vec3): void {
    this.running = { kind: 'hold', entity, position };
  }

  /** Shifts an entity by `metres` along x every tick: a small, persistent lie. */
  nudge(entity: EntityId, metres = 0.001): void {
    this.running = { kind: 'nudge', entity, metres };
  }

  /** Makes an entity (one's own avatar) move horizontally at `metresPerSecond` whenever it moves at all. */
  speed(entity: EntityId, metresPerSecond: number): void {
    this.running = { kind: 'speed', entity, metresPerSecond };
  }

  /** Stops the running cheat. */
  stop(): void {
    this.running = undefined;
  }

  /** Applies due cheats to the owner's world (called by the client after every step). */
  apply(world: TileWorld): void {
    const shots = this.oneShots;
    this.oneShots = [];
    for (const s of shots) tryApply(() => s(world));
    const c = this.running;
    if (!c) return;
    const sim = simOf(world, c.entity);
    if (!sim) return;
    if (c.kind === 'hold') tryApply(() => sim.tamper(c.entity, { position: c.position, linvel: { x: 0, y: 0, z: 0 } }));
    else if (c.kind === 'nudge') {
      const d = sim.describe(c.entity);
      const p = d.state.position;
      tryApply(() => sim.tamper(c.entity, { position: { x: p.x + c.metres, y: p.y, z: p.z } }));
    } else {
      const v = sim.describe(c.entity).state.linvel;
      const h = Math.sqrt(v.x * v.x + v.z * v.z);
      if (h > 0.1) tryApply(() => sim.tamper(c.entity, { linvel: { x: (v.x / h) * c.metresPerSecond, y: v.y, z: (v.z / h) * c.metresPerSecond } }));
    }
  }
}

function simOf(world: TileWorld, entity: EntityId): ReturnType<TileWorld['tileAt']> {
  const tile = world.tileOfEntity(entity);
  return tile ? world.tileAt(tile) : undefined;
}

/** A cheat on an entity that has since left the owned tiles is simply skipped. */
function tryApply(f: () => void): void {
  try {
    f();
  } catch {
    // not owned here any more
  }
}
