import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { demoScene, initPhysics, resolveWorldConfig, standardKinds, TileSimulation } from '../../../src/index.js';
import { readCheckpoint } from '../../../relay/store/redis-world-data.js';
import { describeWithRedis, startRedis, type TestRedis } from '../redis-server.js';

const cli = new URL('../../../relay/cli.ts', import.meta.url).pathname;

interface Run {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  stderr: string;
  readonly exited: Promise<number | null>;
}

/** A relay node process of the cluster, its world kept in Redis (no --memory-only). */
function node(url: string, id: string, world: string): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'relay', '--port', '0', '--audit-inline', '--cluster', url, '--node-id', id, '--world', world], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Run = { child, lines: [], stderr: '', exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const text = partial + String(d);
    const parts = text.split('\n');
    partial = parts.pop()!;
    for (const l of parts) if (l.trim() !== '') r.lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  child.stderr!.on('data', (d: Buffer) => (r.stderr += String(d)));
  return r;
}

/** Waits for `cond` (polled), at most `ms`. */
async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Reads a relay's /metrics: the tiles it simulates itself and the entities in them. */
function metricsOf(r: Run): () => Promise<{ tiles: number; entities: number }> {
  const url = String(r.lines.find((l) => l['msg'] === 'relay listening')!['url']).replace(/^ws:/, 'http:');
  return async () => {
    const text = await (await fetch(new URL('/metrics', url))).text();
    const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
    return { tiles: value(/^tessera_tiles\{owner="relay"\} (\d+)$/m), entities: value(/^tessera_relay_entities (\d+)$/m) };
  };
}

/** The stored checkpoints of a world: tile → tick and entity ids. */
async function stored(admin: Redis, world: string): Promise<Map<string, { tick: number; ids: number[] }>> {
  const config = resolveWorldConfig(demoScene().config);
  const registry = standardKinds();
  const all = await admin.hgetallBuffer(`tessera:${world}:checkpoints`);
  const out = new Map<string, { tick: number; ids: number[] }>();
  for (const [field, v] of Object.entries(all)) {
    const c = readCheckpoint(field, v);
    const sim = TileSimulation.restore(c.snapshot, config, registry);
    out.set(field, { tick: c.tick, ids: sim.entityIds() });
    sim.dispose();
  }
  return out;
}

describeWithRedis('a dead node\'s tiles taken over (real redis-server, three relay processes, kill -9)', () => {
  let redis: TestRedis;
  let admin: Redis;
  const runs: Run[] = [];
  beforeAll(async () => {
    await initPhysics();
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const r of runs) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    admin?.disconnect();
    await redis?.stop();
  });

  it('kill -9 of the node holding every tile: within 5 s the survivors simulate each from its last checkpoint, same entity ids, none doubled', async () => {
    const world = 'failover';
    const n1 = node(redis.url, 'f1', world);
    runs.push(n1);
    await until('f1 listening', () => n1.lines.some((l) => l['msg'] === 'relay listening') || n1.child.exitCode !== null, 60_000);
    expect(n1.child.exitCode, n1.stderr).toBeNull();
    const n2 = node(redis.url, 'f2', world);
    const n3 = node(redis.url, 'f3', world);
    runs.push(n2, n3);
    await until('f2 and f3 listening', () => [n2, n3].every((n) => n.lines.some((l) => l['msg'] === 'relay listening')), 60_000);
    const leaseKeys = (await admin.keys(`tessera:${world}:lease:*`)).sort();
    const tiles = leaseKeys.map((k) => k.slice(`tessera:${world}:lease:`.length));
    expect(tiles.length).toBeGreaterThan(1);
    for (const k of leaseKeys) expect(await admin.hgetall(k)).toEqual({ e: '1', n: 'f1', o: '0' });
    // f1 has saved every tile (every 2 s) at least once.
    await until('every tile checkpointed', async () => (await admin.hlen(`tessera:${world}:checkpoints`)) === tiles.length);
    // While f1 lives, nobody takes anything.
    expect([n2, n3].some((n) => n.lines.some((l) => l['msg'] === 'tiles taken over'))).toBe(false);

    n1.child.kill('SIGKILL');
    const killedAt = Date.now();
    await n1.exited;
    // Its last checkpoint: nothing it saved can land any more, and no takeover (which saves at epoch 2) can come before its key expires.
    const last = await stored(admin, world);
    const before = [...last.values()].flatMap((c) => c.ids).sort((a, b) => a - b);
    expect(before.length).toBeGreaterThan(0);
    expect(new Set(before).size).toBe(before.length);

    // Every tile taken over by a survivor, at epoch 2, from that checkpoint.
    const takenBy = new Map<string, { node: string; checkpointTick: unknown; at: number }>();
    await until('every tile taken over', () => {
      for (const [name, n] of [['f2', n2], ['f3', n3]] as const)
        for (const l of n.lines)
          if (l['msg'] === 'tiles taken over')
            for (const t of l['tiles'] as { tile: string; from: string; epoch: number; checkpointTick: number | null; adopted: boolean }[]) {
              expect(t).toMatchObject({ from: 'f1', epoch: 2, adopted: true });
              // When the node logged it (done adopting), by its own clock (the same machine's).
              if (!takenBy.has(t.tile)) takenBy.set(t.tile, { node: name, checkpointTick: t.checkpointTick, at: Date.parse(String(l['time'])) });
            }
      return takenBy.size === tiles.length;
    }, 20_000);
    const failoverMs = Math.max(...[...takenBy.values()].map((t) => t.at)) - killedAt;
    const adoptMs = [n2, n3].flatMap((n) => n.lines.filter((l) => l['msg'] === 'tiles taken over').map((l) => l['adoptMs']));
    console.log(`failover: every tile of the killed node simulated again ${failoverMs} ms after kill -9 (${[...takenBy.values()].filter((t) => t.node === 'f2').length} to f2, ${[...takenBy.values()].filter((t) => t.node === 'f3').length} to f3; adopting took ${adoptMs.join(', ')} ms)`);
    expect(failoverMs).toBeLessThanOrEqual(5000);
    for (const t of tiles) expect(takenBy.get(t)?.checkpointTick).toBe(last.get(t)!.tick);
    // All to one survivor (a dead node's tiles stay together while entities cannot cross between nodes), and no tile taken twice.
    expect(new Set([...takenBy.values()].map((t) => t.node)).size).toBe(1);
    const takeLines = [n2, n3].flatMap((n) => n.lines.filter((l) => l['msg'] === 'tiles taken over').flatMap((l) => l['tiles'] as { tile: string }[]));
    expect(takeLines.length).toBe(tiles.length);
    for (const k of leaseKeys) {
      const h = await admin.hgetall(k);
      expect(h['e']).toBe('2');
      expect(h['n']).toBe(takenBy.get(k.slice(`tessera:${world}:lease:`.length))!.node);
    }
    // The survivors simulate them: their next saves (fenced at epoch 2) move every tile past its old tick, with the same entities, each once.
    await until('every tile saved again by a survivor', async () => {
      const now = await stored(admin, world);
      return tiles.every((t) => now.get(t)!.tick > last.get(t)!.tick);
    }, 20_000);
    const after = [...(await stored(admin, world)).values()].flatMap((c) => c.ids).sort((a, b) => a - b);
    expect(after).toEqual(before);
    expect([n2, n3].some((n) => n.lines.some((l) => l['msg'] === 'checkpoint refused: this node no longer holds the tile at that epoch'))).toBe(false);
  }, 180_000);

  it('a node frozen past its TTL (SIGSTOP) loses its tiles to a survivor; woken (SIGCONT), it sees so on its own lease read, drops them and stops refused saves; the new holder\'s checkpoints stay', async () => {
    const world = 'stale';
    const g1 = node(redis.url, 'g1', world);
    runs.push(g1);
    await until('g1 listening', () => g1.lines.some((l) => l['msg'] === 'relay listening') || g1.child.exitCode !== null, 60_000);
    const g2 = node(redis.url, 'g2', world);
    runs.push(g2);
    await until('g2 listening', () => g2.lines.some((l) => l['msg'] === 'relay listening'), 60_000);
    const leaseKeys = (await admin.keys(`tessera:${world}:lease:*`)).sort();
    const tiles = leaseKeys.map((k) => k.slice(`tessera:${world}:lease:`.length));
    await until('every tile checkpointed', async () => (await admin.hlen(`tessera:${world}:checkpoints`)) === leaseKeys.length);
    const before = [...(await stored(admin, world)).values()].flatMap((c) => c.ids).sort((a, b) => a - b);
    const g1Metrics = metricsOf(g1);
    expect((await g1Metrics()).tiles).toBe(tiles.length);
    expect((await g1Metrics()).entities).toBeGreaterThan(0);
    g1.child.kill('SIGSTOP');
    let wokenAt = 0;
    try {
      await until('g2 took every tile', () => g2.lines.filter((l) => l['msg'] === 'tiles taken over').reduce((n, l) => n + (l['tiles'] as unknown[]).length, 0) === leaseKeys.length, 20_000);
      for (const k of leaseKeys) expect(await admin.hmget(k, 'e', 'n')).toEqual(['2', 'g2']);
    } finally {
      g1.child.kill('SIGCONT');
      wokenAt = Date.now();
    }
    // g1 finds out on its own lease read (no save needed), drops every tile and says so once, naming g2 at epoch 2.
    const lostMsg = 'tiles lost to another node';
    await until('g1 logged the loss', () => g1.lines.some((l) => l['msg'] === lostMsg), 20_000);
    const lostLine = g1.lines.find((l) => l['msg'] === lostMsg)!;
    const lostAt = Date.parse(String(lostLine['time']));
    console.log(`stale node: g1 logged '${lostMsg}' ${lostAt - wokenAt} ms after SIGCONT (${g1.lines.filter((l) => l['msg'] === 'checkpoint refused: this node no longer holds the tile at that epoch').length} refused save(s) before)`);
    const lost = lostLine['tiles'] as { tile: string; holder: string; holderEpoch: number; epoch: number }[];
    expect(lost.map((t) => t.tile).sort()).toEqual(tiles);
    for (const t of lost) expect(t).toMatchObject({ epoch: 1, holder: 'g2', holderEpoch: 2 });
    // It simulates nothing any more: no tile, no entity (its /metrics).
    expect(await g1Metrics()).toEqual({ tiles: 0, entities: 0 });
    // A save of g1 made before it noticed may have been refused (every tile, naming g2 at epoch 2).
    const refusedMsg = 'checkpoint refused: this node no longer holds the tile at that epoch';
    for (const l of g1.lines.filter((x) => x['msg'] === refusedMsg)) for (const r of l['tiles'] as { holder: string; holderEpoch: number }[]) expect(r).toMatchObject({ holder: 'g2', holderEpoch: 2 });
    // What Redis keeps is g2's: every lease still g2's, the stored entities the same, once each, as g2 saves on
    // (twice more: g1's own saver, every 2 s, has run meanwhile).
    for (let i = 0; i < 2; i++) {
      const mark = await stored(admin, world);
      await until('g2 saved again', async () => {
        const now = await stored(admin, world);
        return [...now].every(([t, c]) => c.tick > mark.get(t)!.tick);
      }, 20_000);
    }
    for (const k of leaseKeys) expect(await admin.hmget(k, 'e', 'n')).toEqual(['2', 'g2']);
    expect([...(await stored(admin, world)).values()].flatMap((c) => c.ids).sort((a, b) => a - b)).toEqual(before);
    // Since the loss, g1 asks for none of those tiles again: no refused save, no refused renewal, and it takes nothing back.
    const after = g1.lines.slice(g1.lines.indexOf(lostLine) + 1);
    expect(after.filter((l) => l['msg'] === refusedMsg || l['msg'] === 'lease change refused')).toEqual([]);
    expect(g1.lines.filter((l) => l['msg'] === lostMsg).length).toBe(1);
    expect(g1.lines.some((l) => l['msg'] === 'tiles taken over')).toBe(false);
    expect(await g1Metrics()).toEqual({ tiles: 0, entities: 0 });
  }, 180_000);
});
