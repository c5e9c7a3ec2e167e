/** Token bucket: `perSecond` messages on average, bursts up to `burst`. The clock is injected (ms). */
export class RateLimiter {
  private tokens: number;
  private last: number;
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty (the message is refused). */
  take(): boolean {
    return this.takeN(1);
  }

  /** Takes `n` tokens at once; false (nothing taken) when fewer are left. */
  takeN(n: number): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.perSecond) / 1000);
    this.last = t;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

/**
 * Bytes a connection may send: `perSecond` bytes on average, bursts up to `burst` (a token
 * bucket counting bytes, where `RateLimiter` counts messages). A message bigger than the burst
 * is always refused. Defaults: 2 MiB/s, burst 8 MiB.
 */
export class ByteBudget {
  private readonly bucket: RateLimiter;
  constructor(
    now: () => number,
    /** Average bytes per second allowed (refill rate of the bucket). */
    readonly perSecond: number = 2 * 1024 * 1024,
    /** Bucket size, bytes: the most a connection may send at once. */
    readonly burst: number = 8 * 1024 * 1024,
  ) {
    this.bucket = new RateLimiter(perSecond, burst, now);
  }

  /** Takes `bytes` from the budget; false (nothing taken) when the message does not fit. */
  take(bytes: number): boolean {
    return this.bucket.takeN(bytes);
  }
}

/**
 * Tells a sender that is over its budget now and then (a burst: refused, kept) from one that
 * stays over it (a flood: closed). An overflow starts at a refusal and lasts while refusals
 * keep coming less than `quietMs` apart; `refused()` answers true once one has lasted
 * `closeAfterMs`.
 */
export class FloodMeter {
  private since: number | undefined;
  private last = Number.NEGATIVE_INFINITY;
  constructor(
    private readonly closeAfterMs: number,
    private readonly now: () => number,
    private readonly quietMs = 1000,
  ) {}

  /** Notes a refusal; true when the sender has been over budget for `closeAfterMs` without a pause. */
  refused(): boolean {
    const t = this.now();
    if (this.since === undefined || t - this.last >= this.quietMs) this.since = t;
    this.last = t;
    return t - this.since >= this.closeAfterMs;
  }

  /** How long the current overflow has lasted, ms (0 when there is none). */
  overflowMs(): number {
    const t = this.now();
    if (this.since === undefined || t - this.last >= this.quietMs) return 0;
    return t - this.since;
  }
}
