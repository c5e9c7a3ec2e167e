import { SeededRng } from '../core/rng.js';
import type { Link } from './link.js';
import type { NetworkConditions, Scheduler } from './memory-network.js';

/** A `Scheduler` on the real clock (timers), for conditioned links in browsers and Node. */
export function realTimeScheduler(now: () => number = () => performance.now()): Scheduler {
  return { now, at: (timeMs, run) => void setTimeout(run, Math.max(0, timeMs - now())) };
}

/**
 * Wraps a link so that what it sends suffers a one-way delay, jitter and (for unreliable
 * messages) loss drawn from a seeded RNG: latency and loss injection for tests, benchmarks and
 * the demo (`?delay=40&jitter=10&loss=0.02`). Reliable messages keep their order; unreliable
 * ones may overtake each other by up to the jitter. Receiving is untouched (wrap both ends to
 * condition both directions).
 */
export function conditionedLink(link: Link, conditions: Partial<NetworkConditions>, seed: number, scheduler: Scheduler): Link {
  const c: NetworkConditions = { delayMs: 0, jitterMs: 0, loss: 0, ...conditions };
  const rng = new SeededRng(seed);
  let lastReliableAt = 0;
  const wrapped: Link = {
    get open() {
      return link.open;
    },
    onMessage: undefined,
    onClose: undefined,
    send(bytes, reliable) {
      if (!reliable && rng.next() < c.loss) return;
      let at = scheduler.now() + c.delayMs + rng.next() * c.jitterMs;
      if (reliable) at = lastReliableAt = Math.max(at, lastReliableAt);
      const copy = bytes.slice();
      if (at <= scheduler.now()) link.send(copy, reliable);
      else scheduler.at(at, () => link.send(copy, reliable));
    },
    close() {
      link.close();
    },
  };
  link.onMessage = (bytes) => wrapped.onMessage?.(bytes);
  link.onClose = () => wrapped.onClose?.();
  return wrapped;
}
