import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeMessage, initPhysics, MemoryNetwork, MsgType, PROTOCOL_VERSION, standardKinds, VirtualScheduler, WorldClient, type Message } from '../../src/index.js';
import { ed25519Signer } from '../../relay/lease-signer.js';
import { RelayCore } from '../../relay/relay-core.js';
import { configureConnectionGuard } from '../../relay/connection-guard.js';
import { SCENES } from '../../relay/server.js';

// The relay's message handler under fire: generated and mutated messages from a joined
// connection. Nothing may escape as an exception, the relay must keep serving an honest
// player, and its bookkeeping must stay bounded. FUZZ_RUNS=1000000 (npm run fuzz) for more.

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 100_000);
const EDGE = 16;
const tile = fc.record({ x: fc.integer({ min: -3, max: 3 }), y: fc.integer({ min: -1, max: 1 }), z: fc.integer({ min: -3, max: 3 }) });
const num = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
const tick = fc.integer({ min: 0, max: 1e6 });
const id = fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 1_000_000, max: 1_000_010 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const body = fc.constant({ type: 'dynamic' as const, shape: { type: 'ball' as const, radius: 0.25 } });
const entity = fc.record({
  id,
  kind: fc.constantFrom('ball', 'box', 'avatar', 'nope', ''),
  body,
  state: fc.record({
    position: fc.record({ x: num, y: num, z: num }),
    rotation: fc.constant({ x: 0, y: 0, z: 0, w: 1 }),
    linvel: fc.record({ x: num, y: num, z: num }),
    angvel: fc.constant({ x: 0, y: 0, z: 0 }),
  }),
  props: fc.constant({}),
});
const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant(MsgType.Ping), clientTimeMs: num }),
  fc.record({ type: fc.constant(MsgType.Pose), tick, x: fc.float({ noNaN: true, noDefaultInfinity: true }), y: fc.float({ noNaN: true, noDefaultInfinity: true }), z: fc.float({ noNaN: true, noDefaultInfinity: true }) }),
  fc.record({ type: fc.constant(MsgType.Signal), peer: fc.nat(10), data: fc.string({ maxLength: 50 }) }),
  fc.record({ type: fc.constant(MsgType.Forward), to: fc.nat(10), reliable: fc.boolean(), payload: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ type: fc.constant(MsgType.Keyframe), tile, epoch: fc.nat(10), tick, snapshot: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ type: fc.constant(MsgType.KeyframeRequest), tile }),
  fc.record({ type: fc.constant(MsgType.HandoffState), tile, epoch: fc.nat(10), tick, snapshot: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ type: fc.constant(MsgType.Input), tick, inputs: fc.array(fc.record({ entity: id, seq: fc.nat(), data: fc.dictionary(fc.constantFrom('moveX', 'moveZ', 'jump', 'x'), fc.oneof(fc.boolean(), fc.integer({ min: -5, max: 5 })), { maxKeys: 3 }) }), { maxLength: 3 }) }),
  fc.record({ type: fc.constant(MsgType.Migrate), from: tile, to: tile, epoch: fc.nat(10), tick, entity }),
  fc.record({ type: fc.constant(MsgType.EntityMail), tile, epoch: fc.nat(10), message: fc.record({ from: id, to: id, topic: fc.constantFrom('fire', 'x'), data: fc.constant({}), dueTick: tick, seq: fc.nat() }) }),
  fc.record({ type: fc.constant(MsgType.Spawn), tile, entity }),
  fc.record({ type: fc.constant(MsgType.Hello), version: fc.nat(PROTOCOL_VERSION), world: fc.constantFrom('test', 'x'), name: fc.string({ maxLength: 10 }), token: fc.string({ maxLength: 10 }) }),
  fc.record({ type: fc.constant(MsgType.Chunk), id: fc.nat(5), index: fc.nat(3), count: fc.integer({ min: 1, max: 4 }), part: fc.uint8Array({ maxLength: 30 }) }),
  fc.integer({ min: 1, max: 4 }).chain((n) =>
    fc.record({
      type: fc.constant(MsgType.Commits),
      tile,
      epoch: fc.nat(10),
      firstTick: tick,
      hashes: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { minLength: n, maxLength: n }),
      records: fc.array(
        fc.record({
          inbound: fc.constant([]),
          messages: fc.constant([]),
          inputs: fc.array(fc.record({ entity: id, seq: fc.nat(), data: fc.constant({ moveX: 1 }) }), { maxLength: 2 }),
          after: fc.constant([]),
        }),
        { minLength: n, maxLength: n },
      ),
    }),
  ),
  fc.record({ type: fc.constant(MsgType.AuditStats), audits: fc.nat(), passed: fc.nat(), mismatches: fc.nat(), takeovers: fc.nat(), auditedTicks: fc.nat() }),
  fc.record({ type: fc.constant(MsgType.DocSync), payload: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ type: fc.constant(MsgType.DocAck), stateVector: fc.uint8Array({ maxLength: 32 }) }),
  fc.record({ type: fc.constant(MsgType.Presence), payload: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  // Relay → player only: refused from a player.
  fc.record({ type: fc.constant(MsgType.RosterDelta), added: fc.constant([{ peer: 9, name: 'x', avatar: 9 }]).map((a) => [...a]), removed: fc.constant([1]).map((r) => [...r]) }),
);

describe('relay message handler fuzzing', () => {
  it(`survives ${RUNS.toLocaleString('en')} generated and mutated messages and keeps serving`, async () => {
    await initPhysics();
    const scheduler = new VirtualScheduler();
    const net = new MemoryNetwork(5, scheduler, { delayMs: 0, jitterMs: 0 });
    const relay = new RelayCore({ world: 'test', scene: SCENES['demo']!(), registry: standardKinds(), now: () => scheduler.now(), signer: ed25519Signer(), log: () => {}, checkToken: () => undefined, rateLimit: { perSecond: 1e9, burst: 1e9 } });
    // Like the message rate, the byte budget is lifted: every message must reach the handler.
    configureConnectionGuard(relay, { bytesPerSecond: 1e12, byteBurst: 1e12 });
    const [evil, relayEnd] = net.pair();
    relay.connect(relayEnd);
    evil.send(encodeMessage({ type: MsgType.Hello, version: PROTOCOL_VERSION, world: 'test', name: 'fuzz', token: '' }, EDGE), true);
    scheduler.advance(1);
    const samples = fc.sample(message, 300).map((m) => encodeMessage(m, EDGE, Number.MAX_SAFE_INTEGER));
    const input = fc.oneof(
      { weight: 5, arbitrary: message.map((m) => encodeMessage(m, EDGE, Number.MAX_SAFE_INTEGER)) },
      { weight: 3, arbitrary: fc.tuple(fc.nat(samples.length - 1), fc.nat(), fc.nat(255)).map(([i, at, b]) => { const x = samples[i]!.slice(); x[at % x.length] = b; return x; }) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    );
    let sent = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    fc.assert(
      fc.property(input, (bytes) => {
        evil.send(bytes, true);
        sent++;
        if (sent % 500 === 0) {
          scheduler.advance(2); // deliver, and let the relay tick
          relay.tick();
        }
      }),
      { numRuns: RUNS },
    );
    scheduler.advance(5);
    relay.tick();
    expect(sent).toBe(RUNS);
    expect(relay.metrics.refusedCount()).toBeGreaterThan(RUNS / 4);
    // Bounded: the fuzzing peer cannot grow the relay's world or memory without limit.
    expect(relay.peerCount).toBeLessThanOrEqual(2);
    expect(relay.directory().length).toBeLessThan(400);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(512 * 1024 * 1024);

    // An honest player still joins and moves.
    const [mine, relayMine] = net.pair();
    relay.connect(relayMine);
    const client = new WorldClient({ relay: mine, world: 'test', name: 'honest', now: () => scheduler.now() });
    for (let i = 0; i < 200 && !client.joined; i++) {
      scheduler.advance(4);
      relay.tick();
      client.update();
    }
    expect(client.joined).toBe(true);
    for (let i = 0; i < 250; i++) {
      scheduler.advance(4);
      relay.tick();
      client.update();
    }
    const x0 = client.reportedPosition(client.avatar)!.position.x;
    client.send({ moveX: 1 });
    for (let i = 0; i < 250; i++) {
      scheduler.advance(4);
      relay.tick();
      client.update();
    }
    expect(client.reportedPosition(client.avatar)!.position.x).toBeGreaterThan(x0 + 1);
  }, 600_000);
});
