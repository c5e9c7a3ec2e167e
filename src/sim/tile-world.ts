import type { BehaviourRegistry, EntityInput, EntityMessage } from '../core/behaviour.js';
import { ByteReader, ByteWriter } from '../core/bytes.js';
import type { EntityDesc, EntityId } from '../core/entity.js';
import { assert, ErrorCode } from '../core/errors.js';
import { StateHasher } from '../core/hash.js';
import { compareTiles, neighbours, parseTileKey, tileKey, tileOf, type TileId } from '../core/tile.js';
import { resolveWorldConfig, type WorldConfig } from '../core/world-config.js';
import { readTile, writeTile } from './snapshot-codec.js';
import { TileSimulation, type RemovalReason, type StepResult, type TileSimulationOptions } from './tile-simulation.js';

/** A world as data: its config and its authored entities. JSON-safe. */
export interface SceneDesc {
  /** World settings; omitted ones take `resolveWorldConfig`'s defaults. */
  readonly config: Partial<WorldConfig>;
  /** The authored entities; each goes to the tile that holds its position. Ids must be unique. */
  readonly entities: readonly EntityDesc[];
}

/** What one world tick did, summed over tiles. */
export interface WorldStepReport {
  /** The tick just simulated. */
  readonly tick: number;
  /** Entities that changed tile at this tick boundary. */
  readonly migrations: number;
  /** Messages routed between tiles. */
  readonly crossTileMessages: number;
  /** The entities that moved between two tiles of this world (`migrations` of them), with the tile each left. */
  readonly movedWithin: readonly {
    /** The tile it left. */
    readonly from: TileId;
    /** The entity. */
    readonly id: EntityId;
  }[];
  /** Entities gone for good this tick, with the tile they were in. */
  readonly removed: readonly {
    /** The removed entity. */
    readonly id: EntityId;
    /** Why it was removed. */
    readonly reason: RemovalReason;
    /** The tile it was in. */
    readonly tile: TileId;
  }[];
  /** Inputs and messages dropped or refused this tick (e.g. no such entity), one reason each, over all tiles. */
  readonly rejected: readonly string[];
  /** Entities that moved into tiles this world does not hold (only when it does not create tiles). */
  readonly outboundMigrants: readonly {
    /** The tile it left. */
    readonly from: TileId;
    /** The tile it moved into. */
    readonly to: TileId;
    /** The entity, as it left. */
    readonly entity: EntityDesc;
  }[];
  /** Messages to entities this world does not hold (only when it does not create tiles). */
  readonly outboundMail: readonly {
    /** The sender's tile. */
    readonly from: TileId;
    /** The message. */
    readonly message: EntityMessage;
  }[];
}

const WORLD_MAGIC = 0x444c5754; // "TWLD"

/**
 * Several tiles simulated together in one place (a worker, the relay, a test), with
 * migrations, ghosts and cross-tile messages routed between them at tick boundaries. Each
 * tile is still its own `TileSimulation`, exactly as a distributed owner would run it.
 * Call `dispose()` to free the tiles.
 */
export class TileWorld {
  /** The world's resolved settings (tile edge, tick rate, gravity…). */
  readonly config: WorldConfig;
  private readonly registry: BehaviourRegistry;
  private readonly tiles = new Map<string, TileSimulation>();
  private ghostLink: ((a: TileId, b: TileId) => boolean) | undefined;
  /** Tiles in `compareTiles` order: the order they step and route in. */
  private ordered: TileSimulation[] = [];
  /** Which tile holds each entity. */
  private readonly directory = new Map<EntityId, string>();
  private currentTick: number;
  /** A world that holds every tile creates tiles as entities arrive; a part of a distributed world hands them out instead. */
  private readonly createsTiles: boolean;
  /** How the tiles this world creates or restores run. */
  private readonly options: TileSimulationOptions;

  private constructor(config: WorldConfig, registry: BehaviourRegistry, tick: number, createsTiles = true, options: TileSimulationOptions = {}) {
    this.options = options;
    this.config = config;
    this.registry = registry;
    this.currentTick = tick;
    this.createsTiles = createsTiles;
  }

  /**
   * An empty world at `tick` that holds only the tiles given to it with `adoptTile`: entities
   * and messages bound for other tiles come out of `step` as outbound items.
   */
  static partial(config: WorldConfig, registry: BehaviourRegistry, tick: number, options?: TileSimulationOptions): TileWorld {
    return new TileWorld(config, registry, tick, false, options);
  }

  /** Builds a world from a scene: each entity goes to the tile holding its position. */
  static fromScene(scene: SceneDesc, registry: BehaviourRegistry, options?: TileSimulationOptions): TileWorld {
    const config = resolveWorldConfig(scene.config);
    const world = new TileWorld(config, registry, 0, true, options);
    const byTile = new Map<string, { tile: TileId; entities: EntityDesc[] }>();
    const seen = new Set<EntityId>();
    for (const e of scene.entities) {
      assert(!seen.has(e.id), ErrorCode.DuplicateEntity, `scene lists entity ${e.id} twice`);
      seen.add(e.id);
      const t = tileOf(e.state.position, config.tileEdge);
      const key = tileKey(t);
      let group = byTile.get(key);
      if (!group) byTile.set(key, (group = { tile: t, entities: [] }));
      group.entities.push(e);
    }
    for (const [key, g] of [...byTile].sort((a, b) => compareTiles(a[1].tile, b[1].tile))) {
      world.addTile(TileSimulation.create(g.tile, config, registry, g.entities, 0, undefined, options));
      for (const e of g.entities) world.directory.set(e.id, key);
    }
    return world;
  }

  /** Rebuilds a world from `snapshot()` bytes. */
  static restore(bytes: Uint8Array, registry: BehaviourRegistry, config: Partial<WorldConfig>, options?: TileSimulationOptions): TileWorld {
    const r = new ByteReader(bytes, ErrorCode.BadSnapshot, 'world snapshot');
    if (r.u32() !== WORLD_MAGIC) r.fail('not a world snapshot (bad magic)');
    const tick = r.f64();
    const world = new TileWorld(resolveWorldConfig(config), registry, tick, true, options);
    const n = r.count(1_000_000, 'tile');
    for (let i = 0; i < n; i++) {
      const expected = readTile(r);
      const sim = TileSimulation.restore(r.bytes(Number.MAX_SAFE_INTEGER), world.config, registry, options);
      assert(tileKey(sim.tile) === tileKey(expected), ErrorCode.BadSnapshot, `world snapshot: tile ${tileKey(expected)} holds a snapshot of ${tileKey(sim.tile)}`);
      world.addTile(sim);
      for (const id of sim.entityIds()) world.directory.set(id, tileKey(sim.tile));
    }
    r.end();
    return world;
  }

  /** The next tick to simulate. */
  get tick(): number {
    return this.currentTick;
  }

  /** Every tile, in `compareTiles` order. */
  tileList(): readonly TileSimulation[] {
    return this.ordered;
  }

  /** The tile simulation for `t`, if the world has one. */
  tileAt(t: TileId): TileSimulation | undefined {
    return this.tiles.get(tileKey(t));
  }

  /** The tile holding entity `id`, if any. */
  tileOfEntity(id: EntityId): TileId | undefined {
    const key = this.directory.get(id);
    return key === undefined ? undefined : parseTileKey(key);
  }

  /** Number of entities in all tiles (ghosts excluded). */
  get entityCount(): number {
    let n = 0;
    for (const t of this.ordered) n += t.entityCount;
    return n;
  }

  /** Every entity with its current state, ascending by id. */
  describeAll(): EntityDesc[] {
    return this.ordered.flatMap((t) => t.describeAll()).sort((a, b) => a.id - b.id);
  }

  /** Full description of one entity. */
  describe(id: EntityId): EntityDesc | undefined {
    const key = this.directory.get(id);
    return key === undefined ? undefined : this.tiles.get(key)?.describe(id);
  }

  /**
   * Simulates one tick in every tile, then routes what crossed tile borders: migrating
   * entities, ghosts and messages reach their tiles before the next tick.
   */
  step(inputs: readonly EntityInput[] = []): WorldStepReport {
    const tick = this.currentTick;
    const perTile = new Map<string, EntityInput[]>();
    const rejected: string[] = [];
    for (const input of inputs) {
      const key = this.directory.get(input.entity);
      if (key === undefined) {
        rejected.push(`input for ${input.entity} dropped: no such entity in the world`);
        continue;
      }
      let list = perTile.get(key);
      if (!list) perTile.set(key, (list = []));
      list.push(input);
    }
    const results: { sim: TileSimulation; result: StepResult }[] = [];
    for (const sim of this.ordered) results.push({ sim, result: sim.step(perTile.get(tileKey(sim.tile)) ?? []) });

    let migrations = 0;
    let crossTileMessages = 0;
    const outboundMigrants: { from: TileId; to: TileId; entity: EntityDesc }[] = [];
    const movedWithin: { from: TileId; id: EntityId }[] = [];
    const outboundMail: { from: TileId; message: EntityMessage }[] = [];
    const removed: { id: EntityId; reason: RemovalReason; tile: TileId }[] = [];
    const messages: EntityMessage[] = [];
    for (const { sim, result } of results) {
      const key = tileKey(sim.tile);
      for (const id of result.spawned) this.directory.set(id, key);
      for (const r of result.removed) {
        this.directory.delete(r.id);
        removed.push({ ...r, tile: sim.tile });
      }
      rejected.push(...result.rejected);
      messages.push(...result.outbox);
    }
    // Migrations first (they may create tiles), then ghosts, then messages.
    for (const { sim: from, result } of results) {
      for (const m of result.emigrants) {
        const sim = this.createsTiles ? this.tileFor(m.to) : this.tiles.get(tileKey(m.to));
        if (!sim) {
          this.directory.delete(m.entity.id);
          outboundMigrants.push({ from: from.tile, to: m.to, entity: m.entity });
          continue;
        }
        sim.receiveImmigrants([m.entity]);
        this.directory.set(m.entity.id, tileKey(m.to));
        movedWithin.push({ from: from.tile, id: m.entity.id });
        migrations++;
      }
    }
    for (const { sim, result } of results) {
      for (const g of result.ghosts) {
        const linked = !this.ghostLink || this.ghostLink(sim.tile, g.to);
        this.tiles.get(tileKey(g.to))?.receiveGhosts(sim.tile, linked ? g.ghosts : g.ghosts.filter((x) => x.body.type === 'fixed'));
      }
    }
    for (const { sim, result } of results) {
      for (const m of result.outbox) {
        const key = this.directory.get(m.to);
        if (key === undefined && !this.createsTiles) outboundMail.push({ from: sim.tile, message: m });
      }
    }
    for (const m of messages) {
      const key = this.directory.get(m.to);
      const target = key === undefined ? undefined : this.tiles.get(key);
      if (!target) {
        if (!this.createsTiles) continue; // handed out above
        rejected.push(`message ${m.topic} from ${m.from} to ${m.to} dropped: no such entity in the world`);
        continue;
      }
      target.receiveMessages([m]);
      crossTileMessages++;
    }
    // Everything for the next tick is here: let migrants arrive now, so none is ever in transit.
    for (const sim of this.ordered) rejected.push(...sim.applyInbound());
    this.currentTick = tick + 1;
    return { tick, migrations, crossTileMessages, movedWithin, removed, rejected, outboundMigrants, outboundMail };
  }

  /** Takes in a tile simulation standing at this world's tick (a handoff or a restored checkpoint). */
  adoptTile(sim: TileSimulation): void {
    assert(sim.tick === this.currentTick, ErrorCode.BadInput, () => `tile ${tileKey(sim.tile)} stands at tick ${sim.tick}, the world at ${this.currentTick}`);
    assert(!this.tiles.has(tileKey(sim.tile)), ErrorCode.BadInput, () => `tile ${tileKey(sim.tile)} is already held`);
    this.addTile(sim);
    for (const id of sim.entityIds()) this.directory.set(id, tileKey(sim.tile));
  }

  /** Removes a tile from this world and returns it (the caller snapshots and disposes it). */
  releaseTile(t: TileId): TileSimulation | undefined {
    const key = tileKey(t);
    const sim = this.tiles.get(key);
    if (!sim) return undefined;
    this.tiles.delete(key);
    this.ordered = this.ordered.filter((x) => x !== sim);
    this.updateGhostNeighbours(t);
    sim.setGhostNeighbours(undefined);
    for (const id of sim.entityIds()) if (this.directory.get(id) === key) this.directory.delete(id);
    return sim;
  }

  /**
   * Puts an entity into a held tile at this tick boundary (an avatar joining, a migrant from
   * another owner): `tile`, or else the tile containing its position (a body handed over with
   * its island may lie outside the tile that takes it). Returns false when that tile is not held here.
   */
  insertEntity(e: EntityDesc, tile?: TileId): boolean {
    const t = tile ?? tileOf(e.state.position, this.config.tileEdge);
    const sim = this.tiles.get(tileKey(t));
    if (!sim) return false;
    sim.receiveImmigrants([e]);
    sim.applyInbound();
    if (sim.has(e.id)) this.directory.set(e.id, tileKey(t));
    return sim.has(e.id);
  }

  /** Removes an entity at this tick boundary; returns false when it is not held here. */
  removeEntity(id: EntityId): boolean {
    const key = this.directory.get(id);
    const sim = key === undefined ? undefined : this.tiles.get(key);
    if (!sim) return false;
    sim.receiveRemovals([id]);
    sim.applyInbound();
    this.directory.delete(id);
    return true;
  }

  /** Delivers a message from elsewhere to the held tile of its target; returns false when the target is not held. */
  deliverMessage(m: EntityMessage): boolean {
    const key = this.directory.get(m.to);
    const sim = key === undefined ? undefined : this.tiles.get(key);
    if (!sim) return false;
    sim.receiveMessages([m]);
    return true;
  }

  /** True when this world holds tile `t`. */
  holds(t: TileId): boolean {
    return this.tiles.has(tileKey(t));
  }

  /** Hash of the whole world: every tile's `hash()` in tile order. */
  hash(): string {
    const h = new StateHasher().f64(this.currentTick).u32(this.ordered.length);
    for (const sim of this.ordered) h.str(sim.hash());
    return h.digest();
  }

  /** Every tile's snapshot, framed with the world tick; restore with `TileWorld.restore`. */
  snapshot(): Uint8Array {
    const w = new ByteWriter();
    w.u32(WORLD_MAGIC).f64(this.currentTick).u32(this.ordered.length);
    for (const sim of this.ordered) {
      writeTile(w, sim.tile);
      w.bytes(sim.snapshot());
    }
    return w.finish();
  }

  /** Frees every tile's physics world. */
  dispose(): void {
    for (const sim of this.ordered) sim.dispose();
    this.tiles.clear();
    this.ordered = [];
  }

  private tileFor(t: TileId): TileSimulation {
    const existing = this.tiles.get(tileKey(t));
    if (existing) return existing;
    const sim = TileSimulation.create(t, this.config, this.registry, [], this.currentTick + 1, undefined, this.options);
    this.addTile(sim);
    return sim;
  }

  private addTile(sim: TileSimulation): void {
    this.tiles.set(tileKey(sim.tile), sim);
    this.ordered.push(sim);
    this.ordered.sort((a, b) => compareTiles(a.tile, b.tile));
    this.updateGhostNeighbours(sim.tile);
  }

  /** Ghosts go only to neighbours this world holds (others get theirs from replicas, or do not exist) and that `ghostLink` admits. */
  private updateGhostNeighbours(around: TileId): void {
    for (const t of [around, ...neighbours(around)]) {
      const sim = this.tiles.get(tileKey(t));
      if (sim) sim.setGhostNeighbours(this.ghostNeighboursOf(t));
    }
  }

  /**
   * Gives a tile simulation standing apart from this world (rebuilt from a full state, or about
   * to be adopted) the ghosts of held neighbours' fixed bodies it does not show yet. Without them
   * a replay or a first step stands it beside no floor: bodies of an island held here but lying
   * in the neighbour (crates stacked across a border) fell through it.
   */
  seedFixedGhosts(sim: TileSimulation): void {
    for (const n of this.ghostNeighboursOf(sim.tile)) {
      if (sim.showsGhostsFrom(n)) continue;
      const ghosts = this.tiles.get(tileKey(n))!.fixedGhostsFor(sim.tile);
      if (ghosts.length > 0) sim.receiveGhosts(n, ghosts);
    }
  }

  /** `seedFixedGhosts` for a held tile just adopted and for its held neighbours (which get its fixed bodies before their next step). */
  seedFixedGhostsAround(t: TileId): void {
    for (const n of [t, ...this.ghostNeighboursOf(t)]) this.seedFixedGhosts(this.tiles.get(tileKey(n))!);
  }

  /** The held neighbours of `t` that exchange ghosts with it. */
  ghostNeighboursOf(t: TileId): TileId[] {
    return neighbours(t).filter((n) => this.tiles.has(tileKey(n)));
  }

  /**
   * Limits which held tiles exchange ghosts of moving bodies (both ways: `link` must be
   * symmetric); fixed bodies are ghosted to every held neighbour, as every owner gets them.
   * Undefined links every held neighbour, the default. A replica world links only tiles of one
   * owner: an owner sees another owner's moving bodies only as its own replicas of them (the
   * relay not at all), never as exactly as the replica world holds them, so a replica that let
   * them touch would predict contacts and island moves the owners never make.
   */
  setGhostLink(link: ((a: TileId, b: TileId) => boolean) | undefined): void {
    this.ghostLink = link;
    this.refreshGhostLinks();
  }

  /** Kept for callers that change owners: links are read at each step, so there is nothing to redo. */
  refreshGhostLinks(): void {}
}
