import type { PeerId } from '../../src/index.js';
import type { ClusterBus } from './cluster-bus.js';
import type { PeerTraffic, RemotePeers, RemoteSink, RosterPlayer } from './remote-peers.js';

/** How a node reaches the other nodes' players. */
export interface BusRemotePeersOptions {
  /** The cluster bus. */
  readonly bus: ClusterBus;
  /** This node's id. */
  readonly node: string;
  /** Channel prefix, naming the world (`tessera:<world>:`). */
  readonly prefix: string;
  /** A node whose roster was not heard for this long is gone, ms (default 3000). */
  readonly rosterTtlMs?: number;
  /** The roster is published again this often, ms (default 1000), for nodes that joined since. */
  readonly republishMs?: number;
  /** Clock, ms (default `performance.now`). */
  readonly now?: () => number;
  /** Told of every message from the bus that was refused (malformed, or a sender its node does not list). */
  readonly refused?: (reason: string) => void;
}

/** Largest message taken from the bus, bytes (a relayed payload is at most 64 KiB, base64 in JSON). */
const MAX_BUS_MESSAGE = 128 * 1024;
/** Most players one node may list. */
const MAX_ROSTER = 4096;

/** The pub/sub channels of one world. */
export interface ClusterChannels {
  /** Every node's players (`<prefix>roster`). */
  readonly roster: string;
  /** The channel of traffic for `node`'s players (`<prefix>to:<node>`). */
  to(node: string): string;
}

/** The channels of world prefix `prefix`: every node's roster, and each node's own traffic. */
export function clusterChannels(prefix: string): ClusterChannels {
  return { roster: `${prefix}roster`, to: (node) => `${prefix}to:${node}` };
}

/**
 * The other nodes' players over the cluster bus. Each node publishes its players on the roster
 * channel at every change and once a second; a node not heard for `rosterTtlMs` is dropped.
 * Traffic for a player goes on the channel of the node that lists it, and is taken there only
 * from a sender the sending node lists and for a player of the receiving node.
 */
export class BusRemotePeers implements RemotePeers {
  private readonly opts: BusRemotePeersOptions;
  private readonly channels: ClusterChannels;
  private readonly now: () => number;
  private readonly ttl: number;
  private readonly remote = new Map<string, { players: RosterPlayer[]; heardAt: number }>();
  private local: readonly RosterPlayer[] = [];
  private sink: RemoteSink | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** The remote players the core was last told of (JSON). */
  private shown = '[]';

  /** Call `start()` to subscribe. */
  constructor(opts: BusRemotePeersOptions) {
    this.opts = opts;
    this.channels = clusterChannels(opts.prefix);
    this.now = opts.now ?? (() => performance.now());
    this.ttl = opts.rosterTtlMs ?? 3000;
  }

  /** Subscribes to the roster and this node's channel, and starts republishing. */
  async start(): Promise<void> {
    await this.opts.bus.subscribe(this.channels.roster, (b) => this.onRoster(b));
    await this.opts.bus.subscribe(this.channels.to(this.opts.node), (b) => this.onTraffic(b));
    this.timer = setInterval(() => {
      this.publish();
      this.expire();
    }, this.opts.republishMs ?? 1000);
    this.timer.unref();
    this.publish();
  }

  /** Tells the others this node has no players any more, and stops. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.local = [];
    this.publish();
    await new Promise((r) => setImmediate(r));
  }

  /** Where inbound traffic and roster changes go. */
  attach(sink: RemoteSink): void {
    this.sink = sink;
  }

  /** Sends to the node that lists `to`. */
  send(t: PeerTraffic): boolean {
    const node = this.nodeOf(t.to);
    if (node === undefined) return false;
    const body = t.kind === 'signal' ? { kind: t.kind, from: t.from, to: t.to, data: t.data } : { kind: t.kind, from: t.from, to: t.to, reliable: t.reliable, payload: Buffer.from(t.payload).toString('base64') };
    this.opts.bus.publish(this.channels.to(node), encode({ node: this.opts.node, ...body }));
    return true;
  }

  /** Players of the live other nodes, sorted by id. */
  players(): readonly RosterPlayer[] {
    this.expire();
    return this.listed();
  }

  private listed(): RosterPlayer[] {
    return [...this.remote.values()].flatMap((r) => r.players).sort((a, b) => a.peer - b.peer);
  }

  /** Publishes this node's players if they changed. */
  publishLocal(players: readonly RosterPlayer[]): void {
    const changed = JSON.stringify(players) !== JSON.stringify(this.local);
    this.local = players.map((p) => ({ peer: p.peer, name: p.name, avatar: p.avatar }));
    if (changed) this.publish();
  }

  private publish(): void {
    this.opts.bus.publish(this.channels.roster, encode({ node: this.opts.node, players: this.local }));
  }

  private nodeOf(peer: PeerId): string | undefined {
    this.expire();
    for (const [node, r] of this.remote) if (r.players.some((p) => p.peer === peer)) return node;
    return undefined;
  }

  private expire(): void {
    const now = this.now();
    for (const [node, r] of this.remote) if (now - r.heardAt > this.ttl) this.remote.delete(node);
    this.changed();
  }

  /** Tells the core when the set of remote players it would show differs from the last one. */
  private changed(): void {
    const shown = JSON.stringify(this.listed());
    if (shown === this.shown) return;
    this.shown = shown;
    this.sink?.rosterChanged();
  }

  private onRoster(bytes: Uint8Array): void {
    const m = decode(bytes);
    if (!m) return this.refuse('roster: not a JSON object');
    const node = m['node'];
    const players = m['players'];
    if (typeof node !== 'string' || !Array.isArray(players) || players.length > MAX_ROSTER) return this.refuse('roster: malformed');
    if (node === this.opts.node) return; // our own
    const list: RosterPlayer[] = [];
    for (const p of players as unknown[]) {
      const { peer, name, avatar } = (p ?? {}) as Record<string, unknown>;
      if (!isId(peer) || typeof name !== 'string' || name.length > 64 || !isId(avatar)) return this.refuse(`roster of ${node}: malformed player`);
      list.push({ peer, name, avatar });
    }
    // A player id listed by this node is this node's (ids are cluster-wide; never shown twice).
    const own = new Set(this.local.map((p) => p.peer));
    this.remote.set(node, { players: list.filter((p) => !own.has(p.peer)).sort((a, b) => a.peer - b.peer), heardAt: this.now() });
    this.changed();
  }

  private onTraffic(bytes: Uint8Array): void {
    const m = decode(bytes);
    if (!m) return this.refuse('traffic: not a JSON object');
    const { node, kind, from, to } = m;
    if (typeof node !== 'string' || !isId(from) || !isId(to)) return this.refuse('traffic: malformed');
    // Sender authority: only a player its node lists.
    if (!this.remote.get(node)?.players.some((p) => p.peer === from)) return this.refuse(`traffic from ${from}, whom node ${node} does not list`);
    if (kind === 'signal' && typeof m['data'] === 'string' && m['data'].length <= 16 * 1024) return this.sink?.deliver({ kind, from, to, data: m['data'] });
    if (kind === 'forward' && typeof m['payload'] === 'string' && typeof m['reliable'] === 'boolean') {
      return this.sink?.deliver({ kind, from, to, reliable: m['reliable'], payload: new Uint8Array(Buffer.from(m['payload'], 'base64')) });
    }
    this.refuse(`traffic of kind ${String(kind)}: malformed`);
  }

  private refuse(reason: string): void {
    this.opts.refused?.(reason);
  }
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

function encode(v: object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v));
}

function decode(bytes: Uint8Array): Record<string, unknown> | undefined {
  if (bytes.length > MAX_BUS_MESSAGE) return undefined;
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // not JSON
  }
}
