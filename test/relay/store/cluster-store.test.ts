import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { joinWorld, WorldLayout, type TemplateJson, type WebSocketConstructor } from '../../../src/index.js';
import { startRelay, type RelayServer } from '../../../relay/server.js';
import type { RelayLog } from '../../../relay/relay-core.js';
import { RedisWorldStore } from '../../../relay/store/redis-world-store.js';
import { describeWithRedis, startRedis, type TestRedis } from '../redis-server.js';

/** Waits for `cond` (polled), at most `ms`. */
async function until(cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describeWithRedis('a cluster keeps its world in Redis (relay nodes in process, real redis-server)', () => {
  let redis: TestRedis;
  let admin: Redis;
  const relays: RelayServer[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cluster-store-'));
  beforeAll(async () => {
    redis = await startRedis(['--appendonly', 'yes', '--dir', dir]);
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const r of relays) await r.close();
    admin?.disconnect();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a node stores checkpoints and acknowledged edits in Redis; another node starts from them', async () => {
    const logs: Parameters<RelayLog>[0][] = [];
    const log: RelayLog = (e) => logs.push(e);
    const n1 = await startRelay({ port: 0, auditThread: false, saveEveryMs: 200, log, cluster: { url: redis.url, node: 'n1', store: true } });
    relays.push(n1);
    expect(logs.find((l) => l.msg === 'new world')).toMatchObject({ store: redis.url, tiles: 0 });
    // appendfsync everysec (Redis's default) may lose the last second of acknowledged edits on a crash: said at start.
    expect(String(logs.find((l) => l.msg === 'cluster redis may lose acknowledged edits on a crash (appendfsync is not always)')?.['reason'])).toContain("'appendfsync always'");
    let ball = '';
    const player = await joinWorld({ relay: n1.url, world: 'demo', name: 'maker', transport: 'relay', webSocket: WebSocket as unknown as WebSocketConstructor });
    try {
      const { layout } = player.world;
      layout.place({ kind: 'ramp', position: { x: 6, y: 1.3, z: 6 }, color: '#ff0000' });
      layout.place({ kind: 'box', position: { x: 20, y: 1.5, z: 20 } });
      ball = layout.place({ kind: 'ball', position: { x: 24, y: 1.5, z: 8 } });
      layout.move(ball, { x: 25, y: 1.5, z: 8 });
      await player.whenAcknowledged();
    } finally {
      player.leave();
    }
    // Acknowledged means in Redis: another reader has every edit now, not at the next checkpoint.
    const reader = await RedisWorldStore.open({ url: redis.url });
    const doc = reader.loadDocument('demo');
    const stored = new Y.Doc();
    for (const u of doc?.updates ?? []) Y.applyUpdate(stored, u);
    const objects = new WorldLayout(stored, 16).objects();
    expect(objects).toHaveLength(3);
    expect(objects.find((o) => o.key === ball)?.position.x).toBe(25);
    stored.destroy();
    await until(() => reader.load('demo').length === n1.core.checkpoints().length);
    await reader.close();
    expect(await admin.hlen('tessera:demo:checkpoints')).toBe(9);

    const logs2: Parameters<RelayLog>[0][] = [];
    const n2 = await startRelay({ port: 0, auditThread: false, log: (e) => logs2.push(e), cluster: { url: redis.url, node: 'n2', store: true } });
    relays.push(n2);
    expect(logs2.find((l) => l.msg === 'world restored')).toMatchObject({ store: redis.url, tiles: 9, objects: 3 });
    expect(n2.core.doc.layout.size).toBe(3);
    // `tessera template --cluster` exports the world from Redis.
    const cli = new URL('../../../relay/cli.ts', import.meta.url).pathname;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', cli, 'template', '--cluster', redis.url, '--world', 'demo'], { encoding: 'utf8' }, (e, stdout) => (e ? reject(e) : resolve(stdout))),
    );
    expect((JSON.parse(out) as TemplateJson).objects.map((o) => o.kind).sort()).toEqual(['ball', 'box', 'ramp']);
  }, 90_000);

  it('refuses a data dir next to a cluster that keeps the world in Redis', async () => {
    await expect(startRelay({ port: 0, auditThread: false, dataDir: '/tmp/unused', log: () => undefined, cluster: { url: redis.url, node: 'n3', store: true } })).rejects.toThrow('uses no data dir');
  });
});
