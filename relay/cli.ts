#!/usr/bin/env node
// `tessera` command line: the relay server, and join tokens for `--secret` worlds.
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import * as Y from 'yjs';
import { layoutAsTemplate, PROTOCOL_VERSION, readTemplateFile, resolveWorldConfig, WorldLayout } from '../src/index.js';
import { WorldStore } from './store/world-store.js';
import { RedisWorldStore } from './store/redis-world-store.js';
import type { StoredDocument } from './doc/world-doc-host.js';
import { SCENES, startRelay } from './server.js';
import { makeToken } from './tokens.js';
import { validNodeId } from './cluster/cluster-node.js';
import { LOADTEST_USAGE, loadtestCommand } from './loadtest/loadtest-command.js';

const USAGE = `Usage: tessera <command> [flags]

Commands:
  relay                 start a relay server
  token                 print a join token for a --secret world
  template              print a world's layout (from its data dir, or its cluster's Redis) as template JSON
  loadtest              start bots against a relay on a ramp; live table, JSON report, SVG chart
  --help, --version

relay flags (environment variable in brackets):
  --port N              TCP port to listen on (default 8787) [TESSERA_PORT]
  --host H              interface to listen on (default 127.0.0.1) [TESSERA_HOST]
  --world NAME          world name clients join (default demo) [TESSERA_WORLD]
  --scene NAME          starting scene: ${Object.keys(SCENES).join(' | ')} (default demo) [TESSERA_SCENE]
  --kinds FILE          the world's kinds module (players load the same one; default standard kinds) [TESSERA_KINDS]
  --secret S            require HMAC-signed, expiring join tokens made with S [TESSERA_SECRET]
  --origin LIST         comma-separated allowed Origin headers; others are refused [TESSERA_ORIGINS]
  --max-peers N         most players at once (default 256) [TESSERA_MAX_PEERS]
  --authority WHO       peers (default): players own and simulate the tiles near them; relay: the
                        relay simulates every tile and players only send inputs (server-authoritative,
                        for comparison) [TESSERA_AUTHORITY]
  --audit-sample P      chance an owner's audit window is re-executed, 0..1 (default 0.1) [TESSERA_AUDIT_SAMPLE]
  --audit-inline        re-execute audits on the relay's thread instead of a worker [TESSERA_AUDIT_INLINE=1]
  --data-dir DIR        where the world is kept between runs (SQLite; default ./tessera-data; not with
                        --cluster, whose world is kept in its Redis) [TESSERA_DATA_DIR]
  --memory-only         keep nothing between runs [TESSERA_MEMORY_ONLY=1]
  --template FILE       a new world's base layer: template JSON or a binary Yjs update [TESSERA_TEMPLATE]
  --cluster URL         run as a node of a cluster sharing the world's leases in Redis, e.g.
                        redis://127.0.0.1:6379 (redis-server 7; Debian package redis-server).
                        So far: leases, player ids, the signing key, membership, the roster, signals and relayed
                        traffic between players of different nodes, and the world's checkpoints and document
                        kept in Redis (unless --memory-only) [TESSERA_CLUSTER]
  --node-id ID          this node's id in the cluster (default HOSTNAME-PID) [TESSERA_NODE_ID]
  --lease-key FILE      the cluster's lease-signing key (Ed25519, PKCS#8 PEM), the same file on every
                        node; Redis then keeps only its public key. Default: the first node makes one
                        and keeps it in Redis for the others [TESSERA_LEASE_KEY_FILE]

template flags:
  --data-dir DIR        the relay's data dir (default ./tessera-data) [TESSERA_DATA_DIR]
  --cluster URL         read the world from a cluster's Redis instead [TESSERA_CLUSTER]
  --world NAME          the world to export (default demo)
  --scene NAME          its scene (for the tile size; default demo)

token flags:
  --secret S            the relay's secret (required) [TESSERA_SECRET]
  --world NAME          world the token is for (default demo)
  --ttl SECONDS         validity (default 3600)

${LOADTEST_USAGE}

Endpoints: ws://HOST:PORT/ (players), GET /healthz, GET /metrics (Prometheus).
Logs: one JSON object per line on stdout.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (command === '--version') {
    console.log(`tessera relay protocol ${PROTOCOL_VERSION}`);
    return 0;
  }
  if (command === 'loadtest') return loadtestCommand(rest);
  const env = process.env;
  const { values } = parseArgs({
    args: rest,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      world: { type: 'string' },
      scene: { type: 'string' },
      kinds: { type: 'string' },
      secret: { type: 'string' },
      origin: { type: 'string' },
      'max-peers': { type: 'string' },
      authority: { type: 'string' },
      'audit-sample': { type: 'string' },
      'audit-inline': { type: 'boolean' },
      'data-dir': { type: 'string' },
      'memory-only': { type: 'boolean' },
      template: { type: 'string' },
      cluster: { type: 'string' },
      'node-id': { type: 'string' },
      'lease-key': { type: 'string' },
      ttl: { type: 'string' },
      role: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (command === 'token') {
    const secret = values.secret ?? env['TESSERA_SECRET'];
    if (!secret) throw new Error('token needs --secret');
    const ttl = Number(values.ttl ?? 3600);
    const role = values.role ?? 'player';
    if (role !== 'creator' && role !== 'player' && role !== 'viewer') throw new Error(`--role must be creator, player or viewer (got ${JSON.stringify(role)})`);
    console.log(makeToken(secret, { world: values.world ?? 'demo', exp: Math.floor(Date.now() / 1000) + ttl, role }));
    return 0;
  }
  if (command === 'template') {
    const dir = values['data-dir'] ?? env['TESSERA_DATA_DIR'] ?? 'tessera-data';
    const world = values.world ?? env['TESSERA_WORLD'] ?? 'demo';
    const scene = SCENES[values.scene ?? 'demo'];
    if (!scene) throw new Error(`--scene must be one of ${Object.keys(SCENES).join(', ')}`);
    const cluster = values.cluster ?? env['TESSERA_CLUSTER'];
    let stored: StoredDocument | undefined;
    let where: string;
    if (cluster !== undefined) {
      where = cluster;
      const store = await RedisWorldStore.open({ url: cluster });
      try {
        stored = store.loadDocument(world);
      } finally {
        await store.close();
      }
    } else {
      where = join(dir, 'tessera.db');
      if (!existsSync(where)) throw new Error(`no world store at ${where}`);
      const store = new WorldStore(where);
      stored = store.loadDocument(world);
      store.close();
    }
    if (!stored) throw new Error(`world ${JSON.stringify(world)} has no document in ${where}`);
    const doc = new Y.Doc();
    if (stored.template) Y.applyUpdate(doc, stored.template);
    for (const u of stored.updates) Y.applyUpdate(doc, u);
    console.log(JSON.stringify(layoutAsTemplate(new WorldLayout(doc, resolveWorldConfig(scene().config).tileEdge)), null, 1));
    return 0;
  }
  if (command !== 'relay') {
    console.error(`tessera: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 64;
  }
  const port = Number(values.port ?? env['TESSERA_PORT'] ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.port}`);
  const sceneName = values.scene ?? env['TESSERA_SCENE'] ?? 'demo';
  const scene = SCENES[sceneName];
  if (!scene) throw new Error(`--scene must be one of ${Object.keys(SCENES).join(', ')}, got ${sceneName}`);
  const origins = (values.origin ?? env['TESSERA_ORIGINS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const maxPeers = values['max-peers'] ?? env['TESSERA_MAX_PEERS'];
  if (maxPeers !== undefined && !(Number.isInteger(Number(maxPeers)) && Number(maxPeers) > 0)) throw new Error(`--max-peers must be a positive integer, got ${maxPeers}`);
  const authority = values.authority ?? env['TESSERA_AUTHORITY'] ?? 'peers';
  if (authority !== 'peers' && authority !== 'relay') throw new Error(`--authority must be peers or relay, got ${authority}`);
  const secret = values.secret ?? env['TESSERA_SECRET'];
  const sample = values['audit-sample'] ?? env['TESSERA_AUDIT_SAMPLE'];
  const auditSample = sample === undefined ? undefined : Number(sample);
  if (auditSample !== undefined && !(auditSample >= 0 && auditSample <= 1)) throw new Error(`--audit-sample must be a number within 0..1, got ${sample}`);
  const auditInline = values['audit-inline'] === true || env['TESSERA_AUDIT_INLINE'] === '1';
  const templateFile = values.template ?? env['TESSERA_TEMPLATE'];
  const memoryOnly = values['memory-only'] === true || env['TESSERA_MEMORY_ONLY'] === '1';
  const clusterUrl = values.cluster ?? env['TESSERA_CLUSTER'];
  const dataDirGiven = values['data-dir'] ?? env['TESSERA_DATA_DIR'];
  if (clusterUrl !== undefined && dataDirGiven !== undefined) throw new Error('--data-dir has no use with --cluster: a cluster keeps the world in its Redis (or nowhere, with --memory-only)');
  // A cluster's world lives in its Redis (every node reads it), unless --memory-only.
  const dataDir = memoryOnly || clusterUrl !== undefined ? undefined : (dataDirGiven ?? 'tessera-data');
  const nodeId = values['node-id'] ?? env['TESSERA_NODE_ID'] ?? `${hostname()}-${process.pid}`;
  if (clusterUrl === undefined && (values['node-id'] ?? env['TESSERA_NODE_ID']) !== undefined) throw new Error('--node-id needs --cluster');
  if (clusterUrl !== undefined && !/^rediss?:\/\/[^/]/.test(clusterUrl)) throw new Error(`--cluster must be a redis:// or rediss:// URL, got ${JSON.stringify(clusterUrl)}`);
  if (clusterUrl !== undefined && !validNodeId(nodeId)) throw new Error(`--node-id must be 1 to 64 letters, digits, '.', '_' or '-', got ${JSON.stringify(nodeId)}`);
  const leaseKeyFile = values['lease-key'] ?? env['TESSERA_LEASE_KEY_FILE'];
  if (clusterUrl === undefined && leaseKeyFile !== undefined) throw new Error('--lease-key needs --cluster');
  const leaseKeyPem = leaseKeyFile === undefined ? undefined : readFileSync(leaseKeyFile, 'utf8');
  const server = await startRelay({
    port,
    host: values.host ?? env['TESSERA_HOST'] ?? '127.0.0.1',
    world: values.world ?? env['TESSERA_WORLD'] ?? 'demo',
    scene: scene(),
    ...((values.kinds ?? env['TESSERA_KINDS']) ? { kinds: (values.kinds ?? env['TESSERA_KINDS'])! } : {}),
    ...(templateFile ? { template: readTemplateFile(new Uint8Array(readFileSync(templateFile)), resolveWorldConfig(scene().config).tileEdge) } : {}),
    ...(secret ? { secret } : {}),
    ...(origins.length > 0 ? { origins } : {}),
    ...(maxPeers ? { maxPeers: Number(maxPeers) } : {}),
    authority,
    ...(auditSample !== undefined ? { auditSample } : {}),
    ...(auditInline ? { auditThread: false } : {}),
    ...(dataDir !== undefined ? { dataDir } : {}),
    ...(clusterUrl !== undefined ? { cluster: { url: clusterUrl, node: nodeId, store: !memoryOnly, ...(leaseKeyPem !== undefined ? { leaseKeyPem } : {}) } } : {}),
  });
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return -1; // keep running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`tessera: ${e instanceof Error ? e.message : String(e)}`);
    // Exit now: what a failed start had already opened (the audit thread, timers) would keep it alive.
    process.exit(64);
  },
);
