// Two relay cores, two nodes of one cluster: players joined to different nodes are in each
// other's roster, and their signalling and relayed traffic crosses between the nodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { decodeMessage, encodeMessage, initPhysics, MemoryNetwork, MsgType, PROTOCOL_VERSION, RosterView, standardKinds, VirtualScheduler, type Link, type Message } from '../../../src/index.js';
import { RelayCore } from '../../../relay/relay-core.js';
import { ed25519Signer } from '../../../relay/lease-signer.js';
import { SCENES } from '../../../relay/server.js';
import { BlockPeerIds } from '../../../relay/cluster/peer-ids.js';
import { InProcessHub, type ClusterBus } from '../../../relay/cluster/cluster-bus.js';
import { BusRemotePeers, clusterChannels } from '../../../relay/cluster/bus-remote-peers.js';
import { RedisBus } from '../../../relay/cluster/redis-bus.js';
import { describeWithRedis, startRedis, type TestRedis } from '../redis-server.js';

const EDGE = 16;

interface Node {
  readonly relay: RelayCore;
  readonly scheduler: VirtualScheduler;
  readonly net: MemoryNetwork;
  readonly remote: BusRemotePeers;
  readonly logs: Record<string, unknown>[];
  run(ms: number): void;
}

interface Raw {
  readonly link: Link;
  readonly got: Message[];
  send(m: Message): void;
}

async function node(name: string, bus: ClusterBus, reserve: (n: number) => Promise<number>, seed: number): Promise<Node> {
  const scheduler = new VirtualScheduler();
  const net = new MemoryNetwork(seed, scheduler, { delayMs: 1, jitterMs: 0 });
  const logs: Record<string, unknown>[] = [];
  const remote = new BusRemotePeers({ bus, node: name, prefix: 'tessera:test:', refused: (reason) => logs.push({ msg: 'bus refused', reason }) });
  await remote.start();
  const peerIds = new BlockPeerIds({ reserve, blockSize: 8 });
  await peerIds.start();
  const relay = new RelayCore({ world: 'test', scene: SCENES['demo']!(), registry: standardKinds(), now: () => scheduler.now(), signer: ed25519Signer(), log: (e) => logs.push(e), checkToken: () => undefined, peerIds, remotePeers: remote });
  return {
    relay,
    scheduler,
    net,
    remote,
    logs,
    run(ms) {
      for (let t = 0; t < ms; t += 4) {
        scheduler.advance(4);
        relay.tick();
      }
    },
  };
}

function raw(n: Node): Raw {
  const [me, relayEnd] = n.net.pair();
  const out: Raw = { link: me, got: [], send: (m) => me.send(encodeMessage(m, EDGE, Number.MAX_SAFE_INTEGER), true) };
  me.onMessage = (b) => {
    try {
      out.got.push(decodeMessage(b, EDGE, Number.MAX_SAFE_INTEGER));
    } catch {
      // chunks of big messages are not needed here
    }
  };
  n.relay.connect(relayEnd);
  out.send({ type: MsgType.Hello, version: PROTOCOL_VERSION, world: 'test', name: 'p', token: '' });
  return out;
}

/** The roster a client would hold now: the last full `Roster`, then the `RosterDelta`s after it. */
const rosterOf = (r: Raw): number[] | undefined => {
  const view = new RosterView();
  let any = false;
  for (const m of r.got) {
    if (m.type !== MsgType.Roster && m.type !== MsgType.RosterDelta) continue;
    any = true;
    view.apply(m);
  }
  return any ? view.players().map((p) => p.peer) : undefined;
};
const welcomeOf = (r: Raw): number => r.got.find((m): m is Extract<Message, { type: typeof MsgType.Welcome }> => m.type === MsgType.Welcome)!.peer;

/** Runs both nodes' clocks and the event loop (the bus) until `ok`, or fails after `ms` of real time. */
async function until(nodes: Node[], ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    for (const n of nodes) n.run(20);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Joins a player to each node; both see both; a signal and a relayed payload cross; a leave is seen on the other node. */
async function crossNodeScenario(a: Node, b: Node, extra?: (alice: Raw, bob: Raw, ids: [number, number]) => Promise<void>): Promise<void> {
  const alice = raw(a);
  const bob = raw(b);
  await until([a, b], () => alice.got.some((m) => m.type === MsgType.Welcome) && bob.got.some((m) => m.type === MsgType.Welcome));
  const ids: [number, number] = [welcomeOf(alice), welcomeOf(bob)];
  expect(ids[0]).not.toBe(ids[1]);
  const both = [...ids].sort((x, y) => x - y);
  await until([a, b], () => JSON.stringify(rosterOf(alice)) === JSON.stringify(both) && JSON.stringify(rosterOf(bob)) === JSON.stringify(both));
  // Signalling: alice offers to bob, on the other node; bob receives it from alice.
  alice.send({ type: MsgType.Signal, peer: ids[1], data: 'offer-from-alice' });
  await until([a, b], () => bob.got.some((m) => m.type === MsgType.Signal && m.peer === ids[0] && m.data === 'offer-from-alice'));
  bob.send({ type: MsgType.Signal, peer: ids[0], data: 'answer-from-bob' });
  await until([a, b], () => alice.got.some((m) => m.type === MsgType.Signal && m.peer === ids[1] && m.data === 'answer-from-bob'));
  // Relayed traffic (no direct connection): a payload crosses, byte for byte.
  const payload = new Uint8Array([1, 2, 3, 250, 0, 7]);
  alice.send({ type: MsgType.Forward, to: ids[1], reliable: true, payload });
  await until([a, b], () => bob.got.some((m) => m.type === MsgType.Forwarded && m.from === ids[0] && Buffer.from(m.payload).equals(Buffer.from(payload))));
  // A peer no node has is still refused.
  alice.send({ type: MsgType.Signal, peer: 999_999, data: 'x' });
  await until([a, b], () => a.logs.some((l) => l['msg'] === 'refused' && String(l['reason']).includes('signal to unknown peer 999999')));
  await extra?.(alice, bob, ids);
  // Bob leaves: alice's roster drops him.
  bob.link.close();
  await until([a, b], () => JSON.stringify(rosterOf(alice)) === JSON.stringify([ids[0]]));
}

describe('players on different nodes (in-process bus)', () => {
  it('see each other in the roster, signal each other and relay through both nodes', async () => {
    await initPhysics();
    const hub = new InProcessHub();
    let counter = 0;
    const reserve = (n: number): Promise<number> => Promise.resolve((counter += n));
    const a = await node('a', hub.bus(), reserve, 1);
    const b = await node('b', hub.bus(), reserve, 2);
    await crossNodeScenario(a, b, async (_alice, bob, ids) => {
      // A forged message on the bus, from a player node b does not list, is refused, not delivered.
      const before = bob.got.length;
      hub.bus().publish(clusterChannels('tessera:test:').to('b'), new TextEncoder().encode(JSON.stringify({ node: 'a', kind: 'signal', from: 4242, to: ids[1], data: 'forged' })));
      await until([a, b], () => b.logs.some((l) => l['msg'] === 'bus refused' && String(l['reason']).includes('4242')));
      expect(bob.got.slice(before).some((m) => m.type === MsgType.Signal && m.data === 'forged')).toBe(false);
    });
    await a.remote.stop();
    await b.remote.stop();
    a.relay.close();
    b.relay.close();
  }, 60_000);
});

describeWithRedis('players on different nodes (Redis pub/sub, real redis-server)', () => {
  let redis: TestRedis;
  const conns: Redis[] = [];
  const buses: ClusterBus[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const b of buses) await b.close();
    for (const c of conns) c.disconnect();
    await redis?.stop();
  });

  it('see each other in the roster, signal each other and relay through both nodes', async () => {
    await initPhysics();
    const open = async (): Promise<{ bus: ClusterBus; reserve: (n: number) => Promise<number> }> => {
      const c = new Redis(redis.url);
      conns.push(c);
      const bus = await RedisBus.open(c, redis.url);
      buses.push(bus);
      return { bus, reserve: (n) => c.incrby('tessera:test:peer-ids', n) };
    };
    const oa = await open();
    const ob = await open();
    const a = await node('a', oa.bus, oa.reserve, 1);
    const b = await node('b', ob.bus, ob.reserve, 2);
    await crossNodeScenario(a, b);
    await a.remote.stop();
    await b.remote.stop();
    a.relay.close();
    b.relay.close();
  }, 60_000);
});
