import { ChunkAssembler, ChunkBudget, encodeMessage, MsgType, ProtocolError, RELAY_CHUNK_CAP_MAX, relayChunkCap, type Link } from '../src/index.js';
import type { RelayMetrics } from './metrics.js';
import { ByteBudget, FloodMeter } from './rate-limiter.js';

// The relay's own resilience against floods, per connection: a connection must say hello in
// time and may not reassemble anything before it has; connections waiting for their hello are
// few; every connection has a byte budget next to its message rate, and one that stays over
// either is closed; chunked messages are capped by type, in number and in bytes held (per
// connection and over all of them). Refusals are counted (`tessera_refused_total`), closes too
// (`tessera_closed_total`), and logged at most once a second per connection and kind.

const MiB = 1024 * 1024;

/** Limits of the connection guard (defaults: `DEFAULT_GUARD_OPTIONS`). */
export interface ConnectionGuardOptions {
  /** A connection without a valid hello this long after it opened is closed, ms. */
  readonly helloTimeoutMs: number;
  /** Most connections waiting for their hello at once; more are closed as they come. */
  readonly maxUnjoined: number;
  /** Bytes per second a connection may send on average… */
  readonly bytesPerSecond: number;
  /** …and in a burst. */
  readonly byteBurst: number;
  /** A connection refused for its byte or message budget without a second's pause for this long is closed, ms. */
  readonly floodCloseMs: number;
  /** Chunked messages in progress per connection (a WebSocket delivers in order: an honest peer has one at a time). */
  readonly maxChunkStreams: number;
  /** Bytes of chunked messages in progress per connection. */
  readonly maxChunkBufferedBytes: number;
  /** Bytes of chunked messages in progress over every connection of the relay. */
  readonly maxChunkBytesTotal: number;
  /** At most one log line per this many ms per connection and kind of refusal (the rest are counted). */
  readonly logEveryMs: number;
}

/** Default guard limits: 10 s to say hello, 64 unjoined connections, 2 MiB/s with 8 MiB bursts, 4 chunk streams of at most 16 MiB buffered (128 MiB in all). */
export const DEFAULT_GUARD_OPTIONS: ConnectionGuardOptions = {
  helloTimeoutMs: 10_000,
  maxUnjoined: 64,
  bytesPerSecond: 2 * MiB,
  byteBurst: 8 * MiB,
  floodCloseMs: 3000,
  maxChunkStreams: 4,
  maxChunkBufferedBytes: 16 * MiB,
  maxChunkBytesTotal: 128 * MiB,
  logEveryMs: 1000,
};

type Log = (event: { level: 'info' | 'warn' | 'error'; msg: string } & Record<string, unknown>) => void;

/** What the guard needs from the relay. */
export interface GuardDeps {
  /** Wall clock, ms (the relay's). */
  readonly now: () => number;
  readonly log: Log;
  readonly metrics: RelayMetrics;
}

/** Why the relay closes a connection on its own account (the label of `tessera_closed_total`). */
export type CloseReason = 'hello-timeout' | 'unjoined-cap' | 'chunk-unjoined' | 'flood' | 'bad-hello';

/** The guard of one relay: its connections waiting for hello, and the chunk bytes of all of them. */
export class ConnectionGuard {
  readonly options: ConnectionGuardOptions;
  /** Bytes of chunked messages in progress over every connection. */
  readonly chunkBudget: ChunkBudget;
  private readonly unjoined = new Set<GuardedConnection>();
  private lastSweep = Number.NEGATIVE_INFINITY;
  private readonly admitLog = new LogThrottle();

  constructor(
    options: Partial<ConnectionGuardOptions>,
    readonly deps: GuardDeps,
  ) {
    this.options = { ...DEFAULT_GUARD_OPTIONS, ...options };
    this.chunkBudget = new ChunkBudget(this.options.maxChunkBytesTotal);
    deps.metrics.gauge('tessera_unjoined_connections', 'Connections that have not said hello yet.', () => this.unjoined.size);
    deps.metrics.gauge('tessera_chunk_buffered_bytes', 'Bytes of chunked messages being reassembled, over every connection.', () => this.chunkBudget.used);
  }

  /** Connections waiting for their hello. */
  get unjoinedCount(): number {
    return this.unjoined.size;
  }

  /**
   * A new connection: its guard, or undefined when `maxUnjoined` connections already wait for
   * their hello (this one is then refused, told why, and closed at once).
   */
  admit(link: Link): GuardedConnection | undefined {
    this.maybeSweep();
    const o = this.options;
    if (this.unjoined.size >= o.maxUnjoined) {
      const reason = `${this.unjoined.size} connections are already waiting to join`;
      this.deps.metrics.refused('unjoined-cap');
      this.deps.metrics.closed('unjoined-cap');
      this.admitLog.note('unjoined-cap', this.deps.now(), o.logEveryMs, (suppressed) => this.deps.log({ level: 'warn', msg: 'refused', kind: 'unjoined-cap', reason, ...(suppressed > 0 ? { suppressed } : {}) }));
      sendError(link, ProtocolError.RateLimited, `relay busy: ${reason}`);
      link.close();
      return undefined;
    }
    const g = new GuardedConnection(this, link, this.deps.now() + o.helloTimeoutMs);
    this.unjoined.add(g);
    return g;
  }

  /** Closes every connection whose hello is overdue. The server calls it on its timer; connections and messages call it too. */
  sweep(): void {
    const now = this.deps.now();
    this.lastSweep = now;
    for (const g of [...this.unjoined]) if (now >= g.helloDeadline) g.close('hello-timeout', `no hello within ${this.options.helloTimeoutMs} ms`);
  }

  /** `sweep`, at most every 50 ms. */
  maybeSweep(): void {
    if (this.unjoined.size > 0 && this.deps.now() - this.lastSweep >= 50) this.sweep();
  }

  /** @internal */
  forget(g: GuardedConnection): void {
    this.unjoined.delete(g);
  }
}

/** The guard of one connection: its byte budget, its chunk reassembly, its hello deadline. */
export class GuardedConnection {
  /** Reassembles this connection's chunked messages within the relay's caps. */
  readonly assembler: ChunkAssembler;
  private readonly budget: ByteBudget;
  private readonly flood: FloodMeter;
  private state: 'unjoined' | 'joined' | 'closed' = 'unjoined';
  private peer: number | undefined;
  private readonly logs = new LogThrottle();

  constructor(
    private readonly guard: ConnectionGuard,
    private readonly link: Link,
    /** When the hello is overdue (relay clock, ms). */
    readonly helloDeadline: number,
  ) {
    const o = guard.options;
    const now = guard.deps.now;
    this.budget = new ByteBudget(now, o.bytesPerSecond, o.byteBurst);
    this.flood = new FloodMeter(o.floodCloseMs, now);
    this.assembler = new ChunkAssembler({
      maxPending: o.maxChunkStreams,
      whenFull: 'refuse',
      maxBytes: RELAY_CHUNK_CAP_MAX,
      maxBytesOf: relayChunkCap,
      maxBufferedBytes: o.maxChunkBufferedBytes,
      shared: guard.chunkBudget,
      now,
    });
  }

  /** True once the guard closed the connection (or it closed): nothing more of it is handled. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  /** True once the connection said a valid hello. */
  get joined(): boolean {
    return this.state === 'joined';
  }

  /**
   * A message of `n` bytes arrived: true when it fits the byte budget. Otherwise it is refused
   * (counted as `bytes`), and a connection that stays over budget is closed.
   */
  takeBytes(n: number): boolean {
    this.guard.maybeSweep();
    if (this.budget.take(n)) return true;
    const o = this.guard.options;
    this.overBudget('bytes', `over the byte budget (${o.bytesPerSecond} B/s, burst ${o.byteBurst} B): a ${n}-byte message refused`);
    return false;
  }

  /** A message refused for a budget (`rate`: messages, `bytes`): counted, logged now and then, and past a sustained overflow the connection is closed. */
  overBudget(kind: 'rate' | 'bytes', reason: string): void {
    this.refused(kind, reason, ProtocolError.RateLimited);
    if (!this.closed && this.flood.refused()) this.close('flood', `over its ${kind === 'rate' ? 'message rate' : 'byte budget'} for ${this.guard.options.floodCloseMs} ms`);
  }

  /** Counts a refusal by kind; logs it and tells the sender at most once per `logEveryMs` per kind (the others are counted as suppressed). */
  refused(kind: string, reason: string, code: number = ProtocolError.BadMessage): void {
    const { deps, options } = this.guard;
    deps.metrics.refused(kind);
    this.logs.note(kind, deps.now(), options.logEveryMs, (suppressed) => {
      deps.log({ level: 'warn', msg: 'refused', kind, reason, peer: this.peer, ...(suppressed > 0 ? { suppressed } : {}) });
      sendError(this.link, code, reason);
    });
  }

  /** The connection said a valid hello: it is no longer counted as waiting. */
  joinedAs(peer: number): void {
    if (this.state !== 'unjoined') return;
    this.state = 'joined';
    this.peer = peer;
    this.guard.forget(this);
  }

  /** Closes the connection on the relay's own account: counted (refused and closed, by reason), logged, told. */
  close(reason: CloseReason, detail: string): void {
    if (this.state === 'closed') return;
    const { deps } = this.guard;
    if (reason !== 'flood') deps.metrics.refused(reason); // a flood's refusals were counted one by one
    deps.metrics.closed(reason);
    deps.log({ level: 'warn', msg: 'connection closed', reason, detail, peer: this.peer });
    sendError(this.link, reason === 'flood' ? ProtocolError.RateLimited : reason === 'hello-timeout' ? ProtocolError.Unauthorized : ProtocolError.BadMessage, `${reason}: ${detail}`);
    this.release();
    this.link.close();
  }

  /** The hello was refused (and the connection closed by the relay): nothing more of it is handled. */
  abandon(): void {
    if (this.state === 'closed') return;
    this.guard.deps.metrics.closed('bad-hello');
    this.release();
    this.link.close();
  }

  /** The link closed: its slot and its chunk bytes are given back. */
  release(): void {
    this.state = 'closed';
    this.guard.forget(this);
    this.assembler.clear();
  }
}

/** At most one log line per interval per key; the lines left out are counted into the next. */
class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  note(key: string, now: number, everyMs: number, write: (suppressed: number) => void): void {
    const l = this.last.get(key);
    if (l && now - l.at < everyMs) {
      l.suppressed++;
      return;
    }
    write(l?.suppressed ?? 0);
    this.last.set(key, { at: now, suppressed: 0 });
  }
}

function sendError(link: Link, code: number, reason: string): void {
  try {
    link.send(encodeMessage({ type: MsgType.Error, code, reason: reason.slice(0, 200) }, 1), true);
  } catch {
    // the link is gone; nothing more to tell it
  }
}

const settings = new WeakMap<object, Partial<ConnectionGuardOptions>>();
const guards = new WeakMap<object, ConnectionGuard>();

/**
 * Sets a relay's guard limits (defaults otherwise); call it before the relay's first
 * connection. `owner` is the relay core.
 */
export function configureConnectionGuard(owner: object, options: Partial<ConnectionGuardOptions>): void {
  if (guards.has(owner)) throw new Error('configure the connection guard before the relay takes its first connection');
  settings.set(owner, { ...settings.get(owner), ...options });
}

/** The guard of a relay (made at its first connection, with the configured limits). */
export function connectionGuard(owner: object, deps: GuardDeps): ConnectionGuard {
  let g = guards.get(owner);
  if (!g) guards.set(owner, (g = new ConnectionGuard(settings.get(owner) ?? {}, deps)));
  return g;
}

/** The guard of a relay if it has taken a connection yet (the server sweeps it on its timer). */
export function existingConnectionGuard(owner: object): ConnectionGuard | undefined {
  return guards.get(owner);
}
