import { Redis } from 'ioredis';
import type { ClusterBus } from './cluster-bus.js';

/**
 * The cluster bus on Redis pub/sub: publishes on the node's connection, and hears on a second
 * connection of its own (a subscribed Redis connection can do nothing else). While Redis is
 * unreachable, published messages are dropped (pub/sub keeps nothing); the subscriber
 * reconnects and subscribes again by itself.
 */
export class RedisBus implements ClusterBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, (message: Uint8Array) => void>();

  private constructor(pub: Redis, sub: Redis) {
    this.pub = pub;
    this.sub = sub;
    sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.handlers.get(channel.toString())?.(new Uint8Array(message.buffer, message.byteOffset, message.length)));
  }

  /** A bus publishing on `pub` (the caller's connection, not closed here) and hearing on a new connection to `url`. */
  static async open(pub: Redis, url: string, connectTimeoutMs = 3000): Promise<RedisBus> {
    const sub = new Redis(url, { lazyConnect: true, connectTimeout: connectTimeoutMs, maxRetriesPerRequest: 1 });
    // Reported through the lease table's status; the connection retries by itself.
    sub.on('error', () => undefined);
    await sub.connect();
    return new RedisBus(pub, sub);
  }

  /** Publishes; dropped while Redis is unreachable. */
  publish(channel: string, message: Uint8Array): void {
    this.pub.publish(channel, Buffer.from(message.buffer, message.byteOffset, message.byteLength)).catch(() => undefined);
  }

  /** Subscribes (again after every reconnection: ioredis resubscribes). */
  async subscribe(channel: string, handler: (message: Uint8Array) => void): Promise<void> {
    this.handlers.set(channel, handler);
    await this.sub.subscribe(channel);
  }

  /** Closes the subscriber connection. */
  close(): Promise<void> {
    this.handlers.clear();
    this.sub.disconnect();
    return Promise.resolve();
  }
}
