import { describe, expect, it } from 'vitest';
import { decodeMessage, demoScene, encodeMessage, initPhysics, leaseSigningBytes, MemoryNetwork, MsgType, resolveWorldConfig, VirtualScheduler, WorldClient, type Message, type TileLease } from '../../src/index.js';
import { ed25519Signer } from '../../relay/lease-signer.js';

// A client facing a relay played by the test: it must believe only leases the relay signed, and
// accept a tile's updates only from the holder of its current lease.

describe('WorldClient trust boundary', () => {
  it('refuses forged leases, updates from peers without the lease, and stale epochs', async () => {
    await initPhysics();
    const scheduler = new VirtualScheduler();
    const net = new MemoryNetwork(1, scheduler, { delayMs: 1, jitterMs: 0 });
    const [clientEnd, relayEnd] = net.pair();
    const received: Message[] = [];
    const config = resolveWorldConfig(demoScene().config);
    relayEnd.onMessage = (b) => received.push(decodeMessage(b, config.tileEdge));
    const client = new WorldClient({ relay: clientEnd, world: 'demo', now: () => scheduler.now() });
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.reason));
    const relay = ed25519Signer();
    const mallory = ed25519Signer();
    const send = (m: Message): void => relayEnd.send(encodeMessage(m, config.tileEdge), true);
    const lease = (owner: number, epoch: number, signer = relay): TileLease => {
      const body = { tile: { x: 0, y: 0, z: 0 }, owner, epoch, fromTick: 0, expiresTick: 600 };
      return { ...body, signature: signer.sign(leaseSigningBytes(body)) };
    };
    scheduler.advance(5);
    expect(received[0]?.type).toBe(MsgType.Hello);
    send({ type: MsgType.Welcome, peer: 9, world: 'demo', config, serverTimeMs: 0, tickZeroMs: 0, avatar: 1_000_000, relayKey: relay.publicKey, role: 'creator', kinds: [] });
    send({ type: MsgType.Lease, lease: lease(5, 2) });
    send({ type: MsgType.Lease, lease: lease(6, 3, mallory) }); // forged: signed by someone else
    scheduler.advance(5);
    expect(client.joined).toBe(true);
    expect(errors.some((e) => /bad relay signature/.test(e))).toBe(true);
    expect(client.tiles().find((t) => t.owner === 6)).toBeUndefined();

    const delta = (epoch: number): Uint8Array => encodeMessage({ type: MsgType.StateDelta, tile: { x: 0, y: 0, z: 0 }, epoch, tick: 10, seq: 1, poses: [], removed: [1], departed: [] }, config.tileEdge);
    const before = errors.length;
    send({ type: MsgType.Forwarded, from: 6, payload: delta(3) }); // the forger's peer
    send({ type: MsgType.Forwarded, from: 5, payload: delta(1) }); // the holder, under an old epoch
    send({ type: MsgType.Forwarded, from: 5, payload: delta(2) }); // the holder, current epoch: accepted
    scheduler.advance(5);
    const fresh = errors.slice(before);
    expect(fresh.some((e) => /does not hold its lease/.test(e))).toBe(true);
    expect(fresh.some((e) => /stale epoch 1/.test(e))).toBe(true);
    expect(fresh).toHaveLength(2);
    expect(client.stats().refused).toBe(errors.length);
  });
});
