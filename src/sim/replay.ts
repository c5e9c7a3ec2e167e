import type { BehaviourRegistry } from '../core/behaviour.js';
import type { WorldConfig } from '../core/world-config.js';
import { entityEvidenceKey, messageEvidenceKey } from './evidence-keys.js';
import type { TickRecord } from './tick-record.js';
import { TileSimulation, type StepResult } from './tile-simulation.js';

/** One tick's commitment: the state hash (two words) and the critical digest. */
export type CommitWords = readonly [number, number, number];

/** The commitment of a tile's current state. */
export function commitOf(sim: TileSimulation): [number, number, number] {
  const [a, b] = sim.hashWords();
  return [a, b, sim.criticalDigest()];
}

/** Feeds one tick's record to a tile and steps it: what the owner did for that tick, again. */
export function replayRecord(sim: TileSimulation, record: TickRecord): StepResult {
  applyBatches(sim, record.inbound);
  sim.receiveMessages(record.messages);
  const result = sim.step(record.inputs);
  applyBatches(sim, record.after);
  return result;
}

function applyBatches(sim: TileSimulation, batches: TickRecord['inbound']): void {
  for (const batch of batches) {
    for (const g of batch.ghosts) sim.receiveGhosts(g.from, g.ghosts);
    sim.receiveRemovals(batch.removals);
    sim.receiveImmigrants(batch.immigrants);
    sim.applyInbound();
  }
}

/** What a window's re-execution found. */
export interface WindowVerdict {
  /** True when every tick's state hashed to what the owner committed. */
  readonly ok: boolean;
  /** First tick whose state differs from the commitment (when not ok). */
  readonly mismatchTick?: number;
  /** Why the window could not be checked or failed, in words. */
  readonly reason?: string;
  /** Ticks stepped. */
  readonly ticks: number;
  /** The re-executed state at the window's end (a verified checkpoint), when ok. */
  readonly endSnapshot?: Uint8Array;
  /**
   * What the re-executed steps sent out of the tile, `produced[i]` for the step that ended at
   * `fromTick + i + 1`: emigrants (`entityEvidenceKey`) and messages to other tiles
   * (`messageEvidenceKey`). Arrivals another tile of the same owner logged must be among them.
   */
  readonly produced?: readonly (readonly string[])[];
}

/**
 * Re-executes a window: restores `snapshot` (state at `fromTick`, whose commitment is
 * `commits[0]`), replays `records[i]` (the step from tick `fromTick + i`) and compares each
 * state with `commits[i + 1]`. Pure: the same arguments give the same verdict everywhere.
 */
export function verifyWindow(
  snapshot: Uint8Array,
  fromTick: number,
  records: readonly TickRecord[],
  commits: readonly CommitWords[],
  config: WorldConfig,
  registry: BehaviourRegistry,
): WindowVerdict {
  let sim: TileSimulation;
  try {
    sim = TileSimulation.restore(snapshot, config, registry);
  } catch (e) {
    return { ok: false, mismatchTick: fromTick, reason: `start state does not restore: ${e instanceof Error ? e.message : String(e)}`, ticks: 0 };
  }
  try {
    if (sim.tick !== fromTick) return { ok: false, mismatchTick: fromTick, reason: `start state is of tick ${sim.tick}, not ${fromTick}`, ticks: 0 };
    sim.discardPending();
    if (!sameCommit(commitOf(sim), commits[0]!)) return { ok: false, mismatchTick: fromTick, reason: 'start state does not match its commitment', ticks: 0 };
    const produced: string[][] = [];
    for (let i = 0; i < records.length; i++) {
      try {
        const r = replayRecord(sim, records[i]!);
        produced.push([...r.emigrants.map((m) => entityEvidenceKey(m.entity)), ...r.outbox.map(messageEvidenceKey)]);
      } catch (e) {
        return { ok: false, mismatchTick: fromTick + i + 1, reason: `logged inputs do not replay: ${e instanceof Error ? e.message : String(e)}`, ticks: i + 1 };
      }
      const want = commits[i + 1]!;
      const got = commitOf(sim);
      if (!sameCommit(got, want)) {
        const what = got[2] !== want[2] ? 'critical state' : 'state';
        return { ok: false, mismatchTick: fromTick + i + 1, reason: `${what} at tick ${fromTick + i + 1} differs from the owner's commitment`, ticks: i + 1 };
      }
    }
    return { ok: true, ticks: records.length, endSnapshot: sim.snapshot(), produced };
  } finally {
    sim.dispose();
  }
}

/** True when two commitments are equal. */
export function sameCommit(a: CommitWords, b: CommitWords): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}
