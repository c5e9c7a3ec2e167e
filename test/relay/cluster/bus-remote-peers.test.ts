import { describe, expect, it } from 'vitest';
import { InProcessHub } from '../../../relay/cluster/cluster-bus.js';
import { BusRemotePeers, clusterChannels } from '../../../relay/cluster/bus-remote-peers.js';
import type { PeerTraffic } from '../../../relay/cluster/remote-peers.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('BusRemotePeers', () => {
  it('drops a node not heard for its TTL (cut off from Redis, or killed), and tells the core', async () => {
    const hub = new InProcessHub();
    let now = 0;
    const changes: number[] = [];
    const a = new BusRemotePeers({ bus: hub.bus(), node: 'a', prefix: 'w:', now: () => now, rosterTtlMs: 3000, republishMs: 60_000 });
    a.attach({ deliver: () => undefined, rosterChanged: () => changes.push(a.players().length) });
    const bBus = hub.bus();
    const b = new BusRemotePeers({ bus: bBus, node: 'b', prefix: 'w:', now: () => now, republishMs: 60_000 });
    await a.start();
    await b.start();
    b.publishLocal([{ peer: 5, name: 'bob', avatar: 1_000_004 }]);
    await turn();
    expect(a.players()).toEqual([{ peer: 5, name: 'bob', avatar: 1_000_004 }]);
    expect(a.send({ kind: 'signal', from: 1, to: 5, data: 'x' })).toBe(true);
    await bBus.close(); // b is cut off: it publishes nothing more
    now = 2999;
    expect(a.players().length).toBe(1);
    now = 3001;
    expect(a.players()).toEqual([]);
    expect(a.send({ kind: 'signal', from: 1, to: 5, data: 'x' })).toBe(false);
    expect(changes).toEqual([1, 0]);
    await a.stop();
  });

  it('refuses malformed messages and traffic from a sender its node does not list', async () => {
    const hub = new InProcessHub();
    const refused: string[] = [];
    const got: PeerTraffic[] = [];
    const a = new BusRemotePeers({ bus: hub.bus(), node: 'a', prefix: 'w:', refused: (r) => refused.push(r), republishMs: 60_000 });
    a.attach({ deliver: (t) => got.push(t), rosterChanged: () => undefined });
    await a.start();
    const forge = hub.bus();
    const ch = clusterChannels('w:');
    const put = (channel: string, v: unknown): void => forge.publish(channel, new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v)));
    put(ch.roster, 'not json');
    put(ch.roster, { node: 'b', players: [{ peer: -1, name: 'x', avatar: 1 }] });
    put(ch.roster, { node: 'b', players: [{ peer: 5, name: 'bob', avatar: 1_000_004 }] });
    put(ch.to('a'), { node: 'b', kind: 'signal', from: 6, to: 1, data: 'forged' });
    put(ch.to('a'), { node: 'b', kind: 'forward', from: 5, to: 1, reliable: true, payload: 123 });
    put(ch.to('a'), { node: 'b', kind: 'signal', from: 5, to: 1, data: 'ok' });
    put(ch.to('a'), { node: 'b', kind: 'forward', from: 5, to: 1, reliable: false, payload: Buffer.from([1, 2]).toString('base64') });
    await turn();
    expect(refused).toEqual(['roster: not a JSON object', 'roster of b: malformed player', 'traffic from 6, whom node b does not list', 'traffic of kind forward: malformed']);
    expect(got).toEqual([
      { kind: 'signal', from: 5, to: 1, data: 'ok' },
      { kind: 'forward', from: 5, to: 1, reliable: false, payload: new Uint8Array([1, 2]) },
    ]);
    await a.stop();
  });
});
