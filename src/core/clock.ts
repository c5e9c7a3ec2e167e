/**
 * The tick clock: where the shared virtual timeline stands. Simulation code never reads wall
 * time; it is handed ticks. Adapters map wall time to ticks with `tickAtTime`.
 */
export interface TickClock {
  /** Ticks per second (Hz). */
  readonly tickRate: number;
  /** The current tick (integer). */
  now(): number;
}

/** A clock moved by hand: tests, replays and the auditor use it. */
export class ManualTickClock implements TickClock {
  readonly tickRate: number;
  private tick: number;
  constructor(tickRate: number, startTick = 0) {
    this.tickRate = tickRate;
    this.tick = startTick;
  }
  now(): number {
    return this.tick;
  }
  /** Moves the clock forward by `ticks` (default 1). */
  advance(ticks = 1): number {
    this.tick += ticks;
    return this.tick;
  }
}

/** The tick at wall time `timeMs` of a timeline whose tick 0 began at `epochMs`, ticking at `tickRate` Hz. */
export function tickAtTime(timeMs: number, epochMs: number, tickRate: number): number {
  return Math.floor(((timeMs - epochMs) * tickRate) / 1000);
}

/** A clock driven by an injected wall-time source (ms), e.g. the page's monotonic clock; core code never reads one itself. */
export class WallTickClock implements TickClock {
  readonly tickRate: number;
  private readonly epochMs: number;
  private readonly timeMs: () => number;
  constructor(tickRate: number, timeMs: () => number, epochMs = timeMs()) {
    this.tickRate = tickRate;
    this.timeMs = timeMs;
    this.epochMs = epochMs;
  }
  now(): number {
    return tickAtTime(this.timeMs(), this.epochMs, this.tickRate);
  }
}
