import { beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_BYTES, decodeMessage, encodeMessage, initPhysics, MemoryNetwork, MsgType, PROTOCOL_VERSION, ProtocolError, standardKinds, VirtualScheduler, type Link, type Message } from '../../src/index.js';
import { configureConnectionGuard, existingConnectionGuard, type ConnectionGuardOptions } from '../../relay/connection-guard.js';
import { ed25519Signer } from '../../relay/lease-signer.js';
import { RelayCore } from '../../relay/relay-core.js';
import { SCENES } from '../../relay/server.js';

// The relay's own resilience, on its logic over in-memory links and a virtual clock: nothing is
// reassembled before hello, unjoined connections are few and short-lived, every connection has
// a byte budget, chunked messages are capped; every refusal is counted and shows in /metrics.

const EDGE = 16;
const KiB = 1024;
const MiB = 1024 * KiB;

beforeAll(async () => {
  await initPhysics();
});

interface Rig {
  readonly relay: RelayCore;
  readonly scheduler: VirtualScheduler;
  readonly net: MemoryNetwork;
  readonly logs: Record<string, unknown>[];
  /** Advances the virtual clock (messages are delivered, the relay ticks). */
  run(ms: number, stepMs?: number): void;
}

function rig(guard: Partial<ConnectionGuardOptions> = {}): Rig {
  const scheduler = new VirtualScheduler();
  const net = new MemoryNetwork(7, scheduler, { delayMs: 1, jitterMs: 0 });
  const logs: Record<string, unknown>[] = [];
  const relay = new RelayCore({ world: 'test', scene: SCENES['demo']!(), registry: standardKinds(), now: () => scheduler.now(), signer: ed25519Signer(), log: (e) => logs.push(e), checkToken: () => undefined });
  configureConnectionGuard(relay, guard);
  return {
    relay,
    scheduler,
    net,
    logs,
    run(ms, stepMs = 4) {
      for (let t = 0; t < ms; t += stepMs) {
        scheduler.advance(stepMs);
        relay.tick();
      }
    },
  };
}

interface Raw {
  readonly link: Link;
  readonly got: Message[];
  closed: boolean;
  send(m: Message): void;
}

/** A raw connection to the relay (no client logic): what it receives, whether it was closed. */
function raw(r: Rig): Raw {
  const [me, relayEnd] = r.net.pair();
  const out: Raw = {
    link: me,
    got: [],
    closed: false,
    send: (m) => me.send(encodeMessage(m, EDGE, Number.MAX_SAFE_INTEGER), true),
  };
  me.onMessage = (b) => {
    try {
      out.got.push(decodeMessage(b, EDGE, Number.MAX_SAFE_INTEGER));
    } catch {
      // chunks of big messages are not needed here
    }
  };
  me.onClose = () => (out.closed = true);
  r.relay.connect(relayEnd);
  return out;
}

const hello: Message = { type: MsgType.Hello, version: PROTOCOL_VERSION, world: 'test', name: 'x', token: '' };
const errors = (c: Raw): Extract<Message, { type: typeof MsgType.Error }>[] => c.got.filter((m): m is Extract<Message, { type: typeof MsgType.Error }> => m.type === MsgType.Error);
const metricLine = (r: Rig, line: string): boolean => r.relay.metricsText().split('\n').includes(line);

describe('relay connection guard', () => {
  it('closes a connection that sends a chunk before hello, and reassembles nothing of it', () => {
    const r = rig();
    const c = raw(r);
    c.send({ type: MsgType.Chunk, id: 1, index: 0, count: 1000, part: new Uint8Array(CHUNK_BYTES) });
    c.send({ type: MsgType.Chunk, id: 1, index: 1, count: 1000, part: new Uint8Array(CHUNK_BYTES) });
    r.run(20);
    expect(c.closed).toBe(true);
    expect(errors(c)[0]?.reason).toMatch(/chunk-unjoined: a chunk before hello/);
    expect(r.relay.metrics.refusedCount('chunk-unjoined')).toBe(1); // the second chunk was not even read
    expect(r.relay.metrics.closedCount('chunk-unjoined')).toBe(1);
    expect(existingConnectionGuard(r.relay)!.chunkBudget.used).toBe(0);
    expect(metricLine(r, 'tessera_refused_total{reason="chunk-unjoined"} 1')).toBe(true);
    expect(metricLine(r, 'tessera_closed_total{reason="chunk-unjoined"} 1')).toBe(true);
  });

  it('caps connections waiting for their hello, and closes those that do not say it in time', () => {
    const r = rig({ maxUnjoined: 3, helloTimeoutMs: 10_000 });
    const waiting = [raw(r), raw(r), raw(r)];
    const extra = [raw(r), raw(r)];
    r.run(10);
    expect(extra.every((c) => c.closed)).toBe(true);
    expect(errors(extra[0]!)[0]).toMatchObject({ code: ProtocolError.RateLimited, reason: expect.stringMatching(/relay busy/) });
    expect(waiting.some((c) => c.closed)).toBe(false);
    expect(r.relay.metrics.refusedCount('unjoined-cap')).toBe(2);
    expect(metricLine(r, 'tessera_unjoined_connections 3')).toBe(true);

    // One joins: it no longer counts, so another may wait.
    waiting[0]!.send(hello);
    r.run(20);
    expect(waiting[0]!.got.some((m) => m.type === MsgType.Welcome)).toBe(true);
    r.run(5000, 100);
    const late = raw(r);
    r.run(10);
    expect(late.closed).toBe(false);

    // 10 s without a hello: closed (the server sweeps on its timer; here the next connection does).
    const until = (t: number): void => r.run(t - r.scheduler.now(), 10);
    until(9_900);
    raw(r);
    r.run(10);
    expect(waiting[1]!.closed).toBe(false);
    until(10_100);
    raw(r);
    r.run(10);
    expect(waiting[1]!.closed && waiting[2]!.closed).toBe(true);
    expect(errors(waiting[1]!).at(-1)?.reason).toMatch(/hello-timeout: no hello within 10000 ms/);
    expect(late.closed).toBe(false); // it has time left
    until(15_200);
    existingConnectionGuard(r.relay)!.sweep();
    r.run(100);
    expect(late.closed).toBe(true);
    expect(r.relay.metrics.refusedCount('hello-timeout')).toBe(3); // two of the first three, and `late`
    expect(waiting[0]!.closed).toBe(false); // the joined player stays
    expect(metricLine(r, 'tessera_refused_total{reason="hello-timeout"} 3')).toBe(true);
    expect(metricLine(r, 'tessera_unjoined_connections 1')).toBe(true); // the one that woke the second sweep (the first was over the cap)
    expect(metricLine(r, 'tessera_refused_total{reason="unjoined-cap"} 3')).toBe(true);
  });

  it('a joined connection: a burst within the byte budget is taken, a flood is refused, then closed; logs stay few', () => {
    const r = rig({ bytesPerSecond: 2 * MiB, byteBurst: 8 * MiB, floodCloseMs: 3000 });
    const honest = raw(r);
    honest.send(hello);
    const flood = raw(r);
    flood.send(hello);
    r.run(20);
    const junk = new Uint8Array(60 * KiB).fill(0xff); // not a message: refused as such while within budget
    // 1 MiB/s for 10 s from the honest one: never over budget.
    // 6 MiB/s from the flooder: the burst goes, then refusals, and after 3 s of them it is closed.
    let closedAt = -1;
    for (let t = 0; t < 10_000; t += 10) {
      if (t % 60 === 0) honest.link.send(junk, true);
      if (!flood.closed) flood.link.send(junk, true);
      else if (closedAt < 0) closedAt = t;
      r.run(10, 10);
    }
    expect(honest.closed).toBe(false);
    expect(flood.closed).toBe(true);
    // 8 MiB of burst at 4 MiB/s net is gone after ~2 s; then 3 s of refusals.
    expect(closedAt).toBeGreaterThan(4500);
    expect(closedAt).toBeLessThan(6000);
    const m = r.relay.metrics;
    expect(m.refusedCount('bytes')).toBeGreaterThan(150);
    expect(m.closedCount('flood')).toBe(1);
    expect(errors(flood).some((e) => e.code === ProtocolError.RateLimited && /byte budget/.test(e.reason))).toBe(true);
    // Thousands of refusals, a handful of log lines (one a second per kind and connection).
    const byteLogs = r.logs.filter((l) => l['kind'] === 'bytes');
    expect(byteLogs.length).toBeLessThanOrEqual(5);
    expect(byteLogs.some((l) => typeof l['suppressed'] === 'number' && l['suppressed'] > 50)).toBe(true);
    expect(r.logs.some((l) => l['msg'] === 'connection closed' && l['reason'] === 'flood')).toBe(true);
    expect(metricLine(r, 'tessera_closed_total{reason="flood"} 1')).toBe(true);
    // The honest one's junk was refused as junk, not for its budget.
    expect(m.refusedCount('decode')).toBeGreaterThan(100);

    // A flood of small messages trips the message rate the same way.
    const chatty = raw(r);
    chatty.send(hello);
    r.run(20);
    const ping = encodeMessage({ type: MsgType.Ping, clientTimeMs: 1 }, EDGE);
    for (let t = 0; t < 6000 && !chatty.closed; t += 10) {
      for (let i = 0; i < 20; i++) chatty.link.send(ping, true); // 2000/s, over 600/s
      r.run(10, 10);
    }
    expect(chatty.closed).toBe(true);
    expect(m.refusedCount('rate')).toBeGreaterThan(100);
    expect(m.closedCount('flood')).toBe(2);
  });

  it('caps chunked messages of a joined connection by type and by number in progress', () => {
    const r = rig();
    const c = raw(r);
    c.send(hello);
    r.run(20);
    // A chunked "ping" of 300 KiB (anything not listed is capped at 256 KiB).
    const part = (first: number): Uint8Array => {
      const p = new Uint8Array(CHUNK_BYTES);
      p[0] = first;
      return p;
    };
    c.send({ type: MsgType.Chunk, id: 1, index: 0, count: 7, part: part(MsgType.Ping) });
    r.run(10);
    expect(r.relay.metrics.refusedCount('chunk')).toBe(1);
    expect(errors(c).at(-1)).toMatchObject({ code: ProtocolError.TooLarge });
    // Four keyframes in progress at once, a fifth is refused (an honest peer has one at a time).
    for (let id = 10; id < 15; id++) c.send({ type: MsgType.Chunk, id, index: 0, count: 20, part: part(MsgType.Keyframe) });
    r.run(10);
    expect(r.relay.metrics.refusedCount('chunk')).toBe(2);
    expect(existingConnectionGuard(r.relay)!.chunkBudget.used).toBe(4 * CHUNK_BYTES);
    expect(metricLine(r, `tessera_chunk_buffered_bytes ${4 * CHUNK_BYTES}`)).toBe(true);
    expect(c.closed).toBe(false); // refused, not closed: the budget closes floods
    // Its bytes are given back when it leaves.
    c.link.close();
    r.run(10);
    expect(existingConnectionGuard(r.relay)!.chunkBudget.used).toBe(0);
  });
});
