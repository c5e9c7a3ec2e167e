// A world's checkpoints and document in Redis, asynchronously (the store worker runs this; the
// relay's thread reaches it through `RedisWorldStore`).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { StoredDocument } from '../doc/world-doc-host.js';
import type { CompactionPolicy, RefusedCheckpoint, TileCheckpoint } from './world-storage.js';
import { foldUpdates } from './fold-updates.js';

/**
 * KEYS: document hash, template. ARGV: template hash ('' for none), template bytes. A world
 * that exists keeps its template; the first node to create it sets it. Answers {created 0|1, hash}.
 */
const CREATE_WORLD_LUA = `
if redis.call('HEXISTS', KEYS[1], 'created') == 1 then return {0, redis.call('HGET', KEYS[1], 'template') or ''} end
if ARGV[1] ~= '' then redis.call('SET', KEYS[2], ARGV[2]) end
redis.call('HSET', KEYS[1], 'created', '1', 'template', ARGV[1])
return {1, ARGV[1]}`;

/**
 * KEYS: document hash, update list. ARGV: generation read, number of updates folded K, the
 * folded update, bytes of the K updates. Only if no compaction ran since the read (the
 * generation is the same) are the first K updates — the ones read — replaced by the folded one;
 * updates appended meanwhile stay after it. Answers 1 when done, 0 when the log had changed.
 */
const COMPACT_LUA = `
if (redis.call('HGET', KEYS[1], 'gen') or '0') ~= ARGV[1] then return 0 end
redis.call('LTRIM', KEYS[2], tonumber(ARGV[2]), -1)
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('HINCRBY', KEYS[1], 'gen', 1)
redis.call('HINCRBY', KEYS[1], 'log-bytes', string.len(ARGV[3]) - tonumber(ARGV[4]))
return 1`;

/**
 * KEYS: checkpoints hash, document hash, then the lease of each tile saved. ARGV: node, saved-at,
 * applied ('' for none), then field, epoch and checkpoint of each tile in KEYS' order. A tile's
 * checkpoint is written only while `node` holds its lease at that epoch (the lease hash's `n` and
 * `e`, as the lease scripts keep them), all in one step no lease change can come between: a node
 * that lost a tile (taken over by another) can no longer write over what the new holder saves.
 * `saved-at` and `applied` are written unless every tile was refused. Answers {field, epoch, node}
 * of the tile's lease for each refused tile.
 */
const FENCED_SAVE_LUA = `
local refused = {}
local saved = 0
for i = 3, #KEYS do
  local j = 4 + (i - 3) * 3
  local c = redis.call('HMGET', KEYS[i], 'e', 'n')
  local e, n = tonumber(c[1] or '0'), c[2] or ''
  if n == ARGV[1] and e == tonumber(ARGV[j + 1]) then
    redis.call('HSET', KEYS[1], ARGV[j], ARGV[j + 2])
    saved = saved + 1
  else
    table.insert(refused, {ARGV[j], e, n})
  end
end
if saved > 0 or #KEYS == 2 then
  redis.call('HSET', KEYS[2], 'saved-at', ARGV[2])
  if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], 'applied', ARGV[3]) end
end
return refused`;

interface StoreCommands {
  tesseraFencedSave(keyCount: number, ...keysThenArgs: (string | Buffer)[]): Promise<[string, number, string][]>;
  tesseraCreateWorld(doc: string, template: string, hash: string, bytes: Buffer): Promise<[number, string]>;
  tesseraCompact(doc: string, updates: string, gen: string, folded: string, merged: Buffer, foldedBytes: string): Promise<number>;
}

/** The keys of world `W`'s storage under its prefix (`tessera:W:`). */
export function storageKeys(prefix: string): { readonly checkpoints: string; readonly doc: string; readonly updates: string; template(hash: string): string } {
  return { checkpoints: `${prefix}checkpoints`, doc: `${prefix}doc`, updates: `${prefix}doc-updates`, template: (hash) => `${prefix}template:${hash}` };
}

/** How a `RedisWorldData` is made. */
export interface RedisWorldDataOptions {
  /** The connection (the caller's; not closed here). */
  readonly redis: Redis;
  /** The prefix of a world's keys (default `tessera:<world>:`, the cluster's). */
  readonly prefixOf?: (world: string) => string;
  /** When `appendUpdate` asks for a compaction (default 500 updates or 4 MiB). */
  readonly compaction?: CompactionPolicy;
  /**
   * This cluster node's id: its saves are fenced by lease (a tile's checkpoint is written only
   * while this node holds the tile at the checkpoint's epoch). Omit for unfenced saves (tools, tests).
   */
  readonly node?: string;
}

/**
 * A world's storage in Redis:
 * - `<prefix>checkpoints`: hash, one field per tile (`x,y,z`): the tick (float64, little-endian)
 *   then the snapshot bytes; a save writes all its tiles in one MULTI;
 * - `<prefix>doc-updates`: list of the document's acknowledged updates, oldest first (RPUSH);
 * - `<prefix>doc`: hash — `created`, `template` (its SHA-256, hex), `applied` (JSON), `saved-at`,
 *   `gen` (compactions so far), `log-bytes` (bytes in the update list);
 * - `<prefix>template:<sha256>`: the template's bytes, content-addressed.
 */
export class RedisWorldData {
  private readonly redis: Redis & StoreCommands;
  private readonly prefixOf: (world: string) => string;
  private readonly node: string | undefined;
  /** When `appendUpdate` says a compaction is due. */
  readonly compaction: CompactionPolicy;

  /** Storage over `opts.redis`; defines its scripts on that connection. */
  constructor(opts: RedisWorldDataOptions) {
    opts.redis.defineCommand('tesseraCreateWorld', { numberOfKeys: 2, lua: CREATE_WORLD_LUA });
    opts.redis.defineCommand('tesseraCompact', { numberOfKeys: 2, lua: COMPACT_LUA });
    // The number of keys varies (one lease per tile): given first at each call.
    opts.redis.defineCommand('tesseraFencedSave', { lua: FENCED_SAVE_LUA });
    this.node = opts.node;
    this.redis = opts.redis as Redis & StoreCommands;
    this.prefixOf = opts.prefixOf ?? ((world) => `tessera:${world}:`);
    this.compaction = opts.compaction ?? { maxUpdates: 500, maxBytes: 4 * 1024 * 1024 };
  }

  /**
   * Writes every tile's checkpoint (and `applied`) in one step: all of them or none, unfenced (one
   * MULTI); fenced (`node` given), one script that writes those this node holds at their
   * checkpoint's epoch and answers the others.
   */
  async save(world: string, tiles: readonly TileCheckpoint[], savedAtMs: number, applied?: Readonly<Record<string, string>>): Promise<RefusedCheckpoint[]> {
    const keys = this.keys(world);
    if (this.node !== undefined) {
      const prefix = this.prefixOf(world);
      const leaseKeys = tiles.map((t) => `${prefix}lease:${t.tile.x},${t.tile.y},${t.tile.z}`);
      const args = tiles.flatMap((t) => [`${t.tile.x},${t.tile.y},${t.tile.z}`, String(t.epoch ?? -1), checkpointValue(t)]);
      const refused = await this.redis.tesseraFencedSave(2 + tiles.length, keys.checkpoints, keys.doc, ...leaseKeys, this.node, String(savedAtMs), applied ? JSON.stringify(applied) : '', ...args);
      return refused.map(([field, e, n]) => {
        const t = tiles.find((c) => `${c.tile.x},${c.tile.y},${c.tile.z}` === field)!;
        return { tile: t.tile, epoch: t.epoch ?? -1, holder: { node: n, epoch: Number(e) } };
      });
    }
    const m = this.redis.multi();
    if (tiles.length > 0) {
      const fields: (string | Buffer)[] = [];
      for (const t of tiles) fields.push(`${t.tile.x},${t.tile.y},${t.tile.z}`, checkpointValue(t));
      m.hset(keys.checkpoints, ...fields);
    }
    m.hset(keys.doc, 'saved-at', String(savedAtMs), ...(applied ? ['applied', JSON.stringify(applied)] : []));
    await exec(m);
    return [];
  }

  /** Every stored tile of a world, in x, y, z order. */
  async load(world: string): Promise<TileCheckpoint[]> {
    const all = await this.redis.hgetallBuffer(this.keys(world).checkpoints);
    const out: TileCheckpoint[] = [];
    for (const [field, v] of Object.entries(all)) out.push(readCheckpoint(field, v));
    return out.sort((a, b) => a.tile.x - b.tile.x || a.tile.y - b.tile.y || a.tile.z - b.tile.z);
  }

  /** Creates the world's document on `template` unless it exists (one script: the first node's template wins). */
  async createWorld(world: string, template?: Uint8Array): Promise<{ created: boolean; template: string | undefined }> {
    const keys = this.keys(world);
    const hash = template ? createHash('sha256').update(template).digest('hex') : '';
    const [created, used] = await this.redis.tesseraCreateWorld(keys.doc, keys.template(hash), hash, template ? buffer(template) : Buffer.alloc(0));
    return { created: created === 1, template: used === '' ? undefined : used };
  }

  /** The world's document: template, updates and `applied`, read at one instant (MULTI). */
  async loadDocument(world: string): Promise<StoredDocument | undefined> {
    return (await this.readLog(world))?.doc;
  }

  /** Appends an update (RPUSH) with the log's byte count, in one MULTI; answers the log's size after it. */
  async appendUpdate(world: string, update: Uint8Array): Promise<{ count: number; bytes: number }> {
    const keys = this.keys(world);
    const [count, bytes] = (await exec(this.redis.multi().rpush(keys.updates, buffer(update)).hincrby(keys.doc, 'log-bytes', update.length))) as [number, number];
    return { count, bytes };
  }

  /** Whether a log of this size is past the compaction policy. */
  due(size: { count: number; bytes: number }): boolean {
    return size.count > this.compaction.maxUpdates || size.bytes > this.compaction.maxBytes;
  }

  /**
   * Folds the log into one update. Reads the log, folds it here, then replaces exactly the
   * updates it read, in one script, unless another compaction ran meanwhile (then reads again,
   * at most `attempts` times): updates appended meanwhile, by any node, stay.
   */
  async compact(world: string, attempts = 5): Promise<{ before: number; after: number }> {
    const keys = this.keys(world);
    for (let i = 0; i < attempts; i++) {
      const log = await this.readLog(world);
      if (!log || log.doc.updates.length === 0) return { before: 0, after: 0 };
      const before = log.doc.updates.reduce((n, u) => n + u.length, 0);
      const merged = foldUpdates(log.doc.template, log.doc.updates);
      const done = await this.redis.tesseraCompact(keys.doc, keys.updates, log.gen, String(log.doc.updates.length), buffer(merged), String(before));
      if (done === 1) return { before, after: merged.length };
    }
    throw new Error(`compaction of world ${world} gave way to other nodes' ${attempts} times`);
  }

  /** Number of stored updates of a world and their bytes. */
  async logSize(world: string): Promise<{ count: number; bytes: number }> {
    const keys = this.keys(world);
    const [count, bytes] = (await exec(this.redis.multi().llen(keys.updates).hget(keys.doc, 'log-bytes'))) as [number, string | null];
    return { count, bytes: Number(bytes ?? 0) };
  }

  private async readLog(world: string): Promise<{ doc: StoredDocument; gen: string } | undefined> {
    const keys = this.keys(world);
    const [fields, updates] = (await exec(this.redis.multi().hgetallBuffer(keys.doc).lrangeBuffer(keys.updates, 0, -1))) as [Record<string, Buffer>, Buffer[]];
    if (!fields['created']) return undefined;
    const hash = fields['template']?.toString() ?? '';
    let template: Uint8Array | undefined;
    if (hash !== '') {
      const bytes = await this.redis.getBuffer(keys.template(hash));
      if (!bytes) throw new Error(`world ${world}'s template ${hash} is missing from Redis (${keys.template(hash)})`);
      template = new Uint8Array(bytes);
    }
    const applied = fields['applied'];
    return {
      doc: {
        ...(template ? { template } : {}),
        updates: updates.map((u) => new Uint8Array(u)),
        ...(applied ? { applied: JSON.parse(applied.toString()) as Record<string, string> } : {}),
      },
      gen: fields['gen']?.toString() ?? '0',
    };
  }

  private keys(world: string): ReturnType<typeof storageKeys> {
    return storageKeys(this.prefixOf(world));
  }
}

/** A stored checkpoint from its hash field (`x,y,z`) and value (tick as float64 LE, then the snapshot). */
export function readCheckpoint(field: string, value: Buffer): TileCheckpoint {
  const [x, y, z] = field.split(',').map(Number) as [number, number, number];
  return { tile: { x, y, z }, tick: value.readDoubleLE(0), snapshot: new Uint8Array(value.subarray(8)) };
}

/** A checkpoint's field value: tick (float64 LE), then the snapshot. */
function checkpointValue(t: TileCheckpoint): Buffer {
  const out = Buffer.allocUnsafe(8 + t.snapshot.length);
  out.writeDoubleLE(t.tick, 0);
  out.set(t.snapshot, 8);
  return out;
}

function buffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Runs a MULTI; throws its first error; answers each command's reply. */
async function exec(m: ReturnType<Redis['multi']>): Promise<unknown[]> {
  const replies = await m.exec();
  if (!replies) throw new Error('transaction aborted');
  return replies.map(([err, v]) => {
    if (err) throw err;
    return v;
  });
}
