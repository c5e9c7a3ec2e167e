import type { BehaviourRegistry } from '../core/behaviour.js';
import type { BodyDesc, EntityId } from '../core/entity.js';
import { assert, ErrorCode } from '../core/errors.js';
import { tileKey, type TileId } from '../core/tile.js';
import type { WorldConfig } from '../core/world-config.js';
import type { Vec3 } from '../core/vec.js';
import { standardKinds } from '../kinds/standard-kinds.js';
import { decodeInputs } from '../protocol/input-codec.js';
import { initPhysics } from '../sim/physics.js';
import { TileWorld, type SceneDesc } from '../sim/tile-world.js';
import { FRAME_HEADER, FRAME_STRIDE } from './frame.js';

/** What `load` and `restore` report. */
export interface LoadedWorld {
  /** The world's current tick. */
  readonly tick: number;
  /** Entities in all tiles. */
  readonly entityCount: number;
  /** The world's tiles, in frame tile-index order. */
  readonly tiles: readonly TileId[];
  /** Kind names; a frame's kind index points into this list. */
  readonly kinds: readonly string[];
  /** The world's resolved settings. */
  readonly config: WorldConfig;
}

/** Shape, kind and position of an entity, for a renderer meeting it for the first time. */
export interface EntityLook {
  /** The entity. */
  readonly id: EntityId;
  /** Its kind name. */
  readonly kind: string;
  /** Its body and collider shape (metres), for building a mesh. */
  readonly body: BodyDesc;
  /** Metres, when looked up. */
  readonly position: Vec3;
}

/** Largest number of ticks one `step` call may run (a stalled tab catches up in bounded bites). */
export const MAX_TICKS_PER_CALL = 30;

/**
 * The tile simulator as a worker service: owns a `TileWorld` and speaks in transferable
 * `ArrayBuffer`s (frames, snapshots, input batches). `workers/tile-sim.worker.ts` exposes it
 * with comlink; tests use it directly in Node.
 */
export class TileWorldHost {
  private world: TileWorld | undefined;
  private readonly registry: BehaviourRegistry;
  private readonly now: () => number;
  private kinds: string[] = [];
  private kindIndex = new Map<string, number>();
  private tileIndex = new Map<string, number>();
  private migrations = 0;
  private lastStepMs = 0;
  private lastTicks = 0;

  /** `now` (ms) is used only to time steps for the stats panel, never by the simulation. */
  constructor(registry: BehaviourRegistry = standardKinds(), now: () => number = () => performance.now()) {
    this.registry = registry;
    this.now = now;
  }

  /** Loads the physics engine. Call once before `load`. */
  async init(): Promise<void> {
    await initPhysics();
  }

  /** Replaces the current world with a new one built from `scene`. */
  load(scene: SceneDesc): LoadedWorld {
    this.world?.dispose();
    this.world = TileWorld.fromScene(scene, this.registry);
    return this.describeWorld();
  }

  /**
   * Runs `ticks` ticks (inputs, an input batch from `encodeInputs`, apply to the first) and
   * returns a frame (see `frame.ts`) as a fresh `ArrayBuffer` the caller may transfer.
   */
  step(ticks: number, inputs: ArrayBuffer | null = null): ArrayBuffer {
    const world = this.need();
    assert(Number.isInteger(ticks) && ticks >= 0 && ticks <= MAX_TICKS_PER_CALL, ErrorCode.BadInput, `ticks must be an integer 0..${MAX_TICKS_PER_CALL}, got ${ticks}`);
    const batch = inputs ? decodeInputs(new Uint8Array(inputs)) : [];
    const t0 = this.now();
    for (let i = 0; i < ticks; i++) this.migrations += world.step(i === 0 ? batch : []).migrations;
    this.lastTicks = ticks;
    this.lastStepMs = ticks > 0 ? (this.now() - t0) / ticks : 0;
    return this.frame();
  }

  /** The current frame without stepping. */
  frame(): ArrayBuffer {
    const world = this.need();
    const tiles = world.tileList();
    const n = world.entityCount;
    const out = new Float64Array(FRAME_HEADER + n * FRAME_STRIDE);
    let ghosts = 0;
    for (const t of tiles) ghosts += t.ghostCount;
    out.set([world.tick, n, tiles.length, this.lastStepMs, this.lastTicks, this.migrations, ghosts, 0]);
    let o = FRAME_HEADER;
    for (const sim of tiles) {
      const ti = this.tileSlot(sim.tile);
      sim.forEachTransform((id, kind, p, q) => {
        out[o] = id;
        out[o + 1] = this.kindSlot(kind);
        out[o + 2] = ti;
        out[o + 3] = p.x;
        out[o + 4] = p.y;
        out[o + 5] = p.z;
        out[o + 6] = q.x;
        out[o + 7] = q.y;
        out[o + 8] = q.z;
        out[o + 9] = q.w;
        o += FRAME_STRIDE;
      });
    }
    return out.buffer;
  }

  /** Kind and body of the given entities (unknown ids are skipped). */
  looks(ids: readonly EntityId[]): EntityLook[] {
    const world = this.need();
    const out: EntityLook[] = [];
    for (const id of ids) {
      const e = world.describe(id);
      if (e) out.push({ id, kind: e.kind, body: e.body, position: e.state.position });
    }
    return out;
  }

  /** Tile ids in frame tile-index order. */
  tiles(): TileId[] {
    const out: TileId[] = [];
    for (const sim of this.need().tileList()) out[this.tileSlot(sim.tile)] = sim.tile;
    return out;
  }

  /** The world's state hash (16 hex digits). */
  hash(): string {
    return this.need().hash();
  }

  /** The whole world's snapshot as a transferable buffer. */
  snapshot(): ArrayBuffer {
    return this.need().snapshot().buffer as ArrayBuffer;
  }

  /** Replaces the current world with one restored from `snapshot()` bytes of a world with `config`. */
  restore(bytes: ArrayBuffer, config: Partial<WorldConfig>): LoadedWorld {
    this.world?.dispose();
    this.world = TileWorld.restore(new Uint8Array(bytes), this.registry, config);
    return this.describeWorld();
  }

  private need(): TileWorld {
    assert(this.world !== undefined, ErrorCode.NotInitialised, 'no world loaded: call load(scene) first');
    return this.world;
  }

  private describeWorld(): LoadedWorld {
    const world = this.need();
    this.kinds = this.registry.names();
    this.kindIndex = new Map(this.kinds.map((k, i) => [k, i]));
    this.tileIndex = new Map();
    this.migrations = 0;
    return { tick: world.tick, entityCount: world.entityCount, tiles: world.tileList().map((t) => t.tile), kinds: this.kinds, config: world.config };
  }

  private kindSlot(kind: string): number {
    return this.kindIndex.get(kind) ?? -1;
  }

  private tileSlot(t: TileId): number {
    const key = tileKey(t);
    let i = this.tileIndex.get(key);
    if (i === undefined) this.tileIndex.set(key, (i = this.tileIndex.size));
    return i;
  }
}
