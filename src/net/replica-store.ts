import { boundingRadius, type BodyDesc, type EntityDesc, type EntityId } from '../core/entity.js';
import { entitiesDigest } from '../core/entity-digest.js';
import { distanceToTile, tileKey, type TileId } from '../core/tile.js';
import type { GhostState } from '../sim/ghost.js';
import type { Quat, Vec3 } from '../core/vec.js';
import type { WorldConfig } from '../core/world-config.js';
import type { EntityPose } from '../protocol/messages.js';

/** An entity as placed in the world: who it is, what it looks like, which tile holds it, where. */
export interface PlacedEntity {
  /** The entity's id. */
  readonly id: EntityId;
  /** Its kind name (`KindDef.name`). */
  readonly kind: string;
  /** Its body and collider, for drawing and ghosts. */
  readonly body: BodyDesc;
  /** The tile that holds it. */
  readonly tile: TileId;
  /** Metres. */
  readonly position: Vec3;
  /** Orientation, a unit quaternion. */
  readonly rotation: Quat;
}

/** What a non-owner knows of an entity: the owner's last reported state (position at `tick`) and when. */
export interface ReplicaEntity extends PlacedEntity {
  /** m/s, at `tick`. */
  readonly velocity: Vec3;
  /** The owner's tick this state is from. */
  readonly tick: number;
  /** Set when the entity left for another tile whose owner has not reported it yet. */
  readonly departed?: boolean;
}

interface ReplicaTile {
  readonly tile: TileId;
  epoch: number;
  tick: number;
  ids: Set<EntityId>;
  keyframe?: { tick: number; digest: string };
}

/** Result of applying an update to a replica. */
export type ReplicaUpdate = 'applied' | 'stale-epoch' | 'old-tick' | 'needs-keyframe';

/**
 * Replicas of the tiles a node subscribes to but does not own: the owner's last keyframe and
 * deltas, keyed by entity. Updates under an epoch older than the tile's known epoch are refused
 * (a former owner cannot overwrite the current one's state).
 */
export class ReplicaStore {
  private readonly tiles = new Map<string, ReplicaTile>();
  private readonly entities = new Map<EntityId, ReplicaEntity>();
  private readonly looks = new Map<EntityId, { kind: string; body: BodyDesc }>();
  /** Updates handled since creation: keyframes and deltas applied, updates refused for a stale epoch, and ignored as older than the replica. */
  readonly counters = {
    /** Full states applied. */
    keyframes: 0,
    /** Deltas applied. */
    deltas: 0,
    /** Updates refused because their lease epoch was older than the tile's known one. */
    staleRefused: 0,
    /** Updates ignored because their tick was not newer than the replica's. */
    oldIgnored: 0,
  };

  constructor(private readonly config: WorldConfig) {}

  /** The epoch of the newest update accepted for `tile`. */
  epochOf(tile: TileId): number {
    return this.tiles.get(tileKey(tile))?.epoch ?? 0;
  }

  /** Tick and `entitiesDigest` of the last full state applied to a tile's replica (to check convergence). */
  keyframeDigest(tile: TileId): {
    /** The owner's tick of that full state. */
    tick: number;
    /** `entitiesDigest` of its entities. */
    digest: string;
  } | undefined {
    return this.tiles.get(tileKey(tile))?.keyframe;
  }

  /** Raises the minimum epoch accepted for a tile (a lease was seen). */
  noteEpoch(tile: TileId, epoch: number): void {
    const t = this.tileRecord(tile);
    if (epoch > t.epoch) {
      t.epoch = epoch;
      // A new owner's timeline: the old owner's newer ticks (a cheater may have run ahead of
      // the state the relay resumed from) must not make its first states look old.
      t.tick = -1;
    }
  }

  /** Replaces a tile's replica with the owner's full list of its entities and their states at `tick`. */
  applyKeyframe(tile: TileId, epoch: number, tick: number, all: readonly EntityDesc[]): ReplicaUpdate {
    const t = this.tileRecord(tile);
    // A full state older than a delta already applied is still taken when it is newer than the
    // last full state: it comes on the reliable path and deltas on the unreliable one, so a delta
    // sent after it may arrive first (refused, the replica waited for the next full state: 10 s).
    // Entities a newer delta placed keep that newer pose.
    const behind = epoch === t.epoch && tick < t.tick && tick > (t.keyframe?.tick ?? -1);
    const refused = behind ? undefined : this.refuse(t, epoch, tick);
    if (refused) return refused;
    const newer = new Map<EntityId, ReplicaEntity>();
    for (const id of t.ids) {
      const e = this.entities.get(id);
      if (e?.tile && tileKey(e.tile) === tileKey(tile)) {
        if (behind && e.tick > tick) newer.set(id, e);
        this.entities.delete(id);
      }
    }
    t.ids = new Set();
    for (const e of all) {
      this.looks.set(e.id, { kind: e.kind, body: e.body });
      const prev = this.entities.get(e.id);
      if (prev && tileKey(prev.tile) !== tileKey(tile) && prev.tick > tick) continue; // it has moved on since
      this.entities.set(e.id, newer.get(e.id) ?? { id: e.id, kind: e.kind, body: e.body, tile, position: e.state.position, rotation: e.state.rotation, velocity: e.state.linvel, tick });
      t.ids.add(e.id);
    }
    t.epoch = epoch;
    t.tick = Math.max(tick, behind ? t.tick : tick);
    t.keyframe = { tick, digest: entitiesDigest(all) };
    this.counters.keyframes++;
    return 'applied';
  }

  /** Applies a delta; an entity never seen in a keyframe makes the result `needs-keyframe`. */
  applyDelta(tile: TileId, epoch: number, tick: number, poses: readonly EntityPose[], removed: readonly EntityId[], departed: readonly EntityId[] = []): ReplicaUpdate {
    const t = this.tileRecord(tile);
    const refused = this.refuse(t, epoch, tick);
    if (refused) return refused;
    t.epoch = epoch;
    t.tick = tick;
    let missing = false;
    for (const p of poses) {
      const look = this.looks.get(p.id);
      if (!look) {
        missing = true;
        continue;
      }
      const prev = this.entities.get(p.id);
      if (prev && tileKey(prev.tile) !== tileKey(tile)) this.tiles.get(tileKey(prev.tile))?.ids.delete(p.id);
      this.entities.set(p.id, {
        id: p.id,
        kind: look.kind,
        body: look.body,
        tile,
        position: { x: p.x, y: p.y, z: p.z },
        rotation: p.rotation ?? prev?.rotation ?? { x: 0, y: 0, z: 0, w: 1 },
        velocity: { x: p.vx, y: p.vy, z: p.vz },
        tick,
      });
      t.ids.add(p.id);
    }
    for (const id of removed) {
      const e = this.entities.get(id);
      if (e && tileKey(e.tile) === tileKey(tile)) this.entities.delete(id);
      t.ids.delete(id);
    }
    // Entities that moved to another tile stay visible, gliding on, until that tile's owner reports them.
    for (const id of departed) {
      const e = this.entities.get(id);
      if (e && tileKey(e.tile) === tileKey(tile)) this.entities.set(id, { ...e, departed: true });
      t.ids.delete(id);
    }
    // A departed entity nobody reported within a second is gone.
    for (const [id, e] of this.entities) if (e.departed && tick - e.tick > this.config.tickRate) this.entities.delete(id);
    this.counters.deltas++;
    return missing ? 'needs-keyframe' : 'applied';
  }

  /** Forgets a tile (no longer subscribed, or now owned here). */
  dropTile(tile: TileId): void {
    const t = this.tiles.get(tileKey(tile));
    if (!t) return;
    for (const id of t.ids) {
      const e = this.entities.get(id);
      if (e && tileKey(e.tile) === tileKey(tile)) this.entities.delete(id);
    }
    this.tiles.delete(tileKey(tile));
  }

  /**
   * Ghosts for a held neighbour: this tile's replicated bodies within `margin` metres (plus
   * their own size) of tile `near`, moved along their velocity to `tick`. Undefined when the
   * tile has no replica yet.
   */
  ghostsNear(tile: TileId, near: TileId, margin: number, tick: number): GhostState[] | undefined {
    const t = this.tiles.get(tileKey(tile));
    if (!t || t.tick < 0) return undefined;
    const out: GhostState[] = [];
    const dt = 1 / this.config.tickRate;
    for (const id of [...t.ids].sort((a, b) => a - b)) {
      const e = this.entities.get(id);
      if (!e || e.departed) continue;
      const ahead = Math.min(Math.max(0, tick - e.tick), this.config.tickRate) * dt;
      const position = { x: e.position.x + e.velocity.x * ahead, y: e.position.y + e.velocity.y * ahead, z: e.position.z + e.velocity.z * ahead };
      if (distanceToTile(position, near, this.config.tileEdge) > margin + boundingRadius(e.body.shape)) continue;
      out.push({ id, kind: e.kind, body: e.body, state: { position, rotation: e.rotation, linvel: e.velocity, angvel: { x: 0, y: 0, z: 0 } } });
    }
    return out;
  }

  /** Every replicated entity. */
  all(): IterableIterator<ReplicaEntity> {
    return this.entities.values();
  }

  /** One replicated entity. */
  get(id: EntityId): ReplicaEntity | undefined {
    return this.entities.get(id);
  }

  /** Tiles with a replica. */
  tileList(): TileId[] {
    return [...this.tiles.values()].map((t) => t.tile);
  }

  /** An update under an older epoch, or older than what the tile shows, is not applied. */
  private refuse(t: ReplicaTile, epoch: number, tick: number): ReplicaUpdate | undefined {
    if (epoch < t.epoch) {
      this.counters.staleRefused++;
      return 'stale-epoch';
    }
    if (epoch === t.epoch && tick < t.tick) {
      this.counters.oldIgnored++;
      return 'old-tick';
    }
    return undefined;
  }

  private tileRecord(tile: TileId): ReplicaTile {
    const key = tileKey(tile);
    let t = this.tiles.get(key);
    if (!t) this.tiles.set(key, (t = { tile, epoch: 0, tick: -1, ids: new Set() }));
    return t;
  }
}
