import { describe, expect, it } from 'vitest';
import { conditionedLink, MemoryNetwork, VirtualScheduler } from '../../src/index.js';

describe('conditionedLink (latency and loss injection)', () => {
  const setup = (seed: number) => {
    const scheduler = new VirtualScheduler();
    const net = new MemoryNetwork(1, scheduler, { delayMs: 0, jitterMs: 0 });
    const [a, b] = net.pair();
    const slow = conditionedLink(a, { delayMs: 40, jitterMs: 10, loss: 0.25 }, seed, scheduler);
    const got: { at: number; v: number }[] = [];
    b.onMessage = (bytes) => got.push({ at: scheduler.now(), v: bytes[0]! });
    return { scheduler, slow, got };
  };

  it('delays by 40–50 ms, keeps reliable messages in order, loses only unreliable ones', () => {
    const { scheduler, slow, got } = setup(7);
    for (let i = 0; i < 100; i++) slow.send(new Uint8Array([i]), true);
    scheduler.advance(39);
    expect(got).toHaveLength(0);
    scheduler.advance(20);
    expect(got.map((g) => g.v)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (const g of got) expect(g.at).toBeGreaterThanOrEqual(40);
    got.length = 0;
    for (let i = 0; i < 1000; i++) slow.send(new Uint8Array([i % 256]), false);
    scheduler.advance(100);
    expect(got.length).toBeGreaterThan(680); // ≈ 750 expected at 25 % loss
    expect(got.length).toBeLessThan(820);
  });

  it('replays exactly from its seed', () => {
    const run = (seed: number): number[] => {
      const { scheduler, slow, got } = setup(seed);
      for (let i = 0; i < 200; i++) slow.send(new Uint8Array([i % 256]), false);
      scheduler.advance(100);
      return got.map((g) => g.at * 1000 + g.v);
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });
});
