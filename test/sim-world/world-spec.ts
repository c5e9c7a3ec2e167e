// A randomised world for the fault simulator: players that join, walk, throw, edit the layout,
// leave and come back, and a fault schedule, all drawn from one seed. A spec is plain data: printed on failure, shrunk, replayed.
import { SeededRng } from '../../src/index.js';

/** One thing that happens to the world at a time (ms from the start). */
export type WorldEvent =
  /** A player joins; `replicaMode` is how it shows other owners' tiles (default speculative). */
  | { readonly at: number; readonly kind: 'join'; readonly player: number; readonly replicaMode?: 'speculative' | 'extrapolated' }
  | { readonly at: number; readonly kind: 'walk'; readonly player: number; readonly moveX: number; readonly moveZ: number }
  | { readonly at: number; readonly kind: 'throw'; readonly player: number; readonly vx: number; readonly vy: number; readonly vz: number }
  | { readonly at: number; readonly kind: 'leave'; readonly player: number }
  | { readonly at: number; readonly kind: 'crash'; readonly player: number }
  | { readonly at: number; readonly kind: 'freeze'; readonly player: number; readonly ms: number }
  | { readonly at: number; readonly kind: 'partition'; readonly player: number; readonly ms: number }
  | { readonly at: number; readonly kind: 'slow'; readonly player: number; readonly ms: number; readonly everyMs: number }
  | { readonly at: number; readonly kind: 'network'; readonly loss: number; readonly delayMs: number; readonly jitterMs: number; readonly duplicate?: number }
  /** The player places an object (a box) in the layout. */
  | { readonly at: number; readonly kind: 'edit'; readonly player: number; readonly x: number; readonly y: number; readonly z: number }
  /** A player that left or crashed joins again (a new connection, the same document). */
  | { readonly at: number; readonly kind: 'rejoin'; readonly player: number }
  /** The direct path between two players is cut both ways (their relay links stay up). */
  | { readonly at: number; readonly kind: 'peer-partition'; readonly player: number; readonly other: number; readonly ms: number }
  /** The relay is killed (no last save) and restarts from its store; every player reconnects. */
  | { readonly at: number; readonly kind: 'relay-restart' }
  /** A player turns cheater (the first from `player` on that owns a tile): it nudges a body of its tile 5 cm every tick. */
  | { readonly at: number; readonly kind: 'cheat'; readonly player: number }
  /** The relay process stalls: it neither ticks nor reads for `ms` (a long handler, a busy machine). */
  | { readonly at: number; readonly kind: 'relay-stall'; readonly ms: number }
  /** The relay's own simulation falls behind for `ms`, stepping `ticksPerSecond` instead of 60 (its event loop still reads and leases). */
  | { readonly at: number; readonly kind: 'relay-lag'; readonly ms: number; readonly ticksPerSecond: number };

/** A world to run: its seed (network and sampling), length, players and events in time order. */
export interface WorldSpec {
  readonly seed: number;
  readonly durationMs: number;
  readonly players: number;
  readonly events: readonly WorldEvent[];
  /** The relay's scene (`SCENES` of relay/server.ts; default 'audit': two tiles, a ball and boxes). */
  readonly scene?: string;
}

/** Faults the generator mixes in (all of them by default). */
export interface FaultMix {
  /** Players also throw balls (spawned entities that fly across tiles and owners). */
  readonly throws: boolean;
  readonly crashes: boolean;
  readonly freezes: boolean;
  readonly network: boolean;
  /** A player's connection to the relay cut both ways for 0.3–3 s, its simulation running on. */
  readonly partitions?: boolean;
  /** A player that steps only every 50–250 ms for 1–4 s (a slow device). */
  readonly slow?: boolean;
  /** Unreliable messages delivered twice. */
  readonly duplicates?: boolean;
  /** Players place objects in the layout (every acknowledged edit must stay in the document). */
  readonly edits?: boolean;
  /** Players that left or crashed come back. */
  readonly rejoins?: boolean;
  /** Direct paths between two players cut for 0.3–3 s. */
  readonly peerPartitions?: boolean;
  /** In one world of four, the relay is killed and restarts from its store. */
  readonly restarts?: boolean;
  /** In one world of ten, a player turns cheater (only it may be convicted). */
  readonly cheater?: boolean;
  /** Half the players show other owners' tiles by extrapolation (no replica physics: what bots do) instead of speculation. */
  readonly replicaModes?: boolean;
  /** The relay stalls for 0.3–3 s, once or twice a world (a machine loaded like six tabs load this one). */
  readonly relayStalls?: boolean;
  /** The relay's simulation falls behind (10–40 ticks a second for 1–3 s), once or twice a world. */
  readonly relayLag?: boolean;
}

/** The mix seeds were found with before edits, rejoins, peer partitions, restarts and cheaters (they replay exactly as found). */
export const PARTITION_FAULTS: FaultMix = { throws: true, crashes: true, freezes: true, network: true, partitions: true, slow: true, duplicates: true };

/** The mix seeds were found with once replica modes were mixed in (they replay exactly as found). */
export const REPLICA_MODE_FAULTS: FaultMix = { ...PARTITION_FAULTS, edits: true, rejoins: true, peerPartitions: true, restarts: true, cheater: true, replicaModes: true };

/** With a loaded relay: stalls and a simulation running behind. */
export const RELAY_LOAD_FAULTS: FaultMix = { ...REPLICA_MODE_FAULTS, relayStalls: true, relayLag: true };

/** Everything mixed in (what CI runs). */
export const ALL_FAULTS: FaultMix = RELAY_LOAD_FAULTS;

/** The mix the first regression seeds were found with (their worlds replay exactly as found). */
export const FIRST_FAULTS: FaultMix = { throws: false, crashes: true, freezes: true, network: true };

/** Draws a world from `seed`: 2–`maxPlayers` players over `durationMs`, with faults. */
export function generateWorld(seed: number, durationMs: number, maxPlayers = 6, mix: FaultMix = ALL_FAULTS): WorldSpec {
  const rng = new SeededRng(seed * 2654435761);
  const players = 2 + Math.floor(rng.next() * (maxPlayers - 1));
  const events: WorldEvent[] = [];
  const quiet = durationMs - 2500; // the last 2.5 s: faults heal, the world must settle
  for (let p = 0; p < players; p++) {
    const joinAt = Math.floor(rng.next() * Math.min(1500, durationMs / 3));
    events.push({ at: joinAt, kind: 'join', player: p, ...(mix.replicaModes && rng.next() < 0.5 ? { replicaMode: 'extrapolated' as const } : {}) });
    for (let t = joinAt + 600; t < durationMs - 300; t += 300 + Math.floor(rng.next() * 900)) {
      if (mix.throws && rng.next() < 0.25) events.push({ at: t, kind: 'throw', player: p, vx: rng.next() * 16 - 8, vy: 2 + rng.next() * 4, vz: rng.next() * 16 - 8 });
      else events.push({ at: t, kind: 'walk', player: p, moveX: Math.round(rng.next() * 2 - 1), moveZ: Math.round(rng.next() * 2 - 1) });
    }
    const r = rng.next();
    const at = joinAt + 800 + Math.floor(rng.next() * Math.max(1, quiet - joinAt - 800));
    // Drawn only with the newer faults on, so older mixes replay exactly as before.
    if (mix.edits) {
      for (let t = joinAt + 400 + Math.floor(rng.next() * 800); t < quiet; t += 400 + Math.floor(rng.next() * 1200)) {
        // On the audit scene's ground (x 0–32, z 0–16), inside its walls.
        events.push({ at: t, kind: 'edit', player: p, x: 2 + Math.floor(rng.next() * 28), y: 2, z: 2 + Math.floor(rng.next() * 12) });
      }
    }
    if (mix.rejoins && r < 0.3 && rng.next() < 0.6) {
      const back = at + 200 + Math.floor(rng.next() * 1000);
      if (back < quiet && at < quiet) events.push({ at: back, kind: 'rejoin', player: p });
    }
    if (mix.peerPartitions && players > 1 && rng.next() < 0.4) {
      const other = (p + 1 + Math.floor(rng.next() * (players - 1))) % players;
      const cutAt = joinAt + 600 + Math.floor(rng.next() * Math.max(1, quiet - joinAt - 600));
      if (cutAt < quiet) events.push({ at: cutAt, kind: 'peer-partition', player: p, other, ms: 300 + Math.floor(rng.next() * 2700) });
    }
    if (at < quiet) {
      if (r < 0.15) events.push({ at, kind: 'leave', player: p });
      else if (r < 0.3 && mix.crashes) events.push({ at, kind: 'crash', player: p });
      else if (r < 0.55 && mix.freezes) events.push({ at, kind: 'freeze', player: p, ms: 500 + Math.floor(rng.next() * 2500) });
      else if (r < 0.7 && mix.partitions) events.push({ at, kind: 'partition', player: p, ms: 300 + Math.floor(rng.next() * 2700) });
      else if (r < 0.85 && mix.slow) events.push({ at, kind: 'slow', player: p, ms: 1000 + Math.floor(rng.next() * 3000), everyMs: 50 + Math.floor(rng.next() * 200) });
    }
  }
  if (mix.network) {
    for (let t = 500; t < quiet; t += 700 + Math.floor(rng.next() * 1500)) {
      const loss = rng.next() < 0.5 ? 0 : rng.next() * 0.1;
      const delayMs = 2 + Math.floor(rng.next() * 60);
      const jitterMs = Math.floor(rng.next() * 30);
      const duplicate = mix.duplicates && rng.next() < 0.3 ? rng.next() * 0.2 : 0;
      events.push({ at: t, kind: 'network', loss, delayMs, jitterMs, ...(duplicate > 0 ? { duplicate } : {}) });
    }
    events.push({ at: quiet, kind: 'network', loss: 0, delayMs: 10, jitterMs: 5, ...(mix.duplicates ? { duplicate: 0 } : {}) });
  }
  if (mix.restarts && rng.next() < 0.25) events.push({ at: 800 + Math.floor(rng.next() * Math.max(1, quiet - 1300)), kind: 'relay-restart' });
  if (mix.cheater && rng.next() < 0.1) events.push({ at: 1000 + Math.floor(rng.next() * Math.max(1, quiet - 1000)), kind: 'cheat', player: Math.floor(rng.next() * players) });
  // Drawn last, so the worlds of older mixes keep every event they had.
  if (mix.relayStalls) {
    for (let n = rng.next() < 0.5 ? 1 : 2; n > 0; n--) {
      const at = 600 + Math.floor(rng.next() * Math.max(1, quiet - 900));
      const ms = 300 + Math.floor(rng.next() * 2700);
      // Over before the calm, so the world has its 2.5 s to settle.
      if (rng.next() < 0.6 && at + 300 < quiet) events.push({ at, kind: 'relay-stall', ms: Math.min(ms, quiet - at) });
    }
  }
  if (mix.relayLag) {
    for (let n = rng.next() < 0.5 ? 1 : 2; n > 0; n--) {
      const at = 600 + Math.floor(rng.next() * Math.max(1, quiet - 900));
      const ms = 1000 + Math.floor(rng.next() * 2000);
      const ticksPerSecond = 10 + Math.floor(rng.next() * 30);
      if (rng.next() < 0.6 && at + 300 < quiet) events.push({ at, kind: 'relay-lag', ms: Math.min(ms, quiet - at), ticksPerSecond });
    }
  }
  return { seed, durationMs, players, events: events.sort((a, b) => a.at - b.at || a.kind.localeCompare(b.kind)) };
}

/**
 * Smaller versions of a failing spec, most promising first: without one fault, without a
 * player (and its events), shorter. The shrinker keeps the first that still fails.
 */
export function* shrinkCandidates(spec: WorldSpec): Generator<WorldSpec> {
  const FAULTS: readonly WorldEvent['kind'][] = ['crash', 'freeze', 'partition', 'slow', 'network', 'leave', 'rejoin', 'peer-partition', 'relay-restart', 'cheat', 'edit', 'relay-stall', 'relay-lag'];
  const faults = spec.events.map((e, i) => ({ e, i })).filter(({ e }) => FAULTS.includes(e.kind));
  for (const { i } of faults) yield { ...spec, events: spec.events.filter((_, j) => j !== i) };
  for (let p = spec.players - 1; p >= 2 - 1 && spec.players > 2; p--) {
    yield {
      ...spec,
      players: spec.players - 1,
      events: spec.events
        .filter((e) => !('player' in e) || (e.player !== p && !('other' in e && e.other === p)))
        .map((e) => ('player' in e && e.player > p ? { ...e, player: e.player - 1 } : e))
        .map((e) => ('other' in e && e.other > p ? { ...e, other: e.other - 1 } : e)),
    };
  }
  const walks = spec.events.map((e, i) => ({ e, i })).filter(({ e }) => e.kind === 'walk' || e.kind === 'throw');
  if (walks.length > 1) yield { ...spec, events: spec.events.filter((_, j) => j !== walks[walks.length - 1]!.i) };
  if (spec.durationMs > 4000) yield { ...spec, durationMs: spec.durationMs - 1000, events: spec.events.filter((e) => e.at < spec.durationMs - 1000 - 2500 || e.kind === 'walk' || e.kind === 'join') };
}
