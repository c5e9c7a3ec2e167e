// Several tiles taken over together (a dead node's), caught up to now together: stepped in one
// partial world from their checkpoints' ticks, so an entity crossing between two of them during
// the catch-up arrives in the other (one by one, it was bound for a tile not simulated yet: lost).
import { TileSimulation, TileWorld, tileKey, type BehaviourRegistry, type EntityDesc, type EntityMessage, type TileId, type WorldConfig } from '../../src/index.js';

/** One tile's state to catch up. */
export interface TileToCatchUp {
  /** The tile. */
  readonly tile: TileId;
  /** Its state (`TileSimulation.snapshot()`), at the tick it carries. */
  readonly snapshot: Uint8Array;
}

/** Where entities and mail leaving the caught-up tiles for tiles outside them go, as they leave. */
export interface CatchUpOutbound {
  /** An entity moved into `to`, a tile not among them, at `tick`. */
  migrant(to: TileId, entity: EntityDesc, tick: number): void;
  /** A message to an entity not in them. */
  mail(message: EntityMessage): void;
}

/**
 * Steps `tiles` together, each from its own tick (a tile joins when the others reach it), up to
 * `toTick` (or the newest tile's tick, if later), and answers each tile's snapshot there, by tile
 * key. Entities crossing between them move as in one world; those leaving for other tiles go to
 * `outbound`. The snapshots all stand at the answered `tick`.
 */
export function catchUpTogether(tiles: readonly TileToCatchUp[], toTick: number, config: WorldConfig, registry: BehaviourRegistry, outbound: CatchUpOutbound): { tick: number; snapshots: Map<string, Uint8Array> } {
  const sims = tiles.map((t) => TileSimulation.restore(t.snapshot, config, registry)).sort((a, b) => a.tick - b.tick);
  const snapshots = new Map<string, Uint8Array>();
  if (sims.length === 0) return { tick: toTick, snapshots };
  const target = Math.max(toTick, sims[sims.length - 1]!.tick);
  const world = TileWorld.partial(config, registry, sims[0]!.tick);
  // Entities bound for one of the tiles whose state is of a later tick (not stepped yet): they
  // join it when it does, unless a state holds them already. Sent out, they would reach a tile
  // not held yet, and the caller's adopting it then would drop them (fault simulator, demo world
  // 407: a whole stored tile was lost at a relay restart that way).
  const waiting = new Map<string, EntityDesc[]>();
  for (const sim of sims) waiting.set(tileKey(sim.tile), []);
  let next = 0;
  try {
    for (;;) {
      while (next < sims.length && sims[next]!.tick === world.tick) {
        const sim = sims[next++]!;
        // Not if a state holds it already (this one, or another it moved on to): not doubled.
        const arrivals = waiting.get(tileKey(sim.tile))!.filter((e) => !sims.some((other) => other.has(e.id)));
        waiting.delete(tileKey(sim.tile));
        if (arrivals.length > 0) {
          sim.receiveImmigrants(arrivals);
          sim.applyInbound();
        }
        world.adoptTile(sim);
      }
      if (world.tick >= target) break;
      const report = world.step();
      for (const m of report.outboundMigrants) {
        const later = waiting.get(tileKey(m.to));
        if (later) later.push(m.entity);
        else outbound.migrant(m.to, m.entity, report.tick + 1);
      }
      for (const m of report.outboundMail) outbound.mail(m.message);
    }
    for (const sim of world.tileList()) snapshots.set(tileKey(sim.tile), sim.snapshot());
    return { tick: world.tick, snapshots };
  } finally {
    world.dispose();
    // Any not adopted (none: every tick from the first to the target is visited) are freed too.
    for (const sim of sims.slice(next)) sim.dispose();
  }
}
