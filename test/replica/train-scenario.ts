// The paper's Alice-and-Bob train scenario (§3.6), shared by the test and the benchmark.
import { SeededRng, tileKey, TRAIN_SCENE, trainScene, trainWindow, type ReplicaMode, type Vec3 } from '../../src/index.js';
import { Harness } from '../harness/harness.js';

const FRAME = 1000 / 60;
const G = 9.81;
const FLIGHT_S = 0.4;

export interface Outcome {
  readonly hit: boolean;
  /** Largest frame-to-frame change of the gap between what Bob sees of the ball and where his simulation has it, m. */
  readonly bobJump: number;
  /** How far the window Alice saw was from the real one at the moment she threw, m. */
  readonly seenError: number;
}

/** One-way delays of the scenario's players to the relay, ms. */
export interface TrainDelays {
  readonly bobMs: number;
  readonly aliceMs: number;
}

/** The paper's setting: Bob 110 ms from the relay, Alice 40 ms. */
export const TRAIN_DELAYS: TrainDelays = { bobMs: 110, aliceMs: 40 };

/**
 * One throw of the scenario: Bob owns the train's tile, Alice throws with her replicas in `mode`.
 * With `riding`, an avatar rides on the train's roof (`trainScene({ rider: true })`) all along.
 */
export function trainThrow(seed: number, mode: ReplicaMode, delays: TrainDelays = TRAIN_DELAYS, riding = false): Outcome {
  const { centre, train } = TRAIN_SCENE;
  const h = new Harness({ seed, scene: trainScene({ rider: riding }), conditions: { delayMs: 0, jitterMs: 6, loss: 0 }, relay: { spawn: { x: centre.x, y: 1.81, z: centre.z } } });
  const bob = h.addClient('bob', 'auto', { accessDelayMs: delays.bobMs }).client;
  if (h.runUntil(() => bob.stats().ownedTiles.some((t) => tileKey(t) === '0,0,0'), 8000) < 0) throw new Error('Bob never got the train’s tile');
  const alice = h.addClient('alice', 'auto', { accessDelayMs: delays.aliceMs, replicaMode: mode }).client;
  const rng = new SeededRng(seed * 31 + 7);
  // Alice settles in (clock sync, the tile's state), then waits a random while before throwing.
  const seen: { t: number; p: Vec3 }[] = [];
  const watchUntil = h.scheduler.now() + 3000 + rng.next() * 1600;
  while (h.scheduler.now() < watchUntil) {
    h.run(FRAME, FRAME);
    const p = alice.entities().find((e) => e.id === train)?.position;
    if (p) seen.push({ t: h.scheduler.now(), p });
  }
  // Alice aims: the train's angle about the track's centre and its angular speed as she sees
  // them (over her last 100 ms of frames), the window where the train will be after the flight.
  const angle = (p: Vec3): number => Math.atan2(p.z - centre.z, p.x - centre.x);
  const now = seen[seen.length - 1]!;
  const before = seen[seen.length - 7]!;
  let dA = angle(now.p) - angle(before.p);
  if (dA > Math.PI) dA -= 2 * Math.PI;
  if (dA < -Math.PI) dA += 2 * Math.PI;
  const omega = dA / ((now.t - before.t) / 1000);
  const r = Math.hypot(now.p.x - centre.x, now.p.z - centre.z);
  const a1 = angle(now.p) + omega * FLIGHT_S;
  const target = trainWindow({ x: centre.x + r * Math.cos(a1), y: now.p.y, z: centre.z + r * Math.sin(a1) });
  const me = alice.entities().find((e) => e.id === alice.avatar)!.position;
  const dx = target.x - me.x;
  const dz = target.z - me.z;
  const d = Math.hypot(dx, dz);
  const hand = { x: me.x + (dx / d) * 0.7, y: me.y + 0.8, z: me.z + (dz / d) * 0.7 };
  const v = { vx: (target.x - hand.x) / FLIGHT_S, vy: (target.y - hand.y) / FLIGHT_S + 0.5 * G * FLIGHT_S, vz: (target.z - hand.z) / FLIGHT_S };
  // Where the window really was as she threw (Bob's simulation, moved to the same instant).
  const trueNow = bob.entities().find((e) => e.id === train)!.position;
  const seenError = Math.hypot(trainWindow(now.p).x - trainWindow(trueNow).x, trainWindow(now.p).z - trainWindow(trueNow).z);
  alice.send({ throw: true, ...v, atTick: alice.currentTick() });

  // Bob's simulation decides: a hit when a ball passes within 0.6 m of the window's centre.
  let hit = false;
  let bobJump = 0;
  let lastGap: Vec3 | undefined;
  // Bob's simulation steps on ticks while his screen shows the present instant (own tiles glide
  // up to a tick ahead): the ball's exact place is moved to that same instant along its velocity
  // (from successive ticks). Compared unmoved, a frame where the simulation caught up two ticks
  // counted as a "jump" of a tick's flight (27 cm at 16 m/s) though nothing on screen jumped.
  let lastExact: { position: Vec3; tick: number } | undefined;
  let vel: Vec3 | undefined;
  const end = h.scheduler.now() + 1500;
  while (h.scheduler.now() < end && !hit) {
    h.run(FRAME, FRAME);
    const trainAt = bob.reportedPosition(train);
    for (const e of bob.entities()) {
      if (e.kind !== 'ball') continue;
      const reported = bob.reportedPosition(e.id)!;
      if (trainAt) {
        const w = trainWindow(trainAt.position);
        if (Math.hypot(reported.position.x - w.x, reported.position.y - w.y, reported.position.z - w.z) < 0.6) hit = true;
      }
      if (lastExact && reported.tick > lastExact.tick) {
        const k = 60 / (reported.tick - lastExact.tick);
        vel = { x: (reported.position.x - lastExact.position.x) * k, y: (reported.position.y - lastExact.position.y) * k, z: (reported.position.z - lastExact.position.z) * k };
      }
      lastExact = reported;
      if (!vel) continue; // its velocity is known from its second tick on
      const v = vel;
      const ahead = (bob.currentTickExact() - reported.tick) / 60;
      const exact = { position: { x: reported.position.x + v.x * ahead, y: reported.position.y + v.y * ahead, z: reported.position.z + v.z * ahead } };
      const gap = { x: e.position.x - exact.position.x, y: e.position.y - exact.position.y, z: e.position.z - exact.position.z };
      if (lastGap) bobJump = Math.max(bobJump, Math.hypot(gap.x - lastGap.x, gap.y - lastGap.y, gap.z - lastGap.z));
      lastGap = gap;
    }
  }
  h.relay.close();
  return { hit, bobJump, seenError };
}


/**
 * How far the train Alice sees is from where its owner has it at the same instant, cm, sampled
 * every frame for 3 s: Bob (the owner) on a fast link, Alice `oneWayMs` away. With `riding`, an
 * avatar rides on the roof and the errors are those of the rider (entity `TRAIN_SCENE.rider`).
 */
export function trainViewError(seed: number, mode: ReplicaMode, oneWayMs: number, riding = false): number[] {
  const { centre } = TRAIN_SCENE;
  const train = riding ? TRAIN_SCENE.rider : TRAIN_SCENE.train;
  const h = new Harness({ seed, scene: trainScene({ rider: riding }), conditions: { delayMs: 0, jitterMs: 4, loss: 0 }, relay: { spawn: { x: centre.x, y: 1.81, z: centre.z } } });
  const bob = h.addClient('bob', 'auto', { accessDelayMs: 5 }).client;
  h.runUntil(() => bob.stats().ownedTiles.some((t) => tileKey(t) === '0,0,0'), 8000);
  const alice = h.addClient('alice', 'auto', { accessDelayMs: oneWayMs, replicaMode: mode }).client;
  h.run(3000);
  const errors: number[] = [];
  for (let i = 0; i < 180; i++) {
    h.run(FRAME, FRAME);
    const now = h.scheduler.now();
    const seen = alice.entities(now).find((e) => e.id === train)?.position;
    const truth = bob.entities(now).find((e) => e.id === train)?.position;
    if (seen && truth) errors.push(Math.hypot(seen.x - truth.x, seen.y - truth.y, seen.z - truth.z) * 100);
  }
  h.relay.close();
  return errors;
}
