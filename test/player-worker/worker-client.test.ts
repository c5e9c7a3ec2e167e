import { describe, expect, it } from 'vitest';
import { WorkerClient } from '../../src/player-worker/worker-client.js';
import { encodePoseFrame } from '../../src/player-worker/pose-frame.js';
import type { PageToWorker, SessionOptions } from '../../src/player-worker/protocol.js';
import { resolveWorldConfig } from '../../src/core/world-config.js';
import type { VisibleState } from '../../src/client/world-client.js';

const AVATAR = 7;
const body = { shape: 'capsule', halfHeight: 0.5, radius: 0.3, mass: 70 } as unknown as VisibleState['entity']['body'];

/** A page-side client joined as peer 1 with avatar 7, and a clock the test moves. */
function joinedClient(): { c: WorkerClient; posted: PageToWorker[]; at: (ms: number) => void } {
  let now = 1000;
  const posted: PageToWorker[] = [];
  const c = new WorkerClient(1, (m) => posted.push(m), { relay: 'ws://x', world: 'w' } as unknown as SessionOptions, () => now);
  c.onWorker({ t: 'event', session: 1, name: 'joined', e: { peer: 1, avatar: AVATAR, config: resolveWorldConfig({}), role: 'player' } });
  return { c, posted, at: (ms) => (now = ms) };
}

/** The worker's frame at `atMs`: our avatar at x = `x`, walking east at 5 m/s. */
function frame(c: WorkerClient, atMs: number, x: number): void {
  const state: VisibleState = {
    entity: { id: AVATAR, kind: 'avatar', body, tile: { x: 0, y: 0, z: 0 }, position: { x, y: 1, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 }, owner: 1 },
    v: { x: 5, y: 0, z: 0 },
    reported: { position: { x, y: 1, z: 0 }, tick: 60 },
  };
  c.onWorker({ t: 'frame', session: 1, frame: encodePoseFrame([state], atMs, 60, 60), looks: [[AVATAR, 'avatar', state.entity.body]], status: undefined });
}

const shownX = (c: WorkerClient, atMs: number): number => c.entities(atMs).find((e) => e.id === AVATAR)!.position.x;

describe('the page’s view of a worker’s frames', () => {
  it('carries a frame on along its velocities while the worker is late, for at most 1 s', () => {
    const { c } = joinedClient();
    frame(c, 1000, 10);
    expect(shownX(c, 1100)).toBeCloseTo(10.5, 6);
    // A worker starved for 600 ms: still carried on (at 250 ms it stood still, then leapt 2 m).
    expect(shownX(c, 1600)).toBeCloseTo(13, 6);
    // Carried 1 s (15 m), then held (the view's smoothing eases the stop in: a few cm).
    expect(shownX(c, 2500)).toBeGreaterThan(14.9);
    expect(shownX(c, 3000)).toBeLessThan(15.1);
  });

  it('carries our own avatar the way the player now walks: a stop pressed after the frame is not overshot', () => {
    const { c, posted, at } = joinedClient();
    frame(c, 1000, 10);
    at(1040);
    c.send({ moveX: 0 });
    expect(posted.some((m) => m.t === 'input')).toBe(true);
    // Walked 40 ms to the stop (0.2 m), then stood: not carried on to 11.25.
    expect(shownX(c, 1200)).toBeCloseTo(10.2, 6);
    expect(shownX(c, 1400)).toBeCloseTo(10.2, 6);
    // A newer frame (the worker caught up) is shown as it is.
    frame(c, 1450, 10.3);
    expect(c.entities(1450).find((e) => e.id === AVATAR)!.position.x).toBeGreaterThan(10.2);
  });

  it('turns our own avatar at once when the player turns after the frame', () => {
    const { c, at } = joinedClient();
    frame(c, 1000, 10);
    at(1001);
    c.send({ moveX: 0, moveZ: 1 });
    const e = c.entities(1201).find((x) => x.id === AVATAR)!;
    expect(e.position.x).toBeCloseTo(10.005, 6);
    expect(e.position.z).toBeCloseTo(1, 6); // 0.2 s at 5 m/s
  });
});
