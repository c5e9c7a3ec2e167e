// The channel nodes of a cluster talk on: publish to a named channel, every subscriber of it
// hears. Redis pub/sub between processes (`redis-bus.ts`); `InProcessBus` between relay cores
// of one process (tests, and the shape a single process has).

/** Publish/subscribe between the nodes of a cluster. Delivery is at most once and in order per publisher, as Redis pub/sub's. */
export interface ClusterBus {
  /** Sends `message` to every subscriber of `channel` (none: it is dropped). */
  publish(channel: string, message: Uint8Array): void;
  /** Hears `channel` from now on; resolves once subscribed. */
  subscribe(channel: string, handler: (message: Uint8Array) => void): Promise<void>;
  /** Stops hearing and sending. */
  close(): Promise<void>;
}

/**
 * A hub shared by the relay cores of one process: `bus()` gives each core its own end. Messages
 * are delivered on a later turn of the event loop, as a network's would be.
 */
export class InProcessHub {
  private readonly handlers = new Map<string, Set<(message: Uint8Array) => void>>();

  /** One core's end of the hub. */
  bus(): ClusterBus {
    const mine: [string, (message: Uint8Array) => void][] = [];
    let open = true;
    return {
      publish: (channel, message) => {
        if (!open) return;
        const copy = message.slice();
        setImmediate(() => {
          for (const h of this.handlers.get(channel) ?? []) h(copy);
        });
      },
      subscribe: (channel, handler) => {
        let set = this.handlers.get(channel);
        if (!set) this.handlers.set(channel, (set = new Set()));
        set.add(handler);
        mine.push([channel, handler]);
        return Promise.resolve();
      },
      close: () => {
        open = false;
        for (const [c, h] of mine) this.handlers.get(c)?.delete(h);
        return Promise.resolve();
      },
    };
  }
}
