import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StoredDocument } from '../doc/world-doc-host.js';
import type { CompactionPolicy, RefusedCheckpoint, TileCheckpoint, WorldStorage } from './world-storage.js';
import { foldUpdates } from './fold-updates.js';

export type { CompactionPolicy, RefusedCheckpoint, TileCheckpoint } from './world-storage.js';

/**
 * The relay's memory between runs, in SQLite (better-sqlite3, write-ahead log: a save is either
 * wholly there or not at all, even after `kill -9`):
 * - the latest checkpoint of every tile of a world: one row per tile, replaced at each save
 *   (bounded by the number of tiles, not by how long the world has run);
 * - every document update the relay acknowledged, appended before the acknowledgement, folded
 *   into one compact update (deleted content dropped) past `CompactionPolicy`;
 * - templates, content-addressed (SHA-256): worlds made from one template share its row and
 *   keep only their own updates on top (paper §3.10: base layer + delta layer).
 */
export class WorldStore implements WorldStorage {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly selectWorld: Database.Statement;
  private readonly logs = new Map<string, { count: number; bytes: number; nextSeq: number }>();

  /** Opens (creating if needed) the database file at `path`. */
  constructor(
    readonly path: string,
    private readonly compaction: CompactionPolicy = { maxUpdates: 500, maxBytes: 4 * 1024 * 1024 },
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS tile_checkpoints (
      world TEXT NOT NULL, tx INTEGER NOT NULL, ty INTEGER NOT NULL, tz INTEGER NOT NULL,
      tick INTEGER NOT NULL, entities BLOB NOT NULL, saved_at INTEGER NOT NULL,
      PRIMARY KEY (world, tx, ty, tz))`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS templates (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS worlds (world TEXT PRIMARY KEY, template TEXT REFERENCES templates(hash), applied TEXT);
      CREATE TABLE IF NOT EXISTS doc_updates (world TEXT NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (world, seq))`);
    this.upsert = this.db.prepare('INSERT OR REPLACE INTO tile_checkpoints (world, tx, ty, tz, tick, entities, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.selectWorld = this.db.prepare('SELECT tx, ty, tz, tick, entities FROM tile_checkpoints WHERE world = ? ORDER BY tx, ty, tz');
  }

  /**
   * Saves a world's checkpoints in one transaction (all or nothing), with what the simulation
   * held of each authored object (so a restart re-applies edits newer than the checkpoint).
   * Refuses none (one process: there is no other node to fence against).
   */
  save(world: string, tiles: readonly TileCheckpoint[], savedAtMs: number, applied?: Readonly<Record<string, string>>): readonly RefusedCheckpoint[] {
    const run = this.db.transaction((list: readonly TileCheckpoint[]) => {
      for (const t of list) this.upsert.run(world, t.tile.x, t.tile.y, t.tile.z, t.tick, blob(t.snapshot), savedAtMs);
      if (applied) {
        this.db.prepare('INSERT OR IGNORE INTO worlds (world, template, applied) VALUES (?, NULL, NULL)').run(world);
        this.db.prepare('UPDATE worlds SET applied = ? WHERE world = ?').run(JSON.stringify(applied), world);
      }
    });
    run(tiles);
    return [];
  }

  /**
   * Creates a world's document record, on the template given (stored once per content); a
   * world that exists keeps its template. Returns the template hash the world uses.
   */
  createWorld(world: string, template?: Uint8Array): { created: boolean; template: string | undefined } {
    const row = this.db.prepare('SELECT template FROM worlds WHERE world = ?').get(world) as { template: string | null } | undefined;
    if (row) return { created: false, template: row.template ?? undefined };
    const hash = template ? createHash('sha256').update(template).digest('hex') : undefined;
    this.db.transaction(() => {
      if (template && hash) this.db.prepare('INSERT OR IGNORE INTO templates (hash, bytes) VALUES (?, ?)').run(hash, blob(template));
      this.db.prepare('INSERT INTO worlds (world, template, applied) VALUES (?, ?, NULL)').run(world, hash ?? null);
    })();
    return { created: true, template: hash };
  }

  /** A world's document: its template and its own updates (undefined for a world never created). */
  loadDocument(world: string): StoredDocument | undefined {
    const row = this.db.prepare('SELECT w.applied AS applied, t.bytes AS template FROM worlds w LEFT JOIN templates t ON t.hash = w.template WHERE w.world = ?').get(world) as { applied: string | null; template: Buffer | null } | undefined;
    if (!row) return undefined;
    const updates = (this.db.prepare('SELECT bytes FROM doc_updates WHERE world = ? ORDER BY seq').all(world) as { bytes: Buffer }[]).map((r) => new Uint8Array(r.bytes));
    return {
      ...(row.template ? { template: new Uint8Array(row.template) } : {}),
      updates,
      ...(row.applied ? { applied: JSON.parse(row.applied) as Record<string, string> } : {}),
    };
  }

  /** Appends an acknowledged document update (durable when this returns); compacts the log when due. */
  appendUpdate(world: string, update: Uint8Array): void {
    const log = this.logOf(world);
    this.db.prepare('INSERT INTO doc_updates (world, seq, bytes) VALUES (?, ?, ?)').run(world, log.nextSeq++, blob(update));
    log.count++;
    log.bytes += update.length;
    if (log.count > this.compaction.maxUpdates || log.bytes > this.compaction.maxBytes) this.compact(world);
  }

  /**
   * Folds a world's update log into one update: the document's state over its template, with
   * deleted content garbage-collected. The template stays as it is (shared).
   */
  compact(world: string): { before: number; after: number } {
    const doc = this.loadDocument(world);
    if (!doc) return { before: 0, after: 0 };
    const merged = foldUpdates(doc.template, doc.updates);
    const before = doc.updates.reduce((n, u) => n + u.length, 0);
    const log = this.logOf(world);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM doc_updates WHERE world = ?').run(world);
      this.db.prepare('INSERT INTO doc_updates (world, seq, bytes) VALUES (?, ?, ?)').run(world, log.nextSeq++, blob(merged));
    })();
    log.count = 1;
    log.bytes = merged.length;
    return { before, after: merged.length };
  }

  /** Number of stored updates and their bytes, for a world. */
  logSize(world: string): { count: number; bytes: number } {
    const { count, bytes } = this.logOf(world);
    return { count, bytes };
  }

  private logOf(world: string): { count: number; bytes: number; nextSeq: number } {
    let log = this.logs.get(world);
    if (!log) {
      const r = this.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(bytes)), 0) AS b, COALESCE(MAX(seq), 0) AS s FROM doc_updates WHERE world = ?').get(world) as { n: number; b: number; s: number };
      log = { count: r.n, bytes: r.b, nextSeq: r.s + 1 };
      this.logs.set(world, log);
    }
    return log;
  }

  /** Every stored tile of a world (empty for a world never saved). */
  load(world: string): TileCheckpoint[] {
    const rows = this.selectWorld.all(world) as { tx: number; ty: number; tz: number; tick: number; entities: Buffer }[];
    return rows.map((r) => ({ tile: { x: r.tx, y: r.ty, z: r.tz }, tick: r.tick, snapshot: new Uint8Array(r.entities) }));
  }

  /** Bytes the database takes on disk (main file). */
  get sizeBytes(): number {
    const page = this.db.pragma('page_size', { simple: true }) as number;
    const count = this.db.pragma('page_count', { simple: true }) as number;
    return page * count;
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }
}

function blob(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
