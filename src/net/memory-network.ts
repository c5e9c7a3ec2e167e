import { SeededRng } from '../core/rng.js';
import type { Link } from './link.js';

/** How a simulated network treats messages: one-way delay (ms), jitter, loss and reordering of unreliable messages. */
export interface NetworkConditions {
  /** Base one-way delay, ms (default 5). */
  readonly delayMs: number;
  /** Extra uniformly random delay, ms (default 5). Unreliable messages may overtake each other by this much. */
  readonly jitterMs: number;
  /** Probability an unreliable message is lost, 0..1 (default 0). */
  readonly loss: number;
  /** Probability an unreliable message arrives twice (the copy up to `jitterMs` later), 0..1 (default 0). */
  readonly duplicate?: number;
}

/** Timers the network schedules deliveries on: a virtual clock in the harness, real time otherwise. */
export interface Scheduler {
  /** The current time, ms. */
  now(): number;
  /** Runs `run` at `timeMs` (ms, on the `now()` clock; a past time runs as soon as possible). */
  at(timeMs: number, run: () => void): void;
}

/**
 * An in-memory network: link pairs whose deliveries (delay, order, loss) come from one seeded
 * RNG, so a run replays exactly from its seed. Used by the test harness and the swarm bench.
 */
export class MemoryNetwork {
  private readonly rng: SeededRng;
  private readonly scheduler: Scheduler;
  private conditions: NetworkConditions;
  /** Messages and bytes delivered, for tests and benches. */
  readonly counters = {
    /** Messages delivered. */
    messages: 0,
    /** Bytes delivered. */
    bytes: 0,
    /** Messages lost (to `loss`, or unreliable ones during a cut). */
    dropped: 0,
  };

  constructor(seed: number, scheduler: Scheduler, conditions: Partial<NetworkConditions> = {}) {
    this.rng = new SeededRng(seed);
    this.scheduler = scheduler;
    this.conditions = { delayMs: 5, jitterMs: 5, loss: 0, ...conditions };
  }

  /** Changes conditions for messages sent from now on. */
  setConditions(c: Partial<NetworkConditions>): void {
    this.conditions = { ...this.conditions, ...c };
  }

  /**
   * Creates a connected pair of links. `extraDelayMs` (a number, or read at every send) is added
   * to every message's one-way delay on this pair, both ways (a slow access link: a player far away).
   * `cutUntil` (read at every send) partitions the pair until that time: unreliable messages are
   * lost, reliable ones wait and arrive in order after it, as a data channel's retransmissions do.
   */
  pair(extraDelayMs: number | (() => number) = 0, cutUntil?: () => number): [Link, Link] {
    const a = new MemoryLink(this, extraDelayMs, cutUntil);
    const b = new MemoryLink(this, extraDelayMs, cutUntil);
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  /** @internal Schedules delivery of one message from a link to its peer. */
  deliver(to: MemoryLink, bytes: Uint8Array, reliable: boolean, lastReliableAt: number, extraDelayMs = 0, cutUntil = -1): number {
    const c = this.conditions;
    const cut = this.scheduler.now() < cutUntil;
    if (cut && !reliable) {
      this.counters.dropped++;
      return lastReliableAt;
    }
    if (!reliable && this.rng.next() < c.loss) {
      this.counters.dropped++;
      return lastReliableAt;
    }
    let at = (cut ? cutUntil : this.scheduler.now()) + c.delayMs + extraDelayMs + this.rng.next() * c.jitterMs;
    if (reliable) at = Math.max(at, lastReliableAt); // reliable messages keep their order
    const copy = bytes.slice();
    const arrive = (bytes: Uint8Array): void => {
      if (!to.open) return;
      this.counters.messages++;
      this.counters.bytes += bytes.length;
      to.onMessage?.(bytes);
    };
    this.scheduler.at(at, () => arrive(copy));
    // Drawn only when duplication is on, so worlds without it replay exactly as before.
    if (!reliable && c.duplicate && this.rng.next() < c.duplicate) this.scheduler.at(at + this.rng.next() * c.jitterMs, () => arrive(copy.slice()));
    return reliable ? at : lastReliableAt;
  }

  /** @internal Closes the peer of a link after the base delay. */
  closeLater(to: MemoryLink): void {
    this.scheduler.at(this.scheduler.now() + this.conditions.delayMs, () => to.closeLocal());
  }
}

class MemoryLink implements Link {
  peer: MemoryLink | undefined;
  onMessage: ((bytes: Uint8Array) => void) | undefined;
  onClose: (() => void) | undefined;
  private isOpen = true;
  private lastReliableAt = 0;
  constructor(
    private readonly net: MemoryNetwork,
    private readonly extraDelayMs: number | (() => number),
    private readonly cutUntil: (() => number) | undefined,
  ) {}

  get open(): boolean {
    return this.isOpen;
  }

  send(bytes: Uint8Array, reliable: boolean): void {
    if (!this.isOpen || !this.peer) return;
    const extra = typeof this.extraDelayMs === 'number' ? this.extraDelayMs : this.extraDelayMs();
    this.lastReliableAt = this.net.deliver(this.peer, bytes, reliable, this.lastReliableAt, extra, this.cutUntil?.() ?? -1);
  }

  close(): void {
    if (!this.isOpen) return;
    this.closeLocal();
    if (this.peer) this.net.closeLater(this.peer);
  }

  closeLocal(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.onClose?.();
  }
}

/**
 * A virtual clock with a timer queue: `advance(ms)` runs every timer due, in time order (ties in
 * scheduling order). Deterministic, so harness runs replay from their seed.
 */
export class VirtualScheduler implements Scheduler {
  private time = 0;
  private seq = 0;
  private queue: { at: number; seq: number; run: () => void }[] = [];

  /** The virtual time, ms (starts at 0; moves only with `advance`). */
  now(): number {
    return this.time;
  }

  /** Queues `run` for virtual time `timeMs` (ms; a past time runs at the next `advance`). */
  at(timeMs: number, run: () => void): void {
    const item = { at: Math.max(timeMs, this.time), seq: this.seq++, run };
    // Binary insertion keeps the queue sorted by (at, seq).
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const q = this.queue[mid]!;
      if (q.at < item.at || (q.at === item.at && q.seq < item.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, item);
  }

  /** Runs timers up to `now + ms`, then sets the clock there. */
  advance(ms: number): void {
    const end = this.time + ms;
    while (this.queue.length > 0 && this.queue[0]!.at <= end) {
      const item = this.queue.shift()!;
      this.time = item.at;
      item.run();
    }
    this.time = end;
  }
}
