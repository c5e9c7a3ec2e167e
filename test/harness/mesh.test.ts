import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, entityDesc, groundBody, groundTiles, initPhysics, MsgType, PROTOCOL_VERSION, tileKey, walls, WorldClient, type HarnessClient } from './imports.js';
import { Harness, seeds, withSeed } from './harness.js';

const owns = (c: HarnessClient, key: string): boolean => c.client.stats().ownedTiles.some((t) => tileKey(t) === key);
const totalEntities = (h: Harness): number => {
  // Every entity exists exactly once across the relay's tiles and the peers' own tiles.
  let n = h.relay.relayEntityCount();
  for (const c of h.clients) for (const t of c.client.stats().ownedTiles) n += c.client.entities().filter((e) => tileKey(e.tile) === tileKey(t) && e.owner === c.client.peerId).length;
  return n;
};

describe('relay + mesh in the seeded harness', () => {
  for (const seed of seeds(3)) {
    it(`seed ${seed}: ownership follows players with growing epochs, handoffs lose nothing and skip no tick`, () =>
      withSeed(seed, async () => {
        await initPhysics();
        // Three empty 16 m tiles in a row: nothing but the handoffs can disturb the walk.
        const scene = { config: { tileEdge: 16 }, entities: [...groundTiles(16, 0, 2, 0, 0, 1), ...walls(16, 0, 48, 0, 16, 20)] };
        const h = new Harness({ seed, scene, conditions: { delayMs: 8, jitterMs: 6, loss: 0.02 } });
        const first = h.addClient('alice');
        const second = h.addClient('bob');
        expect(h.runUntil(() => first.client.joined && second.client.joined, 2000)).toBeGreaterThanOrEqual(0);
        h.run(1500);
        // `a` owns the spawn tile (0,0,0); `b` is the other player.
        const a = owns(first, '0,0,0') ? first : second;
        const b = a === first ? second : first;
        expect(owns(a, '0,0,0')).toBe(true);
        const epochOf = (key: string): number => h.relay.directory().find((d) => tileKey(d.tile) === key)!.epoch;
        const epochs = [epochOf('0,0,0')];

        // b walks east into tile (1,0,0) and takes it.
        b.client.send({ moveX: 1 });
        expect(h.runUntil(() => owns(b, '1,0,0'), 6000)).toBeGreaterThanOrEqual(0);
        b.client.send({ moveX: 0 });
        h.run(500);
        const before = totalEntities(h);
        expect(a.client.entities().length).toBe(before);
        expect(b.client.entities().length).toBe(before);

        // a walks from its tile into b's and back; watch a's avatar on b's screen.
        let lastTick = a.client.simTick;
        // A jump is a change in per-frame displacement of a's avatar as b sees it: walking at a
        // steady speed gives ~0; a handoff that skipped or repeated a tick would give ≥ 8 cm.
        let worstJump = 0;
        let prev = { tick: 0, p: b.client.entities().find((e) => e.id === a.client.avatar)!.position, d: undefined as { x: number; z: number } | undefined };
        const ownersSeen = new Set<number>();
        // Starting and turning are real accelerations, not jumps: measure from 0.5 s after each input.
        let measureFrom = 0;
        const steer = (moveX: number): void => {
          a.client.send({ moveX });
          measureFrom = b.client.currentTick() + 30;
        };
        const watch = (): void => {
          expect(a.client.simTick - lastTick).toBeLessThanOrEqual(30); // the client never stalls
          lastTick = a.client.simTick;
          const seen = b.client.entities().find((e) => e.id === a.client.avatar);
          expect(seen).toBeDefined();
          // Frames are a fixed 1/60 s apart: steady walking moves the same distance each frame.
          const p = seen!.position;
          const d = { x: p.x - prev.p.x, z: p.z - prev.p.z };
          if (prev.d && b.client.currentTick() >= measureFrom) worstJump = Math.max(worstJump, Math.hypot(d.x - prev.d.x, d.z - prev.d.z));
          prev = { tick: 0, p, d };
          ownersSeen.add(seen!.owner);
          expect(a.client.entities().length).toBe(before);
          expect(b.client.entities().length).toBe(before);
        };
        const ax = (): number => a.client.reportedPosition(a.client.avatar)!.position.x;
        steer(1);
        // Observe once per tick (a frame of a 60 Hz display), so sampling adds no noise.
        const frame = 1000 / 60;
        for (let i = 0; i < 600 && ax() < 24; i++) {
          h.run(frame, frame);
          watch();
        }
        expect(ax()).toBeGreaterThanOrEqual(24);
        h.run(1000);
        lastTick = a.client.simTick;
        prev = { tick: 0, p: b.client.entities().find((e) => e.id === a.client.avatar)!.position, d: undefined };
        epochs.push(epochOf('0,0,0'));
        steer(-1);
        for (let i = 0; i < 600 && ax() > 8; i++) {
          h.run(frame, frame);
          watch();
        }
        a.client.send({ moveX: 0 });
        expect(h.runUntil(() => owns(a, '0,0,0'), 3000)).toBeGreaterThanOrEqual(0);
        epochs.push(epochOf('0,0,0'));
        h.run(1000);
        for (let i = 1; i < epochs.length; i++) expect(epochs[i]!).toBeGreaterThan(epochs[i - 1]!); // the tile changed hands; epochs only grow
        expect(ownersSeen.size).toBeGreaterThan(1); // a's avatar was simulated by more than one owner on the way
        expect(totalEntities(h)).toBe(before);
        expect(worstJump).toBeLessThan(0.04);
        expect(h.relay.metrics.handoffs).toBeGreaterThanOrEqual(3);
      }));
  }

  it('a stale-epoch keyframe and a migration from a non-owner are refused and counted', () =>
    withSeed(11, async () => {
      await initPhysics();
      const h = new Harness({ seed: 11 });
      const a = h.addClient('alice');
      h.run(1500);
      expect(owns(a, '0,0,0')).toBe(true);
      const [evil, relayEnd] = h.net.pair();
      h.relay.connect(relayEnd);
      evil.send(encodeMessage({ type: MsgType.Hello, version: PROTOCOL_VERSION, world: 'test', name: 'mallory', token: '' }, 16), true);
      h.run(100);
      const before = h.relay.metrics.staleEpochs;
      evil.send(encodeMessage({ type: MsgType.Keyframe, tile: { x: 0, y: 0, z: 0 }, epoch: 1, tick: 10, snapshot: new Uint8Array(8) }, 16), true);
      h.run(100);
      expect(h.relay.metrics.staleEpochs).toBe(before + 1);
      expect(h.relay.metrics.refusedCount('stale-epoch')).toBeGreaterThan(0);
      expect(h.relay.peerCount).toBe(2); // refused, not crashed
    }));

  it('garbage from a connection is refused and counted; the relay keeps serving', () =>
    withSeed(12, async () => {
      await initPhysics();
      const h = new Harness({ seed: 12 });
      const a = h.addClient('alice');
      h.run(500);
      const [evil, relayEnd] = h.net.pair();
      h.relay.connect(relayEnd);
      for (let i = 0; i < 50; i++) evil.send(new Uint8Array([i, 255, 0, 1, 2, 3]), true);
      h.run(200);
      expect(h.relay.metrics.refusedCount()).toBeGreaterThan(0);
      a.client.send({ moveX: 1 });
      const x0 = a.client.reportedPosition(a.client.avatar)!.position.x;
      h.run(500);
      expect(a.client.reportedPosition(a.client.avatar)!.position.x).toBeGreaterThan(x0 + 1);
    }));

  it('the relay simulates tiles no peer owns (the demo balls roll with nobody connected)', () =>
    withSeed(13, async () => {
      await initPhysics();
      const h = new Harness({ seed: 13 });
      const hash0 = h.relay.ownWorld.hash();
      h.run(500);
      expect(h.relay.currentTick).toBeGreaterThanOrEqual(29);
      expect(h.relay.ownWorld.tick).toBe(h.relay.currentTick);
      expect(h.relay.ownWorld.hash()).not.toBe(hash0);
    }));

  it('a client that crashes loses its tiles to the relay within 1 s, with no entity lost', () =>
    withSeed(14, async () => {
      await initPhysics();
      const h = new Harness({ seed: 14 });
      const a = h.addClient('alice');
      const b = h.addClient('bob');
      h.run(2000);
      const owner = owns(a, '0,0,0') ? a : b;
      const other = owner === a ? b : a;
      const count = other.client.entities().length;
      owner.crash();
      const took = h.runUntil(() => h.relay.directory().find((d) => tileKey(d.tile) === '0,0,0')!.owner !== owner.client.peerId, 1000);
      expect(took).toBeGreaterThanOrEqual(0);
      expect(took).toBeLessThan(1000);
      h.run(1500);
      // The crashed player's avatar leaves with it; everything else is still there.
      expect(other.client.entities().length).toBe(count - 1);
    }));

  it('a pair that cannot connect directly uses the relay path and still sees each other', () =>
    withSeed(15, async () => {
      await initPhysics();
      const h = new Harness({ seed: 15, blocked: () => true });
      const a = h.addClient('alice');
      const b = h.addClient('bob');
      h.run(2000);
      b.client.send({ moveX: 1 });
      h.runUntil(() => owns(b, '1,0,0'), 6000);
      h.run(4000);
      const paths = [...a.client.stats().peers, ...b.client.stats().peers];
      expect(paths.length).toBeGreaterThan(0);
      expect(paths.every((p) => p.path === 'relay')).toBe(true);
      expect(a.client.entities().some((e) => e.id === b.client.avatar)).toBe(true);
      expect(b.client.entities().some((e) => e.id === a.client.avatar)).toBe(true);
      expect(h.relay.metrics.relayedMessages).toBeGreaterThan(10);
    }));
});

describe('bodies meet across an owner border', () => {
  it('a box in each tile rests on a shelf that reaches over from the neighbour owned by someone else', () =>
    withSeed(21, async () => {
      await initPhysics();
      const box = (id: number, x: number, z: number) =>
        entityDesc({ id, kind: 'box', body: { type: 'dynamic', shape: { type: 'box', halfExtents: { x: 0.25, y: 0.25, z: 0.25 } } }, position: { x, y: 40, z } });
      const scene = {
        config: { tileEdge: 16 },
        entities: [
          ...groundTiles(16, 0, 1, 0, 0, 1),
          // Shelf in tile (0,0,0) reaching 1.5 m into (1,0,0), and one in (1,0,0) reaching into (0,0,0).
          entityDesc({ id: 10, kind: 'ground', body: groundBody(2, 0.25, 1), position: { x: 15.5, y: 5, z: 4 } }),
          entityDesc({ id: 11, kind: 'ground', body: groundBody(2, 0.25, 1), position: { x: 16.5, y: 5, z: 12 } }),
          box(20, 17, 4), // falls in (1,0,0), onto the shelf of (0,0,0)
          box(21, 15, 12), // falls in (0,0,0), onto the shelf of (1,0,0)
        ],
      };
      const h = new Harness({ seed: 21, scene });
      const a = h.addClient('alice');
      expect(h.runUntil(() => owns(a, '0,0,0'), 3000)).toBeGreaterThanOrEqual(0);
      expect(h.relay.directory().find((d) => tileKey(d.tile) === '1,0,0')!.owner).toBe(0);
      h.run(5000);
      const y = (id: number): number => a.client.reportedPosition(id)!.position.y;
      expect(y(20)).toBeCloseTo(5.5, 1); // on the shelf top (5.25) + half the box
      expect(y(21)).toBeCloseTo(5.5, 1);
    }));
});

describe('players leaving together', () => {
  it('two players who leave at once leave no avatar behind', () =>
    withSeed(31, async () => {
      await initPhysics();
      const h = new Harness({ seed: 31 });
      const a = h.addClient('alice');
      const b = h.addClient('bob');
      const c = h.addClient('carol');
      h.run(2000);
      // b walks into another tile and takes it; a's avatar stays in a's tile.
      b.client.send({ moveX: 1 });
      h.runUntil(() => owns(b, '1,0,0'), 6000);
      b.client.send({ moveX: 0 });
      h.run(1500);
      const before = c.client.entities().length;
      a.crash();
      b.crash();
      h.run(3000);
      expect(c.client.entities().length).toBe(before - 2);
      expect(c.client.entities().filter((e) => e.kind === 'avatar').map((e) => e.id)).toEqual([c.client.avatar]);
    }));
});

describe('own avatar on someone else’s tile', () => {
  it('answers the player’s input at once (predicted), before the owner’s state comes back', () =>
    withSeed(41, async () => {
      await initPhysics();
      const scene = { config: { tileEdge: 16 }, entities: [...groundTiles(16, 0, 2, 0, 0, 1), ...walls(16, 0, 48, 0, 16, 20)] };
      const h = new Harness({ seed: 41, scene, conditions: { delayMs: 40, jitterMs: 0 } });
      const first = h.addClient('alice');
      const second = h.addClient('bob');
      h.run(2000);
      const a = owns(first, '0,0,0') ? first : second;
      const b = a === first ? second : first;
      // b takes tile (1,0,0); a then walks 6 m into it and stops: a's avatar is simulated by b.
      b.client.send({ moveX: 1 });
      expect(h.runUntil(() => owns(b, '1,0,0'), 6000)).toBeGreaterThanOrEqual(0);
      b.client.send({ moveX: 0 });
      a.client.send({ moveX: 1 });
      expect(h.runUntil(() => a.client.reportedPosition(a.client.avatar)!.position.x > 22, 6000)).toBeGreaterThanOrEqual(0);
      a.client.send({ moveX: 0 });
      h.run(1500);
      expect(a.client.entities().find((e) => e.id === a.client.avatar)!.owner).toBe(b.client.peerId);
      const shown = (): number => a.client.entities().find((e) => e.id === a.client.avatar)!.position.z;
      const z0 = shown();
      const reported0 = a.client.reportedPosition(a.client.avatar)!.position.z;
      a.client.send({ moveZ: 1 });
      h.run(50); // less than the 80 ms round trip to the owner
      expect(a.client.reportedPosition(a.client.avatar)!.position.z).toBeCloseTo(reported0, 3); // the owner has not answered yet
      expect(shown()).toBeGreaterThan(z0 + 0.05); // but the player already sees its avatar move
      h.run(600);
      expect(a.client.reportedPosition(a.client.avatar)!.position.z).toBeGreaterThan(reported0 + 1); // and the owner agrees
    }));
});

describe('own avatar on the player’s own tile, its simulation running behind', () => {
  it('stops where the player stopped: a busy simulation does not carry it on along its old velocity', () =>
    withSeed(43, async () => {
      await initPhysics();
      const scene = { config: { tileEdge: 16 }, entities: [...groundTiles(16, 0, 2, 0, 0, 1), ...walls(16, 0, 48, 0, 16, 20)] };
      const h = new Harness({ seed: 43, scene, conditions: { delayMs: 20, jitterMs: 0 } });
      const p = h.addClient('alice');
      expect(h.runUntil(() => owns(p, '0,0,0') && p.client.entities().some((e) => e.id === p.client.avatar), 6000)).toBeGreaterThanOrEqual(0);
      const c = p.client;
      const shownX = (): number => c.entities().find((e) => e.id === c.avatar)!.position.x;
      c.send({ moveX: 1 });
      h.run(500);
      // Its steps now come a quarter of a second apart (a busy worker, a slow phone); it stops between two.
      p.slow!(1500, 250);
      h.run(130);
      c.send({ moveX: 0 });
      let most = -Infinity;
      for (let i = 0; i < 150; i++) {
        h.run(10);
        most = Math.max(most, shownX());
      }
      const rest = c.reportedPosition(c.avatar)!.position.x;
      expect(owns(p, '0,0,0')).toBe(true);
      // Braking takes it a little past where the stop was pressed; nothing shown goes further.
      expect(most).toBeLessThan(rest + 0.05);
    }));
});

describe('commits and checkpoints', () => {
  it('owners commit a state hash per tick; the relay verifies their keyframes against them, and judges a liar', () =>
    withSeed(51, async () => {
      await initPhysics();
      const h = new Harness({ seed: 51 });
      const honest = h.addClient('honest');
      h.run(4000);
      expect(owns(honest, '0,0,0')).toBe(true);
      expect(h.relay.metrics.commits).toBeGreaterThan(150); // ≈ 60 per second per owned tile
      expect(h.relay.metrics.checkpointsVerified).toBeGreaterThanOrEqual(2);
      expect(h.relay.metrics.checkpointMismatches).toBe(0);

      // A second player whose client rewrites the hashes it commits.
      const [clientEnd, relayEnd] = h.net.pair();
      h.relay.connect(relayEnd);
      const edge = h.relay.config.tileEdge;
      const liar: typeof clientEnd = {
        get open() {
          return clientEnd.open;
        },
        onMessage: undefined,
        onClose: undefined,
        send(bytes, reliable) {
          const m = decodeMessage(bytes, edge, Number.MAX_SAFE_INTEGER);
          clientEnd.send(m.type === MsgType.Commits ? encodeMessage({ ...m, hashes: m.hashes.map(([a, b, c]) => [a ^ 1, b, c] as [number, number, number]) }, edge) : bytes, reliable);
        },
        close: () => clientEnd.close(),
      };
      clientEnd.onMessage = (b) => liar.onMessage?.(b);
      clientEnd.onClose = () => liar.onClose?.();
      const cheat = new WorldClient({ relay: liar, world: 'test', name: 'liar', transport: 'relay', now: () => h.scheduler.now() });
      const cheatErrors: string[] = [];
      cheat.on('error', (e) => cheatErrors.push(e.reason));
      h.clients.push({ client: cheat, name: 'liar', crash: () => relayEnd.close() });
      // The liar walks into tile (1,0,0), takes it, and keyframes it.
      h.run(1500);
      expect(cheatErrors).toEqual([]);
      expect(cheat.joined).toBe(true);
      cheat.send({ moveX: 1 });
      expect(h.runUntil(() => cheat.stats().ownedTiles.some((t) => tileKey(t) === '1,0,0'), 6000)).toBeGreaterThanOrEqual(0);
      cheat.send({ moveX: 0 });
      h.run(2500);
      // Its keyframes (and audits) do not match what it committed: judged, its tiles taken.
      expect(h.relay.metrics.incidentCount()).toBeGreaterThanOrEqual(1);
      expect(h.logs.some((l) => l['msg'] === 'incident' && l['peer'] === cheat.peerId)).toBe(true);
      expect(cheat.stats().ownedTiles).toEqual([]);
      expect(owns(honest, '0,0,0')).toBe(true); // the honest owner is never accused
    }));
});
