import { describe, expect, it } from 'vitest';
import { ClockSync } from '../../src/net/clock-sync.js';

// The relay's clock is 1000 ms ahead of ours; one-way delays are what the cases make them.
const SERVER_AHEAD = 1000;
const sample = (c: ClockSync, sentMs: number, upMs: number, downMs: number): void => c.add(sentMs, sentMs + upMs + downMs, sentMs + upMs + SERVER_AHEAD);

describe('ClockSync', () => {
  it('estimates the offset from the sample with the shortest round trip', () => {
    const c = new ClockSync();
    sample(c, 0, 60, 20); // asymmetric: 20 ms off
    sample(c, 100, 10, 10);
    expect(c.offsetMs).toBe(SERVER_AHEAD);
    expect(c.errorMs).toBe(10);
  });

  it('slews a small correction: the timeline never jumps under moving objects', () => {
    const c = new ClockSync();
    sample(c, 0, 30, 10); // 10 ms off
    expect(c.smoothOffsetMs(100)).toBe(SERVER_AHEAD + 10);
    sample(c, 200, 5, 5);
    // 10 ms off, within the new estimate's bound × 4: moved at 5 % (0.05 ms per ms).
    expect(c.smoothOffsetMs(300)).toBeCloseTo(SERVER_AHEAD + 0, 6);
    const d = new ClockSync();
    sample(d, 0, 70, 10); // 30 ms off
    d.smoothOffsetMs(100);
    sample(d, 200, 10, 10);
    expect(d.smoothOffsetMs(200)).toBeCloseTo(SERVER_AHEAD + 30 - 5, 6); // 100 ms × 0.05
  });

  it('jumps to a good estimate when the old one was far outside its bound (pings held by a partition)', () => {
    const c = new ClockSync();
    // A partition held the ping 430 ms; the pong came back at once: 215 ms off, 448 ms round trip.
    sample(c, 0, 435, 13);
    expect(c.smoothOffsetMs(500)).toBeCloseTo(SERVER_AHEAD + 211, 6);
    sample(c, 1000, 13, 13);
    // 211 ms off against a 13 ms bound: the old estimate was wrong, not the clock; no 4 s slew.
    expect(c.smoothOffsetMs(1010)).toBe(SERVER_AHEAD);
  });

  it('slews quickly a correction far beyond the new bound yet under the snap (all first pings held by a partition)', () => {
    const c = new ClockSync();
    // The first samples all waited out a partition; the best of them: ping held 262 ms, pong 10 ms.
    sample(c, 0, 262, 10);
    expect(c.smoothOffsetMs(300)).toBeCloseTo(SERVER_AHEAD + 126, 6);
    expect(c.smoothOffsetMs(1000)).toBeCloseTo(SERVER_AHEAD + 126, 6);
    sample(c, 1000, 10, 10);
    // 126 ms off against a 10 ms bound: under the 150 ms snap, so slewed, at 0.25 ms per ms (not 0.05).
    expect(c.smoothOffsetMs(1100)).toBeCloseTo(SERVER_AHEAD + 126 - 25, 6);
    // Half a second later it is there (at 5 % it would still be 96 ms off).
    expect(c.smoothOffsetMs(1600)).toBe(SERVER_AHEAD);
  });

  it('replaces the rough seed from the welcome with the first real sample at once', () => {
    const c = new ClockSync();
    c.seed(5000, 4100);
    expect(c.smoothOffsetMs(0)).toBe(900);
    sample(c, 10, 50, 50);
    expect(c.smoothOffsetMs(120)).toBe(SERVER_AHEAD);
  });
});
