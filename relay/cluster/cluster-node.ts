import { cpuUsage } from 'node:process';
import { Redis } from 'ioredis';
import { BlockingRedisLeaseTable } from '../leases/blocking-redis-lease-table.js';
import type { LeaseSigner, RelayLog } from '../relay-core.js';
import { clusterSigner } from './cluster-key.js';
import { Membership } from './membership.js';
import type { NodeLoad } from './node-load.js';
import { BlockPeerIds } from './peer-ids.js';
import { BusRemotePeers } from './bus-remote-peers.js';
import { RedisBus } from './redis-bus.js';
import { checkFsync, checkPersistence } from './persistence-check.js';
import { Failover, type FailoverOptions } from './failover.js';
import { redisReserveIds } from './redis-peer-ids.js';

/** Where a relay node finds its cluster. */
export interface ClusterOptions {
  /** `redis://host:port` (or `rediss://`). */
  readonly url: string;
  /** This node's id, unique in the cluster. */
  readonly node: string;
  /**
   * The cluster's lease-signing key (PKCS#8 PEM), the same on every node; Redis then keeps only
   * its public key. Without it the first node generates one and keeps it in Redis for the others.
   */
  readonly leaseKeyPem?: string;
  /**
   * Keep the world (tile checkpoints, the document) in this Redis, where every node reads it
   * (`RedisWorldStore`), instead of a data dir (default false: the relay's `dataDir`, if any).
   */
  readonly store?: boolean;
}

/** A relay node's part in its cluster: the shared lease table and its membership. Call `close()`. */
export interface ClusterNode {
  /** Leases in Redis, decided synchronously for the relay core. */
  readonly leases: BlockingRedisLeaseTable;
  /** Player ids from the world's counter in Redis, in blocks. */
  readonly peerIds: BlockPeerIds;
  /** Signs leases with the cluster's key, so players of every node verify them. */
  readonly signer: LeaseSigner;
  /** The other nodes' players (roster, signalling, relayed traffic) over Redis pub/sub. */
  readonly remotePeers: BusRemotePeers;
  /** Joins the membership (first heartbeat) with the node's load read from `load` at every beat. */
  start(load: () => Omit<NodeLoad, 'cpu'>): Promise<void>;
  /**
   * Takes over dead nodes' tiles from now on (after `start`): the ones assigned to this node are
   * leased to it in Redis and handed to `adopt` with their last checkpoint (`Failover`). Answers
   * the failover (its `pass()` looks at once); `close()` stops it.
   */
  startFailover(adopt: FailoverOptions['adopt'], everyMs?: number): Failover;
  /** Leaves the membership and closes both connections. */
  close(): Promise<void>;
}

/**
 * The prefix of one world's keys in Redis: `tessera:<world>:lease:<tile>`, `tessera:<world>:node:<id>`,
 * `tessera:<world>:nodes`, `tessera:<world>:peer-ids`, `tessera:<world>:lease-key:public|private`,
 * and the world store's (`RedisWorldData`): `checkpoints`, `doc`, `doc-updates`, `template:<sha256>`;
 * and of its pub/sub channels, `tessera:<world>:roster` and `tessera:<world>:to:<node>`.
 */
export function clusterPrefix(world: string): string {
  return `tessera:${world}:`;
}

/** Checks a `--node-id`: letters, digits, `.`, `_`, `-`; 1 to 64 of them. */
export function validNodeId(id: string): boolean {
  return /^[A-Za-z0-9._-]{1,64}$/.test(id);
}

/**
 * Connects a relay node of world `world` to its cluster's Redis. Rejects with an error that
 * names the URL when Redis cannot be reached within `connectTimeoutMs`.
 */
export async function joinCluster(opts: ClusterOptions, world: string, log: RelayLog, connectTimeoutMs = 3000): Promise<ClusterNode> {
  if (!/^rediss?:\/\//.test(opts.url)) throw new Error(`cluster URL must start with redis:// or rediss://, got ${JSON.stringify(opts.url)}`);
  if (!validNodeId(opts.node)) throw new Error(`node id must be 1 to 64 letters, digits, '.', '_' or '-', got ${JSON.stringify(opts.node)}`);
  const prefix = clusterPrefix(world);
  const leases = await BlockingRedisLeaseTable.open({
    url: opts.url,
    node: opts.node,
    prefix,
    connectTimeoutMs,
    onStatus: (s) => log({ level: s.up ? 'info' : 'error', msg: s.up ? 'cluster redis reachable' : 'cluster redis unreachable: lease changes refused', url: opts.url, ...(s.reason ? { reason: s.reason } : {}) }),
  });
  const redis = new Redis(opts.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: connectTimeoutMs });
  // Reported through the lease table's status and the failed beats below.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (e) {
    await leases.close();
    throw new Error(`Redis at ${opts.url} is unreachable: ${e instanceof Error ? e.message : String(e)}`);
  }
  let ids: BlockPeerIds;
  let key: Awaited<ReturnType<typeof clusterSigner>>;
  let bus: RedisBus | undefined;
  let remotePeers: BusRemotePeers;
  try {
    const persistence = await checkPersistence(redis);
    if (persistence.ok) log({ level: 'info', msg: 'cluster redis persists (appendonly yes)', url: opts.url });
    else log({ level: 'warn', msg: 'cluster redis does not persist: epochs restart when Redis restarts', url: opts.url, reason: persistence.reason });
    if (persistence.ok && opts.store) {
      const fsync = await checkFsync(redis);
      if (!fsync.ok) log({ level: 'warn', msg: 'cluster redis may lose acknowledged edits on a crash (appendfsync is not always)', url: opts.url, reason: fsync.reason });
    }
    key = await clusterSigner(redis, prefix, opts.leaseKeyPem);
    ids = new BlockPeerIds({ reserve: redisReserveIds(redis, prefix), onError: (e) => log({ level: 'warn', msg: 'cluster player ids: no block reserved', reason: e.message }) });
    await ids.start();
    bus = await RedisBus.open(redis, opts.url, connectTimeoutMs);
    remotePeers = new BusRemotePeers({ bus, node: opts.node, prefix, refused: (reason) => log({ level: 'warn', msg: 'cluster message refused', reason }) });
    await remotePeers.start();
  } catch (e) {
    await bus?.close();
    redis.disconnect();
    await leases.close();
    throw e;
  }
  let membership: Membership | undefined;
  let failover: Failover | undefined;
  let keyTimer: ReturnType<typeof setInterval> | undefined;
  let keyProblem = '';
  return {
    leases,
    peerIds: ids,
    signer: key.signer,
    remotePeers,
    start: async (load) => {
      // CPU share of one core since the previous beat.
      let last = { at: performance.now(), cpu: cpuUsage() };
      const cpu = (): number => {
        const now = { at: performance.now(), cpu: cpuUsage() };
        const used = (now.cpu.user + now.cpu.system - last.cpu.user - last.cpu.system) / 1000;
        const share = now.at > last.at ? used / (now.at - last.at) : 0;
        last = now;
        return Math.round(share * 1000) / 1000;
      };
      membership = new Membership({ redis, node: opts.node, prefix, load: () => ({ ...load(), cpu: cpu() }), onBeatFailed: (e) => log({ level: 'warn', msg: 'cluster heartbeat failed', reason: e.message }) });
      await membership.start();
      // Should Redis lose the key (restarted without its data), put it back before a new node makes another.
      keyTimer = setInterval(() => {
        key.reassert().then(
          () => (keyProblem = ''),
          (e: unknown) => {
            const reason = e instanceof Error ? e.message : String(e);
            if (reason !== keyProblem) log({ level: 'warn', msg: 'cluster lease key not confirmed', reason });
            keyProblem = reason;
          },
        );
      }, membership.ttlMs / 3);
      keyTimer.unref();
      log({ level: 'info', msg: 'joined cluster', url: opts.url, node: opts.node, members: (await membership.members()).map((m) => m.node) });
    },
    startFailover: (adopt, everyMs) => {
      const m = membership;
      if (!m) throw new Error('startFailover before start: the node is not a member yet');
      failover = new Failover({ redis, node: opts.node, prefix, members: () => m.members(), ttlMs: m.ttlMs, heard: (tile, entry) => leases.heard(tile, entry), adopt, log, ...(everyMs !== undefined ? { everyMs } : {}) });
      failover.start();
      return failover;
    },
    close: async () => {
      await failover?.stop();
      clearInterval(keyTimer);
      await remotePeers.stop();
      await bus?.close();
      await membership?.leave().catch((e: unknown) => log({ level: 'warn', msg: 'cluster leave failed', reason: e instanceof Error ? e.message : String(e) }));
      redis.disconnect();
      await leases.close();
    },
  };
}
