// Issue 14's scripted-path scenario, shared by the test and the benchmark: Alice throws at a
// runner whose script turns it every 0.5 s by the tile's seeded RNG; Bob owns the tile.
import { SCRIPTED_PATH_SCENE, scriptedPathScene, SeededRng, tileKey, type ReplicaMode, type Vec3 } from '../../src/index.js';
import { Harness } from '../harness/harness.js';
import type { TrainDelays } from './train-scenario.js';

const FRAME = 1000 / 60;
const G = 9.81;
const FLIGHT_S = 0.3;
/** A hit: the ball's centre comes within the runner's capsule radius + the ball's radius (+ 5 cm) of the capsule's axis. */
const HIT_DISTANCE = 0.3 + 0.25 + 0.05;

/** What one throw at the runner came to. */
export interface ScriptedOutcome {
  /** The ball touched the runner in Bob's (the owner's) simulation. */
  readonly hit: boolean;
  /** How far the runner Alice saw was from where Bob's simulation had it at the moment she threw, m. */
  readonly seenError: number;
}

/** Distance from `p` to the runner's capsule axis (its centre ± 0.5 m in y), m. */
function toAxis(p: Vec3, c: Vec3): number {
  const dy = Math.max(0, Math.abs(p.y - c.y) - 0.5);
  return Math.sqrt((p.x - c.x) ** 2 + dy * dy + (p.z - c.z) ** 2);
}

/** One throw: Bob owns the tile, Alice watches with her replicas in `mode` and throws at where she sees the runner going. */
export function scriptedPathThrow(seed: number, mode: ReplicaMode, delays: TrainDelays): ScriptedOutcome {
  const { runner, spawn } = SCRIPTED_PATH_SCENE;
  const h = new Harness({ seed, scene: scriptedPathScene(), conditions: { delayMs: 0, jitterMs: 6, loss: 0 }, relay: { spawn } });
  const bob = h.addClient('bob', 'auto', { accessDelayMs: delays.bobMs }).client;
  if (h.runUntil(() => bob.stats().ownedTiles.some((t) => tileKey(t) === '0,0,0'), 8000) < 0) throw new Error('Bob never got the tile');
  // Bob steps aside, out of the line of throw.
  bob.send({ moveX: 1, moveZ: 0 });
  h.run(1200);
  bob.send({ moveX: 0, moveZ: 0 });
  const alice = h.addClient('alice', 'auto', { accessDelayMs: delays.aliceMs, replicaMode: mode }).client;
  const rng = new SeededRng(seed * 17 + 3);
  const seen: { t: number; p: Vec3 }[] = [];
  const watchUntil = h.scheduler.now() + 3000 + rng.next() * 2000;
  while (h.scheduler.now() < watchUntil) {
    h.run(FRAME, FRAME);
    const p = alice.entities().find((e) => e.id === runner)?.position;
    if (p) seen.push({ t: h.scheduler.now(), p });
  }
  // Alice aims where the runner will be after the flight, going on as she sees it go (its velocity over her last 100 ms of frames).
  const now = seen[seen.length - 1]!;
  const before = seen[seen.length - 7]!;
  const dt = (now.t - before.t) / 1000;
  const target = { x: now.p.x + ((now.p.x - before.p.x) / dt) * FLIGHT_S, y: now.p.y, z: now.p.z + ((now.p.z - before.p.z) / dt) * FLIGHT_S };
  const me = alice.entities().find((e) => e.id === alice.avatar)!.position;
  const dx = target.x - me.x;
  const dz = target.z - me.z;
  const d = Math.sqrt(dx * dx + dz * dz);
  const hand = { x: me.x + (dx / d) * 0.7, y: me.y + 0.8, z: me.z + (dz / d) * 0.7 };
  const v = { vx: (target.x - hand.x) / FLIGHT_S, vy: (target.y - hand.y) / FLIGHT_S + 0.5 * G * FLIGHT_S, vz: (target.z - hand.z) / FLIGHT_S };
  const truth = bob.entities().find((e) => e.id === runner)!.position;
  const seenError = Math.sqrt((now.p.x - truth.x) ** 2 + (now.p.z - truth.z) ** 2);
  alice.send({ throw: true, ...v, atTick: alice.currentTick() });

  // Bob's simulation decides.
  let hit = false;
  const end = h.scheduler.now() + 1200;
  while (h.scheduler.now() < end && !hit) {
    h.run(FRAME, FRAME);
    const at = bob.reportedPosition(runner);
    if (!at) continue;
    for (const e of bob.entities()) {
      if (e.kind !== 'ball') continue;
      const ball = bob.reportedPosition(e.id);
      if (ball && toAxis(ball.position, at.position) < HIT_DISTANCE) hit = true;
    }
  }
  h.relay.close();
  return { hit, seenError };
}
