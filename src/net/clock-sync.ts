/** Corrections smaller than this are always slewed, however good the new estimate (ms): a browser's pongs jitter by tens of ms, and a 50 ms snap shows as a 25 cm jump of a walking avatar. */
const MIN_SNAP_MS = 150;
/** Corrections over this (and over 4× the new estimate's error bound) are slewed at `FAST_SLEW`: the old estimate was bad, yet a snap would show. */
const FAST_SLEW_FROM_MS = 40;
/** How fast such a correction is slewed (ms per ms): 126 ms in half a second instead of 2.5 s; objects run 1.25× meanwhile, they do not jump. */
const FAST_SLEW = 0.25;

/**
 * Estimates the relay's clock from ping/pong exchanges (NTP-style): each sample gives
 * offset = server − (sent + received) / 2 with an error bound of rtt / 2; the estimate uses
 * the sample with the smallest round trip among the recent ones.
 */
export class ClockSync {
  private samples: { rtt: number; offset: number }[] = [];
  private slewed: number | undefined;
  private slewedAt = 0;
  /**
   * `window`: samples kept. `maxSlew`: how fast the offset used for the timeline may move toward
   * a new estimate (ms per ms of local time), so that the shared clock never jumps under
   * moving objects; corrections over `snapMs` are applied at once.
   */
  constructor(
    private readonly window = 16,
    private readonly maxSlew = 0.05,
    private readonly snapMs = 250,
  ) {}

  /** Adds a sample: local send and receive times and the server's time, ms. */
  add(sentMs: number, receivedMs: number, serverMs: number): void {
    const rtt = Math.max(0, receivedMs - sentMs);
    this.samples.push({ rtt, offset: serverMs - (sentMs + receivedMs) / 2 });
    if (this.samples.length > this.window) this.samples.shift();
  }

  /** A first, rough estimate (e.g. from a welcome message, one-way delay unknown); any real sample replaces it. */
  seed(serverMs: number, localMs: number): void {
    if (this.samples.length === 0) this.seeded = serverMs - localMs;
  }
  private seeded: number | undefined;
  private sampled = false;

  /** True once at least one sample arrived. */
  get ready(): boolean {
    return this.samples.length > 0;
  }

  private best(): { rtt: number; offset: number } | undefined {
    let best: { rtt: number; offset: number } | undefined;
    for (const s of this.samples) if (!best || s.rtt < best.rtt) best = s;
    return best;
  }

  /** Estimated server time minus local time, ms. */
  get offsetMs(): number {
    return this.best()?.offset ?? this.seeded ?? 0;
  }

  /** Bound on the offset's error, ms (half the best round trip). */
  get errorMs(): number {
    const b = this.best();
    return b ? b.rtt / 2 : Number.POSITIVE_INFINITY;
  }

  /**
   * The offset to use at local time `nowMs`: follows `offsetMs`, but moves at most `maxSlew`
   * ms per ms (a smooth clock), unless it is more than `snapMs` off (then it jumps).
   */
  smoothOffsetMs(nowMs: number): number {
    const target = this.offsetMs;
    // The welcome's rough seed is off by the whole one-way delay: the first real sample replaces it at once.
    const firstSample = this.ready && !this.sampled;
    if (firstSample) this.sampled = true;
    // A correction far beyond the new estimate's own error bound means the old estimate was
    // bad (a ping held up by a partition, a pong answered in a stall), not that the clock drifted:
    // slewing 200 ms at 5 % would leave this player's timeline off for four seconds.
    const snapAt = Math.min(this.snapMs, Math.max(MIN_SNAP_MS, 4 * this.errorMs));
    const off = this.slewed === undefined ? 0 : Math.abs(target - this.slewed);
    if (this.slewed === undefined || firstSample || off > snapAt) {
      this.slewed = target;
    } else {
      // Off by more than the snap's floor allows but far beyond the new bound (e.g. the first
      // samples all came through a partition, their pings held on the way out): not a drift, so a
      // quicker slew; a player whose clock stands 7 ticks ahead owns tiles 7 ticks in the future.
      const rate = off > Math.max(FAST_SLEW_FROM_MS, 4 * this.errorMs) ? Math.max(this.maxSlew, FAST_SLEW) : this.maxSlew;
      const step = Math.max(0, nowMs - this.slewedAt) * rate;
      this.slewed += Math.max(-step, Math.min(step, target - this.slewed));
    }
    this.slewedAt = nowMs;
    return this.slewed;
  }

  /** Latest round-trip time, ms. */
  get rttMs(): number {
    return this.samples.at(-1)?.rtt ?? 0;
  }
}
