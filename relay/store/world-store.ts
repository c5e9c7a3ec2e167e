import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TileId } from '../../src/index.js';

/** One tile as the relay last knew it for certain: its exact state (entities, props, counters, physics) at a tick. */
export interface TileCheckpoint {
  readonly tile: TileId;
  /** The tick of the world's timeline the state is from (the timeline goes on after a restart). */
  readonly tick: number;
  /** `TileSimulation.snapshot()` bytes. */
  readonly snapshot: Uint8Array;
}

/**
 * The relay's memory between runs: the latest checkpoint of every tile of a world, in SQLite
 * (better-sqlite3, write-ahead log: a save is either wholly there or not at all, even after
 * `kill -9`). One row per tile, replaced at each save: what is kept is bounded by the number of
 * tiles, not by how long the world has run.
 */
export class WorldStore {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly selectWorld: Database.Statement;

  /** Opens (creating if needed) the database file at `path`. */
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS tile_checkpoints (
      world TEXT NOT NULL, tx INTEGER NOT NULL, ty INTEGER NOT NULL, tz INTEGER NOT NULL,
      tick INTEGER NOT NULL, entities BLOB NOT NULL, saved_at INTEGER NOT NULL,
      PRIMARY KEY (world, tx, ty, tz))`);
    this.upsert = this.db.prepare('INSERT OR REPLACE INTO tile_checkpoints (world, tx, ty, tz, tick, entities, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.selectWorld = this.db.prepare('SELECT tx, ty, tz, tick, entities FROM tile_checkpoints WHERE world = ? ORDER BY tx, ty, tz');
  }

  /** Saves a world's checkpoints in one transaction (all or nothing). */
  save(world: string, tiles: readonly TileCheckpoint[], savedAtMs: number): void {
    const run = this.db.transaction((list: readonly TileCheckpoint[]) => {
      for (const t of list) this.upsert.run(world, t.tile.x, t.tile.y, t.tile.z, t.tick, Buffer.from(t.snapshot.buffer, t.snapshot.byteOffset, t.snapshot.byteLength), savedAtMs);
    });
    run(tiles);
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

  close(): void {
    this.db.close();
  }
}
