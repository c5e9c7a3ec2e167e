/**
 * Estimates the relay's clock from ping/pong exchanges (NTP-style): each sample gives
 * offset = server − (sent + received) / 2 with an error bound of rtt / 2; the estimate uses
 * the sample with the smallest round trip among the recent ones.
 */
export class ClockSync {
  private samples: { rtt: number; offset: number }[] = [];
  constructor(private readonly window = 16) {}

  /** Adds a sample: local send and receive times and the server's time, ms. */
  add(sentMs: number, receivedMs: number, serverMs: number): void {
    const rtt = Math.max(0, receivedMs - sentMs);
    this.samples.push({ rtt, offset: serverMs - (sentMs + receivedMs) / 2 });
    if (this.samples.length > this.window) this.samples.shift();
  }

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
    return this.best()?.offset ?? 0;
  }

  /** Bound on the offset's error, ms (half the best round trip). */
  get errorMs(): number {
    const b = this.best();
    return b ? b.rtt / 2 : Number.POSITIVE_INFINITY;
  }

  /** Latest round-trip time, ms. */
  get rttMs(): number {
    return this.samples.at(-1)?.rtt ?? 0;
  }
}
