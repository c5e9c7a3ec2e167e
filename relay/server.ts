import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { randomBytes } from 'node:crypto';
import { auditScene, busyDemoScene, cannonScene, demoScene, trainScene, TRAIN_SCENE, ErrorCode, initPhysics, MAX_MESSAGE_BYTES, loadKindsModule, resolveWorldConfig, standardKinds, TesseraError, type SceneDesc } from '../src/index.js';
import { InlineAuditor } from './audit/auditor.js';
import { ThreadAuditor } from './audit/thread-auditor.js';
import { WorldStore } from './store/world-store.js';
import { RedisWorldStore } from './store/redis-world-store.js';
import type { WorldStorage } from './store/world-storage.js';
import type { StoredDocument } from './doc/world-doc-host.js';
import { join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ed25519Signer } from './lease-signer.js';
import { RelayCore, type RelayLog } from './relay-core.js';
import { configureConnectionGuard, existingConnectionGuard, type ConnectionGuardOptions } from './connection-guard.js';
import { checkToken, tokenRole } from './tokens.js';
import { wsLink } from './ws-link.js';
import { startKeepalive } from './keepalive.js';
import { DashboardData } from './dashboard/dashboard-data.js';
import { dashboardRoutes } from './dashboard/dashboard-http.js';
import { joinCluster, type ClusterOptions } from './cluster/cluster-node.js';

/** Options of `startRelay`. */
export interface RelayServerOptions {
  /** TCP port (0 picks a free one). */
  readonly port: number;
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** World name clients must ask for (default "demo"). */
  readonly world?: string;
  /** The world's starting scene (default the demo scene). */
  readonly scene?: SceneDesc;
  /**
   * Path or URL of the world's kinds module (what players pass as `kinds` to `joinWorld`): it
   * exports, as `default` or `kinds`, a `BehaviourRegistry` or a function returning one.
   * Default: the standard kinds.
   */
  readonly kinds?: string;
  /** When set, joins need an HMAC-signed, unexpired token made with this secret. */
  readonly secret?: string;
  /** Allowed `Origin` headers; when given, other origins are refused. */
  readonly origins?: readonly string[];
  /** Most players in the world at once (default 256); past it a hello is refused as "world is full". */
  readonly maxPeers?: number;
  /**
   * Who simulates the world: `peers` (the default) — players own the tiles near them, the relay
   * audits; `relay` — the relay simulates every tile and players only send inputs and receive
   * updates, the server-authoritative way (for comparing the two; see the load test).
   */
  readonly authority?: 'peers' | 'relay';
  /** Where log lines go (default: JSON lines on stdout). */
  readonly log?: RelayLog;
  /** Chance that an audit window of an owner in good standing is re-executed (default 0.1). */
  readonly auditSample?: number;
  /** Re-execute audit windows on a worker thread (default true); false runs them on the relay's thread. */
  readonly auditThread?: boolean;
  /**
   * Where the world is kept between runs (SQLite file `tessera.db` in this folder): tiles
   * are checkpointed every `saveEveryMs` and on close, and loaded at start. Omit for a world
   * that lives only as long as the process (or that a cluster keeps in Redis: `cluster.store`).
   */
  readonly dataDir?: string;
  /** How often tiles are checkpointed (to the data dir, or the cluster's Redis), ms (default 2000). */
  readonly saveEveryMs?: number;
  /**
   * A new world's template (a Yjs update, see `readTemplateFile`): its objects are the world's
   * base layer. A world that already exists in the data dir keeps the template it was made from.
   */
  readonly template?: Uint8Array;
  /**
   * Flood limits per connection (defaults: `DEFAULT_GUARD_OPTIONS` — hello within 10 s, at most
   * 64 connections waiting for theirs, 2 MiB/s with bursts of 8 MiB, chunk caps).
   */
  readonly guard?: Partial<ConnectionGuardOptions>;
  /** A connection whose unsent reliable data passes this many bytes is closed (default 8 MiB): it reconnects and resyncs. */
  readonly maxSendQueueBytes?: number;
  /** WebSocket keepalive: every connection is pinged this often; one that missed the last ping is cut, ms (default 5000). */
  readonly keepaliveMs?: number;
  /**
   * Run as a node of a cluster: leases in this Redis, shared with the other nodes of the world
   * (default: this process alone); with `store`, the world is kept there too instead of `dataDir`.
   */
  readonly cluster?: ClusterOptions;
}

/** A running relay. Call `close()` to stop it. */
export interface RelayServer {
  /** The WebSocket URL players connect to (`ws://host:port/`). */
  readonly url: string;
  /** The TCP port listened on (the one picked when `port` was 0). */
  readonly port: number;
  /** The relay's logic, for tests and tools (metrics, directory, audit). */
  readonly core: RelayCore;
  /** Stops timers, saves a last checkpoint (with a data dir), closes every connection and the HTTP server; resolves once closed. */
  close(): Promise<void>;
}

/**
 * A scene for a shared world: the single-player avatar of the offline scenes is left out (players
 * bring their own); avatars listed in `keep` are the scene's own characters (the train's rider).
 */
function shared(scene: SceneDesc, keep: readonly number[] = []): SceneDesc {
  return { ...scene, entities: scene.entities.filter((e) => e.kind !== 'avatar' || keep.includes(e.id)) };
}

/** Named scenes the CLI can start a world from. */
export const SCENES: Readonly<Record<string, () => SceneDesc>> = { demo: () => shared(demoScene()), cannon: () => shared(cannonScene()), audit: () => shared(auditScene()), train: () => shared(trainScene({ rider: true }), [TRAIN_SCENE.rider]), 'busy-demo': () => shared(busyDemoScene()) };

/**
 * Starts a relay: WebSocket endpoint at `/`, `GET /healthz`, `GET /metrics`, and the operator's
 * dashboard at `GET /dashboard` (with a secret, it needs a creator token: `relay/dashboard/dashboard-http.ts`).
 */
export async function startRelay(opts: RelayServerOptions): Promise<RelayServer> {
  await initPhysics();
  const baseLog: RelayLog = opts.log ?? ((e) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`));
  // The dashboard reads every log line (joins, handoffs, incidents, refusals) before it goes out.
  let dashboard: DashboardData | undefined;
  const log: RelayLog = (e) => {
    dashboard?.onLog(e);
    baseLog(e);
  };
  const world = opts.world ?? 'demo';
  const secret = opts.secret;
  const scene = opts.scene ?? SCENES['demo']!();
  const kindsUrl = opts.kinds === undefined ? undefined : /^[a-z][a-z0-9+.-]*:/i.test(opts.kinds) && !/^[a-z]:[\\/]/i.test(opts.kinds) ? opts.kinds : pathToFileURL(resolvePath(opts.kinds)).href;
  const registry = kindsUrl ? await loadKindsModule(kindsUrl) : standardKinds();
  const config = resolveWorldConfig(scene.config);
  if (opts.auditSample !== undefined && !(opts.auditSample >= 0 && opts.auditSample <= 1)) throw new TesseraError(ErrorCode.BadInput, `audit sample must be within 0..1, got ${opts.auditSample}`);
  if (opts.cluster?.store && opts.dataDir !== undefined) throw new TesseraError(ErrorCode.BadInput, 'a cluster that keeps the world in Redis (cluster.store) uses no data dir: give one or the other');
  const t0 = performance.now();
  // A cluster's nodes keep the world in its Redis, where a surviving node reads what a dead one stored.
  const store: WorldStorage | undefined = opts.cluster?.store
    ? await RedisWorldStore.open({ url: opts.cluster.url, log, node: opts.cluster.node })
    : opts.dataDir !== undefined
      ? new WorldStore(join(opts.dataDir, 'tessera.db'))
      : undefined;
  let initialTiles: ReturnType<WorldStorage['load']> = [];
  let document: StoredDocument | undefined = opts.template ? { template: opts.template, updates: [] } : undefined;
  let templateHash: string | undefined;
  let cluster: Awaited<ReturnType<typeof joinCluster>> | undefined;
  try {
    if (store) {
      initialTiles = store.load(world);
      templateHash = store.createWorld(world, opts.template).template;
      document = store.loadDocument(world);
    }
    cluster = opts.cluster ? await joinCluster(opts.cluster, world, log) : undefined;
  } catch (e) {
    await store?.close();
    throw e;
  }
  const auditor = opts.auditThread === false ? new InlineAuditor(config, registry) : new ThreadAuditor(config, registry, (msg) => log({ level: 'warn', msg }), kindsUrl);
  const core = new RelayCore({
    world,
    scene,
    registry,
    auditor,
    initialTiles,
    ...(document ? { document } : {}),
    ...(store ? { persistDocUpdate: (u: Uint8Array) => store.appendUpdate(world, u) } : {}),
    // Owners must not be able to predict which windows are audited.
    auditSeed: randomBytes(4).readUInt32LE(0),
    ...(opts.auditSample !== undefined ? { audit: { sampleProbability: opts.auditSample } } : {}),
    now: () => performance.timeOrigin + performance.now(),
    // A step budget (`stepBudgetMs`) would keep a busy relay tile from holding signalling and leases
    // for long, but lets the relay's tiles run behind the timeline, which the checkpoint cut does
    // not yet allow for (an entity was lost across a kill -9 with it on): off until it does.
    // A cluster's nodes sign with one key (players of one node verify leases granted by another).
    signer: cluster?.signer ?? ed25519Signer(),
    log,
    checkToken: (token, w) => (secret ? checkToken(secret, token, w, Date.now()) : undefined),
    // Without a secret (development) everyone is a creator; with one, the signed token says.
    roleOf: (token) => (secret ? tokenRole(token) : 'creator'),
    ...(opts.maxPeers !== undefined ? { maxPeers: opts.maxPeers } : {}),
    ...(opts.authority === 'relay' ? { maxTilesPerPeer: 0 } : {}),
    ...(cluster ? { leases: cluster.leases, peerIds: cluster.peerIds, remotePeers: cluster.remotePeers } : {}),
  });
  await cluster?.start(() => ({ players: core.peerCount, tiles: core.directory().filter((d) => d.owner === 0).length }));
  // With the world in Redis, a dead node's tiles are taken over from their last checkpoints.
  const failover = cluster && opts.cluster?.store ? cluster.startFailover((tiles) => core.adoptTiles(tiles)) : undefined;

  configureConnectionGuard(core, opts.guard ?? {});
  dashboard = new DashboardData(core, { world, auth: secret ? 'token' : 'open', authority: opts.authority ?? 'peers' });
  const dashboardData = dashboard;
  const dashboardHttp = dashboardRoutes({ data: dashboardData, world, ...(secret ? { secret } : {}) });
  core.metrics.gauge('process_resident_memory_bytes', 'Resident memory of the relay process, bytes.', () => process.memoryUsage.rss());
  // The relay's own CPU (every thread of the process, the audit worker's included): the load test reads it per tick and per player.
  core.metrics.gauge('process_cpu_seconds_total', 'CPU time of the relay process (user + system), seconds.', () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  });

  const http: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (dashboardHttp(req, res, path)) return;
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, world, peers: core.peerCount, tick: core.currentTick }));
    } else if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(core.metricsText());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });

  const originOk = (req: IncomingMessage): boolean => !opts.origins || opts.origins.length === 0 || opts.origins.includes(req.headers.origin ?? '');
  // ws's default limit is 100 MiB; nothing in the protocol needs more than one message's worth.
  const wss = new WebSocketServer({ server: http, maxPayload: MAX_MESSAGE_BYTES + 1024, perMessageDeflate: false });
  const stopKeepalive = startKeepalive(wss, {
    ...(opts.keepaliveMs !== undefined ? { intervalMs: opts.keepaliveMs } : {}),
    dead: () => {
      core.metrics.closed('keepalive');
      log({ level: 'warn', msg: 'connection closed', reason: 'keepalive', detail: 'no answer to the last ping' });
    },
  });
  wss.on('connection', (ws, req) => {
    if (!originOk(req)) {
      core.metrics.refused('origin');
      log({ level: 'warn', msg: 'refused', kind: 'origin', origin: req.headers.origin ?? null });
      ws.close(1008, 'origin not allowed');
      return;
    }
    core.connect(
      dashboardData.tap(wsLink(ws, {
        ...(opts.maxSendQueueBytes !== undefined ? { maxQueuedBytes: opts.maxSendQueueBytes } : {}),
        overflow: (queued) => {
          core.metrics.closed('send-queue');
          log({ level: 'warn', msg: 'connection closed', reason: 'send-queue', detail: `${queued} bytes waiting to be sent: the peer does not read; it reconnects and resyncs` });
        },
      })),
    );
  });

  // The WebSocket server re-emits its HTTP server's errors: unheard, a busy port threw from an
  // event handler instead of rejecting here.
  wss.on('error', (e) => log({ level: 'error', msg: 'websocket server error', error: e.message }));
  const host = opts.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(opts.port, host, () => resolve());
    });
  } catch (e) {
    // Nothing of a relay that could not listen stays running (the audit thread, the store, the cluster's connection).
    stopKeepalive();
    await store?.close();
    core.close();
    await new Promise<void>((r) => wss.close(() => r()));
    await cluster?.close();
    const code = (e as NodeJS.ErrnoException).code;
    throw new TesseraError(ErrorCode.BadInput, code === 'EADDRINUSE' ? `port ${opts.port} on ${host} is in use (another relay still running?): stop it or choose another --port` : `cannot listen on ${host}:${opts.port}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const port = (http.address() as AddressInfo).port;
  const timer = setInterval(() => {
    try {
      core.tick();
      existingConnectionGuard(core)?.sweep(); // connections whose hello is overdue
    } catch (e) {
      log({ level: 'error', msg: 'tick failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  }, 4);
  dashboardData.sample();
  const sampler = setInterval(() => dashboardData.sample(), 1000);
  sampler.unref();
  if (store) {
    const entities = initialTiles.length > 0 ? core.ownWorld.entityCount : 0;
    const log0 = store.logSize(world);
    const where = opts.dataDir !== undefined ? { dataDir: resolvePath(opts.dataDir) } : { store: opts.cluster?.url ?? null };
    log({ level: 'info', msg: initialTiles.length > 0 ? 'world restored' : 'new world', ...where, tiles: initialTiles.length, entities, objects: core.doc.layout.size, docUpdates: log0.count, docBytes: log0.bytes, template: templateHash ?? null, tick: core.currentTick, ms: Math.round(performance.now() - t0) });
  }
  // Tiles whose checkpoints the (fenced) store refused at the last save: logged when that changes.
  let refusedBefore = '';
  const save = (): void => {
    if (!store) return;
    try {
      const refused = store.save(world, core.checkpoints(), Date.now(), core.doc.appliedObjects());
      const now = refused.map((r) => `${r.tile.x},${r.tile.y},${r.tile.z}@${r.epoch}`).join(' ');
      if (now !== refusedBefore && refused.length > 0) log({ level: 'error', msg: 'checkpoint refused: this node no longer holds the tile at that epoch', tiles: refused.map((r) => ({ tile: `${r.tile.x},${r.tile.y},${r.tile.z}`, epoch: r.epoch, holder: r.holder.node, holderEpoch: r.holder.epoch })) });
      refusedBefore = now;
    } catch (e) {
      log({ level: 'error', msg: 'checkpoint save failed', error: e instanceof Error ? e.message : String(e) });
    }
  };
  const saver = store ? setInterval(save, opts.saveEveryMs ?? 2000) : undefined;
  log({ level: 'info', msg: 'relay listening', url: `ws://${opts.host ?? '127.0.0.1'}:${port}/`, world, auth: secret ? 'token' : 'open (development)' });
  return {
    url: `ws://${opts.host ?? '127.0.0.1'}:${port}/`,
    port,
    core,
    close: async () => {
      await failover?.stop();
      clearInterval(timer);
      clearInterval(sampler);
      stopKeepalive();
      if (saver) clearInterval(saver);
      save();
      await store?.close();
      core.close();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
      await cluster?.close();
    },
  };
}
