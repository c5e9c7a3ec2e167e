import { describe, expect, it } from 'vitest';
import { ByteBudget, FloodMeter, RateLimiter } from '../../relay/rate-limiter.js';

const MiB = 1024 * 1024;

describe('budgets', () => {
  it('ByteBudget: a burst of 8 MiB, then 2 MiB/s; a message bigger than the burst never fits', () => {
    let now = 0;
    const b = new ByteBudget(() => now);
    expect(b.perSecond).toBe(2 * MiB);
    expect(b.burst).toBe(8 * MiB);
    for (let i = 0; i < 8; i++) expect(b.take(MiB)).toBe(true);
    expect(b.take(1)).toBe(false);
    now += 500; // 1 MiB back
    expect(b.take(MiB)).toBe(true);
    expect(b.take(1024)).toBe(false);
    now += 60_000; // full again, not more
    expect(b.take(8 * MiB)).toBe(true);
    expect(b.take(1)).toBe(false);
    now += 60_000;
    expect(b.take(8 * MiB + 1)).toBe(false);
    expect(b.take(8 * MiB)).toBe(true); // a refused message takes nothing
  });

  it('RateLimiter still counts messages one by one', () => {
    let now = 0;
    const r = new RateLimiter(10, 2, () => now);
    expect([r.take(), r.take(), r.take()]).toEqual([true, true, false]);
    now += 100;
    expect(r.take()).toBe(true);
  });

  it('FloodMeter: refusals with pauses are bursts; refusals without a 1 s pause for 3 s are a flood', () => {
    let now = 0;
    const f = new FloodMeter(3000, () => now);
    // Refused every 900 ms: never a pause of 1 s, so after 3 s it is a flood.
    const verdicts: boolean[] = [];
    for (; now <= 3600; now += 900) verdicts.push(f.refused());
    expect(verdicts).toEqual([false, false, false, false, true]);
    // Refused in bursts with 1 s pauses between them: never.
    const g = new FloodMeter(3000, () => now);
    for (let i = 0; i < 20; i++) {
      for (let k = 0; k < 10; k++) {
        expect(g.refused()).toBe(false);
        now += 50;
      }
      now += 1000;
    }
    expect(g.overflowMs()).toBe(0);
  });
});
