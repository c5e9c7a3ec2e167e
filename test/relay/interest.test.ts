import { verify, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ChunkAssembler,
  decodeMessage,
  encodeMessage,
  entityDesc,
  groundBody,
  groundTiles,
  initPhysics,
  leaseSigningBytes,
  MemoryNetwork,
  MsgType,
  PROTOCOL_VERSION,
  standardKinds,
  tileKey,
  tilesWithinRadius,
  VirtualScheduler,
  type Link,
  type Message,
  type SceneDesc,
  type TileLease,
  type Vec3,
} from '../../src/index.js';
import { RelayCore } from '../../relay/relay-core.js';
import { ed25519Signer } from '../../relay/lease-signer.js';

const EDGE = 16;
const AOI = 48;

interface Raw {
  readonly link: Link;
  peer: number | undefined;
  /** Every directory received (its tile keys, in the order sent), each with the leases that came after it. */
  readonly directories: { keys: string[]; leases: TileLease[]; leaseBytes: Uint8Array[] }[];
  /** Every message received, raw, with its type. */
  readonly all: { type: number; bytes: Uint8Array }[];
}

/**
 * A relay over a 10 × 10 square of ground tiles, one tile above it and one beside it at negative
 * x (so areas of interest span layers and signs), owning every tile itself (`maxTilesPerPeer: 0`),
 * with raw players spawned where the test says.
 */
async function world(): Promise<{ relay: RelayCore; spawn: Vec3; join(name: string, at: Vec3): Raw; pose(r: Raw, p: Vec3): Vec3; run(ms: number): void }> {
  await initPhysics();
  const scheduler = new VirtualScheduler();
  const net = new MemoryNetwork(11, scheduler, { delayMs: 0, jitterMs: 0 });
  const scene: SceneDesc = {
    config: { tileEdge: EDGE, seed: 3 },
    entities: [
      ...groundTiles(EDGE, 0, 9, 0, 9, 1),
      entityDesc({ id: 500, kind: 'box', body: groundBody(0.5, 0.5, 0.5), position: { x: 40, y: 20, z: 40 } }),
      entityDesc({ id: 501, kind: 'box', body: groundBody(0.5, 0.5, 0.5), position: { x: -40, y: 0.5, z: 8 } }),
    ],
  };
  const spawn = { x: 8, y: 1.81, z: 8 };
  const relay = new RelayCore({ world: 'test', scene, registry: standardKinds(), now: () => scheduler.now(), signer: ed25519Signer(), log: () => {}, checkToken: () => undefined, maxTilesPerPeer: 0, spawn });
  let tick = 0;
  const run = (ms: number): void => {
    for (let t = 0; t < ms; t += 4) {
      scheduler.advance(4);
      relay.tick();
      tick = relay.currentTick;
    }
  };
  return {
    relay,
    spawn,
    join(name, at) {
      const [me, relayEnd] = net.pair();
      const raw: Raw = { link: me, peer: undefined, directories: [], all: [] };
      const assembler = new ChunkAssembler();
      me.onMessage = (b) => {
        raw.all.push({ type: b[0]!, bytes: b });
        let m: Message = decodeMessage(b, EDGE);
        if (m.type === MsgType.Chunk) {
          const whole = assembler.add(m);
          if (!whole) return;
          m = decodeMessage(whole, EDGE, Number.MAX_SAFE_INTEGER);
        }
        if (m.type === MsgType.Welcome) raw.peer = m.peer;
        if (m.type === MsgType.Directory) raw.directories.push({ keys: m.entries.map((e) => tileKey(e.tile)), leases: [], leaseBytes: [] });
        if (m.type === MsgType.Lease) {
          raw.directories.at(-1)?.leases.push(m.lease);
          raw.directories.at(-1)?.leaseBytes.push(b);
        }
      };
      // The relay adds an offset by peer id to its spawn point: the spawn is set so that the avatar lands at `at`.
      const k = relay.peerCount % 8;
      Object.assign(spawn, { x: at.x - ((k % 4) * 1.2 - 1.8 + Math.floor(k / 4) * 0.6), y: at.y, z: at.z - ((k % 4) * 1.5 - 2.25) });
      relay.connect(relayEnd);
      me.send(encodeMessage({ type: MsgType.Hello, version: PROTOCOL_VERSION, world: 'test', name, token: '' }, EDGE), true);
      run(8);
      return raw;
    },
    pose(r, p) {
      // Positions travel as f32: what the relay reads.
      const at = { x: Math.fround(p.x), y: Math.fround(p.y), z: Math.fround(p.z) };
      r.link.send(encodeMessage({ type: MsgType.Pose, tick, x: at.x, y: at.y, z: at.z }, EDGE), true);
      run(8);
      return at;
    },
    run,
  };
}

/** What a player at `p` should be subscribed to: every existing tile within the radius, as the directory lists them (sorted as strings). */
function expected(relay: RelayCore, p: Vec3): string[] {
  const exists = new Set(relay.directory().map((d) => tileKey(d.tile)));
  return tilesWithinRadius(p, AOI, EDGE)
    .map(tileKey)
    .filter((k) => exists.has(k))
    .sort();
}

/** A small seeded generator (the test must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("a player's area of interest", () => {
  it('is every existing tile within the radius, sent again exactly when it changes: as the player moves across tile borders and within a tile', async () => {
    const w = await world();
    const rnd = lcg(42);
    // Players near tile borders and corners, near the world's edge, in the middle, one below the raised tile.
    const homes: Vec3[] = [
      { x: 16.2, y: 1.81, z: 15.9 },
      { x: 40, y: 1.81, z: 40 },
      { x: 2, y: 1.81, z: 79.5 },
      { x: 150, y: 1.81, z: 150 },
      { x: 63.9, y: 1.81, z: 32.1 },
    ];
    for (const [i, home] of homes.entries()) {
      const r = w.join(`p${i}`, home);
      let at = w.pose(r, home);
      let want = expected(w.relay, at);
      expect(r.directories.at(-1)!.keys).toEqual(want);
      let changes = 0;
      for (let step = 0; step < 60; step++) {
        // Within reach of the avatar (it stands at home): poses further away are bounded by the relay.
        const next = { x: home.x + (rnd() - 0.5) * 2.6, y: home.y, z: home.z + (rnd() - 0.5) * 2.6 };
        const before = r.directories.length;
        at = w.pose(r, next);
        const now = expected(w.relay, at);
        const changed = now.join(' ') !== want.join(' ');
        // A directory is sent exactly when the set of tiles changed, and it lists them all.
        expect(r.directories.length - before).toBe(changed ? 1 : 0);
        expect(r.directories.at(-1)!.keys).toEqual(now);
        if (changed) changes++;
        want = now;
      }
      // The walk near borders does change the area of interest (else this test tests nothing).
      if (i === 0) expect(changes).toBeGreaterThan(3);
    }
  });

  it('follows with every directory the lease of each tile in it, signed by the relay, the same bytes to every player', async () => {
    const w = await world();
    const a = w.join('a', { x: 16.2, y: 1.81, z: 15.9 });
    const b = w.join('b', { x: 17, y: 1.81, z: 17 });
    w.pose(a, { x: 16.2, y: 1.81, z: 15.9 });
    w.pose(b, { x: 17, y: 1.81, z: 17 });
    const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(relayKeyOf(a))]), format: 'der', type: 'spki' });
    for (const r of [a, b]) {
      for (const d of r.directories) {
        expect(d.leases.map((l) => tileKey(l.tile))).toEqual(d.keys);
        for (const l of d.leases) expect(verify(null, leaseSigningBytes(l), key, l.signature)).toBe(true);
      }
    }
    // The same lease (tile, epoch, term) reaches both players as the same bytes.
    const bytesOf = (r: Raw): Map<string, string> => {
      const m = new Map<string, string>();
      for (const d of r.directories) d.leases.forEach((l, i) => m.set(`${tileKey(l.tile)}@${l.epoch}:${l.expiresTick}`, Buffer.from(d.leaseBytes[i]!).toString('hex')));
      return m;
    };
    const ma = bytesOf(a);
    const mb = bytesOf(b);
    let shared = 0;
    for (const [k, v] of ma) {
      if (!mb.has(k)) continue;
      shared++;
      expect(mb.get(k)).toBe(v);
    }
    expect(shared).toBeGreaterThan(10);
  });

  it('takes in a tile created after the player joined (an avatar spawned outside the world), without a pose', async () => {
    const w = await world();
    const a = w.join('a', { x: 150, y: 1.81, z: 150 });
    const at = w.pose(a, { x: 150, y: 1.81, z: 150 });
    expect(a.directories.at(-1)!.keys).toEqual(expected(w.relay, at));
    const tilesBefore = w.relay.directory().length;
    // Tile (10,0,9) is beyond the square: the relay creates it for the avatar joining there.
    w.join('b', { x: 168, y: 1.81, z: 152 });
    expect(w.relay.directory().length).toBeGreaterThan(tilesBefore);
    expect(a.directories.at(-1)!.keys).toContain('10,0,9');
    expect(a.directories.at(-1)!.keys).toEqual(expected(w.relay, at));
  });
});

function relayKeyOf(r: Raw): Uint8Array {
  const welcome = r.all.find((m) => m.type === MsgType.Welcome)!;
  const m = decodeMessage(welcome.bytes, EDGE, Number.MAX_SAFE_INTEGER);
  if (m.type !== MsgType.Welcome) throw new Error('no welcome');
  return m.relayKey;
}
