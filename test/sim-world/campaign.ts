// The fault simulator's campaign: many seeded worlds, every fault mixed in, invariants checked
// every 50 ms; a failing world is shrunk to a small spec that still fails, printed for replay.
import { generateWorld, shrinkCandidates, type WorldSpec } from './world-spec.js';
import { runWorld, type WorldResult } from './run-world.js';

/** World length in CI: 4.5 s of virtual time (up to 2 s of faults, then 2.5 s to heal and settle). */
export const CI_WORLD_MS = 4500;
/** Most players per world in CI. */
export const CI_MAX_PLAYERS = 4;
/** Worlds per CI run (`SIM_WORLDS` overrides it), split over two test files. */
export const CI_SIM_WORLDS = 1000;

/** What a campaign found. */
export interface CampaignSummary {
  readonly worlds: number;
  readonly violations: number;
  readonly falseConvictions: number;
  readonly entitiesLost: number;
  readonly handoffs: number;
  readonly takeovers: number;
  readonly liveness: number;
  /** Worlds with a cheater, and how many of those convicted it before the world ended. */
  readonly cheaterWorlds: number;
  readonly cheatersCaught: number;
  /** Worlds whose relay was killed and restarted from its store. */
  readonly restarts: number;
  /** Layout edits made, and acknowledged by the relay (every acknowledged one is checked to stay). */
  readonly edits: number;
  readonly editsAcknowledged: number;
  /** The most the relay held of each kind of thing in any world (`RelayCore.retained()`). */
  readonly relayRetainedMax: Readonly<Record<string, number>>;
  readonly seconds: number;
  /** Each failing world: its seed, the violation, and the shrunk spec that still fails. */
  readonly failures: readonly { seed: number; violation: NonNullable<WorldResult['violation']>; shrunk: WorldSpec }[];
}

/** Shrinks a failing spec: keeps taking the first smaller candidate that still fails (at most `budget` runs). */
export function shrink(spec: WorldSpec, budget = 60): WorldSpec {
  let best = spec;
  let runs = 0;
  let progress = true;
  while (progress && runs < budget) {
    progress = false;
    for (const c of shrinkCandidates(best)) {
      if (++runs > budget) break;
      if (runWorld(c).violation) {
        best = c;
        progress = true;
        break;
      }
    }
  }
  return best;
}

/** Runs worlds for `seeds`; `onWorld` sees each result (progress). */
export function runSimCampaign(seeds: readonly number[], opts: { durationMs?: number; maxPlayers?: number; scene?: string; onWorld?: (r: WorldResult, done: number) => void } = {}): CampaignSummary {
  const t0 = performance.now();
  let violations = 0;
  let falseConvictions = 0;
  let entitiesLost = 0;
  let handoffs = 0;
  let takeovers = 0;
  let liveness = 0;
  let cheaterWorlds = 0;
  let cheatersCaught = 0;
  let restarts = 0;
  let edits = 0;
  let editsAcknowledged = 0;
  const relayRetainedMax: Record<string, number> = {};
  const failures: { seed: number; violation: NonNullable<WorldResult['violation']>; shrunk: WorldSpec }[] = [];
  seeds.forEach((seed, i) => {
    const spec = generateWorld(seed, opts.durationMs ?? CI_WORLD_MS, opts.maxPlayers ?? CI_MAX_PLAYERS);
    const r = runWorld(opts.scene ? { ...spec, scene: opts.scene } : spec);
    handoffs += r.handoffs;
    takeovers += r.takeovers;
    liveness += r.incidents - r.convictions - r.cheaterConvictions;
    falseConvictions += r.convictions;
    if (r.spec.events.some((e) => e.kind === 'cheat')) {
      cheaterWorlds++;
      if (r.cheaterConvictions > 0) cheatersCaught++;
    }
    if (r.spec.events.some((e) => e.kind === 'relay-restart')) restarts++;
    edits += r.edits;
    editsAcknowledged += r.editsAcknowledged;
    for (const [k, n] of Object.entries(r.relayRetainedMax)) relayRetainedMax[k] = Math.max(relayRetainedMax[k] ?? 0, n);
    entitiesLost += r.entitiesLost;
    if (r.violation) {
      violations++;
      if (failures.length < 5) failures.push({ seed, violation: r.violation, shrunk: shrink(r.spec) });
    }
    opts.onWorld?.(r, i + 1);
  });
  return { worlds: seeds.length, violations, falseConvictions, entitiesLost, handoffs, takeovers, liveness, cheaterWorlds, cheatersCaught, restarts, edits, editsAcknowledged, relayRetainedMax, seconds: (performance.now() - t0) / 1000, failures };
}

/** How a failure reads: the invariant, where, and how to replay the shrunk case. */
export function describeFailure(f: CampaignSummary['failures'][number]): string {
  return `seed ${f.seed}: ${f.violation.invariant} at ${f.violation.atMs} ms (tick ${f.violation.tick}): ${f.violation.detail}\n  shrunk to ${f.shrunk.players} players, ${f.shrunk.events.length} events, ${f.shrunk.durationMs} ms — replay: SIM_SPEC='${JSON.stringify(f.shrunk)}' npx vitest run test/sim-world/replay.test.ts`;
}
