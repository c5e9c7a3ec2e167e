import { describe, expect, it } from 'vitest';
import { initPhysics, tileKey, type WorldClient } from '../../src/index.js';
import { Harness, seeds, withSeed } from '../harness/harness.js';
import { SCENES } from '../../relay/server.js';

// After a burst of loss and delay, every replica returns to its owner's state: the full state
// a replica last took from its owner hashes the same as what the owner sent it for that tick, and
// what the player sees of every entity is where its owner has it. (Full states go to one
// subscriber when it joins or asks, so the owner's last full state to *this* replica is the one
// it is compared with; compared with the last one sent to anyone, a replica that needed none
// while another subscriber asked would never match.)

const FRAME = 1000 / 60;

describe('speculative replicas converge after the network heals', () => {
  it('in every seed (≥ 200), within 2 s of healing, every replica equals its owner', async () => {
    await initPhysics();
    const times: number[] = [];
    for (const seed of seeds(200)) {
      await withSeed(seed, () => {
        const h = new Harness({ seed, scene: SCENES['audit']!(), conditions: { delayMs: 10, jitterMs: 5, loss: 0 } });
        const a = h.addClient('alice').client;
        const b = h.addClient('bob').client;
        expect(h.runUntil(() => a.joined && b.joined, 2000)).toBeGreaterThanOrEqual(0);
        h.run(1500);
        // A burst: half the unreliable messages lost, 150–300 ms one way, for 1.5 s.
        h.net.setConditions({ delayMs: 150, jitterMs: 150, loss: 0.5 });
        a.send({ moveX: 0.4, moveZ: 0.3 });
        h.run(1500);
        h.net.setConditions({ delayMs: 10, jitterMs: 5, loss: 0 });
        const healedAt = h.scheduler.now();
        const sent: SentStates = new Map();
        const converged = (): boolean => [a, b].every((c) => replicasMatch(h, c, sent));
        const took = h.runUntil(converged, 4000, FRAME);
        expect(took, `replicas still differ ${h.scheduler.now() - healedAt} ms after healing`).toBeGreaterThanOrEqual(0);
        expect(took).toBeLessThanOrEqual(2000);
        times.push(took);
        h.relay.close();
      });
    }
    times.sort((x, y) => x - y);
    console.log(`convergence after healing over ${times.length} seeds: median ${times[Math.floor(times.length / 2)]} ms, max ${times[times.length - 1]} ms`);
  }, 600_000);
});

/** Per owner, subscriber and tile: the digest of every full state the owner sent, by tick, and when the test first saw it sent (ms). */
type SentStates = Map<string, Map<number, { digest: string; seenAt: number }>>;

/** A full state may be on the wire: the replica may still hold the one before, for this long after the owner sent the next (one-way delay after healing is 10 ± 5 ms). */
const IN_FLIGHT_MS = 50;

/**
 * Every tile `c` replicates: its last full state is one its owner sent it, for that tick (the newest,
 * or the one before while the newest may still be on the wire), and every entity it shows is within 5
 * cm of where the owner has it now.
 */
function replicasMatch(h: Harness, c: WorldClient, sent: SentStates): boolean {
  const owned = new Set(c.stats().ownedTiles.map(tileKey));
  for (const t of c.tiles()) {
    const key = tileKey(t.tile);
    if (owned.has(key)) continue;
    const mine = c.replicaDigest(t.tile);
    const owner = t.owner === 0 ? h.relay : h.clients.find((x) => x.client.peerId === t.owner)?.client;
    if (!owner || !mine) return false;
    const theirs = owner === h.relay ? h.relay.stateDigest(t.tile, c.peerId) : ownerDigest(owner as WorldClient, t.tile, c.peerId);
    if (!theirs) return false;
    const now = h.scheduler.now();
    const log = sent.get(`${t.owner}|${c.peerId}|${key}`) ?? new Map<number, { digest: string; seenAt: number }>();
    sent.set(`${t.owner}|${c.peerId}|${key}`, log);
    if (!log.has(theirs.tick)) log.set(theirs.tick, { digest: theirs.digest, seenAt: now });
    const newestInFlight = theirs.tick !== mine.tick && now - log.get(theirs.tick)!.seenAt < IN_FLIGHT_MS;
    if (theirs.tick !== mine.tick && !newestInFlight) return false;
    if (log.get(mine.tick)?.digest !== mine.digest) return false;
    const shown = new Map(c.entities(now).filter((e) => tileKey(e.tile) === key).map((e) => [e.id, e.position]));
    // The relay's world stands at the end of its last tick, up to a tick before the instant shown:
    // its bodies are moved on to that instant, as a player's view is (compared where they stood,
    // a ball rolling at 3.9 m/s was 4.5 cm behind what an exact replica showed, and with the view's
    // blending just over 5 cm: 14 of 60 seeds waited 1.7 s for a full state they did not need).
    const ahead = (c.currentTickExact(now) - h.relay.ownWorld.tick) / h.relay.config.tickRate;
    const truth = owner === h.relay ? h.relay.ownWorld.tileAt(t.tile)?.describeAll().map((e) => ({ id: e.id, p: along(e.state.position, e.state.linvel, ahead) })) : (owner as WorldClient).entities(now).filter((e) => tileKey(e.tile) === key).map((e) => ({ id: e.id, p: e.position }));
    if (!truth) return false;
    for (const e of truth) {
      const p = shown.get(e.id);
      if (!p || Math.hypot(p.x - e.p.x, p.y - e.p.y, p.z - e.p.z) > 0.05) return false;
    }
  }
  return true;
}

/** `p` moved `seconds` along `v`. */
function along(p: { x: number; y: number; z: number }, v: { x: number; y: number; z: number }, seconds: number): { x: number; y: number; z: number } {
  return { x: p.x + v.x * seconds, y: p.y + v.y * seconds, z: p.z + v.z * seconds };
}

function ownerDigest(owner: WorldClient, tile: { x: number; y: number; z: number }, to: number): { tick: number; digest: string } | undefined {
  return owner.ownedStateDigest(tile, to);
}
