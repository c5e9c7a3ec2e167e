// The tiles the relay simulates itself (every tile no player owns), behind one interface with a
// same-thread implementation (`InlineRelayTiles`: the seeded harness, tests) and a worker-thread
// one (`ThreadRelayTiles`: the server), so the relay's event loop never steps physics and a busy
// tile never delays signalling, leases or relayed traffic. Commands return nothing: what they
// produce comes back as events — at once on the same thread, a moment later from a worker — and
// the relay reads a view (where entities are, the tick) that a worker refreshes after each batch.
import {
  boundingRadius,
  distanceToTile,
  RELAY_PEER,
  TileAuthority,
  tileKey,
  type BehaviourRegistry,
  type EntityDesc,
  type EntityId,
  type EntityInput,
  type EntityMessage,
  type GhostState,
  type Message,
  type PeerId,
  type ReplicationConfig,
  type TileId,
  type Vec3,
  type WorldConfig,
} from '../../src/index.js';

/** What the relay's tiles produce, delivered to the relay (on its own thread). */
export interface RelayTilesEvents {
  /**
   * A held tile sends to a peer (deltas, full states); to `RELAY_PEER`, a migrant or a message
   * bound for a tile not held here, which the relay routes (it knows every tile's owner).
   */
  send(to: PeerId, message: Message, reliable: boolean): void;
  /** Something could not be placed or routed, with the reason (the relay logs and counts it). */
  dropped(reason: string): void;
  /** The answer to `release`: the tile's exact state when it stopped being simulated here (undefined if it was not). */
  released(tile: TileId, state: { tick: number; snapshot: Uint8Array } | undefined): void;
  /** `remove(id)` found no such entity (it left meanwhile): the relay looks for it elsewhere. */
  removeMissed(id: EntityId): void;
  /** `deliver(m)` found no such entity (it left meanwhile). */
  undelivered(m: EntityMessage): void;
}

/** One tile of a `RelayTilesCut`. */
export interface CutTile {
  /** The tile. */
  readonly tile: TileId;
  /** Its exact snapshot (`TileSimulation.snapshot`). */
  readonly snapshot: Uint8Array;
  /** The entities in it. */
  readonly ids: EntityId[];
}

/** Tick and `entitiesDigest` of the last `TileState` a tile sent. */
export interface StateDigest {
  /** The tick of that `TileState`. */
  readonly tick: number;
  /** `entitiesDigest` of its entities. */
  readonly digest: string;
}

/** One consistent cut of the relay's tiles: all at one tick, plus migrants held for a later tick. */
export interface RelayTilesCut {
  /** The tick every tile stands at. */
  readonly tick: number;
  /** Each held tile's exact snapshot, sorted by tile. */
  readonly tiles: readonly CutTile[];
  /** Migrants stamped with a tick not simulated yet: they belong to the tile their position is in. */
  readonly early: readonly EntityDesc[];
}

/** What the relay reads of its tiles without waiting (from a worker: as of its last batch). */
export interface RelayTilesView {
  /** The next tick the relay's tiles will simulate. */
  readonly tick: number;
  /** Entities in the relay's tiles. */
  readonly entityCount: number;
  /** Ticks stepped since the last time this was read (for the slow-tick log). */
  takeStepped(): number;
  /** True when the relay has given `tile` to its tiles and not taken it back. */
  holds(tile: TileId): boolean;
  /** The tile holding entity `id`, if it is in one of the relay's tiles. */
  tileOfEntity(id: EntityId): TileId | undefined;
  /** Where entity `id` is, metres, if it is in one of the relay's tiles. */
  positionOf(id: EntityId): Vec3 | undefined;
  /** Tick and `entitiesDigest` of the last `TileState` sent for a held tile. */
  stateDigest(tile: TileId): StateDigest | undefined;
}

/** The relay's own tiles: commands in, events and a view out. Commands take effect in call order. */
export interface RelayTiles extends RelayTilesView {
  /** Starts simulating `tile` from `snapshot` under `epoch`, updates going to `subscribers`. */
  adopt(tile: TileId, epoch: number, snapshot: Uint8Array, subscribers: PeerId[]): void;
  /** Stops simulating `tile`; its state comes back through `events.released`. */
  release(tile: TileId): void;
  /** Sets who receives a held tile's updates. */
  setSubscribers(tile: TileId, epoch: number, peers: PeerId[]): void;
  /** Sends one peer a held tile's full state. */
  sendKeyframeTo(tile: TileId, peer: PeerId): void;
  /** Queues a player's inputs stamped with tick `tick` (late ones apply at the next tick). */
  addInputs(tick: number, inputs: readonly EntityInput[]): void;
  /** Places an entity in a held tile (a migrant with the tick its state is of); failures come back as `dropped`. */
  insert(entity: EntityDesc, fromTick?: number): void;
  /** Removes an entity; `events.removeMissed` when it is not here. */
  remove(id: EntityId): void;
  /** Delivers a message to an entity here; `events.undelivered` when it is not here. */
  deliver(m: EntityMessage): void;
  /** The fixed bodies (terrain, walls) of a tile owned elsewhere, for ghosts at the border; undefined: none known. */
  setFixedBodies(tile: TileId, fixed: readonly EntityDesc[] | undefined): void;
  /** Steps the tiles towards `targetTick` (at most 30 ticks per call: a stalled simulation catches up in bites). */
  stepTo(targetTick: number): void;
  /** A consistent cut of every held tile, after every command given before it; undefined when the tiles were lost (a worker died). */
  cut(done: (cut: RelayTilesCut | undefined) => void): void;
  /** Frees everything (a worker is terminated). */
  close(): void;
}

/** What every implementation is built from. */
export interface RelayTilesSetup {
  /** The world's configuration. */
  readonly config: WorldConfig;
  /** The kinds (a worker loads its own from the kinds module). */
  readonly registry: BehaviourRegistry;
  /** How the relay's tiles replicate to subscribers. */
  readonly replication: ReplicationConfig;
  /** The tick the relay's timeline starts at (a restored world goes on where it stopped). */
  readonly startTick: number;
  /** Where events go. */
  readonly events: RelayTilesEvents;
}

/** Makes the relay's tiles: `inlineRelayTiles` or `threadRelayTiles(kindsUrl)`. */
export type RelayTilesFactory = (setup: RelayTilesSetup) => RelayTiles;

/** A command as it crosses to a worker (the same calls as `RelayTiles`). */
export type RelayTilesCommand =
  | { readonly c: 'adopt'; readonly tile: TileId; readonly epoch: number; readonly snapshot: Uint8Array; readonly subscribers: PeerId[] }
  | { readonly c: 'release'; readonly tile: TileId }
  | { readonly c: 'subscribers'; readonly tile: TileId; readonly epoch: number; readonly peers: PeerId[] }
  | { readonly c: 'keyframeTo'; readonly tile: TileId; readonly peer: PeerId }
  | { readonly c: 'inputs'; readonly tick: number; readonly inputs: readonly EntityInput[] }
  | { readonly c: 'insert'; readonly entity: EntityDesc; readonly fromTick: number | undefined }
  | { readonly c: 'remove'; readonly id: EntityId }
  | { readonly c: 'deliver'; readonly message: EntityMessage }
  | { readonly c: 'fixed'; readonly tile: TileId; readonly fixed: readonly EntityDesc[] | undefined }
  | { readonly c: 'step'; readonly target: number }
  | { readonly c: 'cut'; readonly id: number };

/** Most ticks one `stepTo` runs. */
const MAX_TICKS_PER_STEP = 30;

/**
 * Runs commands against a `TileAuthority` holding the relay's tiles, on whichever thread it
 * lives: the same code behind both implementations. Migrants and mail for tiles it does not
 * hold go to `RELAY_PEER` (the relay routes them); border ghosts come from the fixed bodies
 * the relay passes in.
 */
export class RelayTilesEngine {
  readonly authority: TileAuthority;
  private readonly fixedBodies = new Map<string, readonly EntityDesc[]>();
  /** Ticks stepped since `takeStepped`. */
  stepped = 0;

  constructor(
    private readonly setup: Omit<RelayTilesSetup, 'events'>,
    private readonly events: RelayTilesEvents,
  ) {
    const { config } = setup;
    this.authority = new TileAuthority(
      config,
      setup.registry,
      RELAY_PEER,
      {
        send: (to, message, reliable) => events.send(to, message, reliable),
        // Every tile not held here is routed by the relay, which knows its owner now (not as of a copy).
        ownerOf: () => ({ owner: RELAY_PEER, epoch: 0 }),
        tileOfEntity: () => ({ x: 0, y: 0, z: 0 }),
        dropped: (reason) => events.dropped(reason),
        ghostsFrom: (from, to) => {
          const fixed = this.fixedBodies.get(tileKey(from));
          if (!fixed) return undefined;
          const margin = config.ghostMargin;
          return fixed.filter((e) => distanceToTile(e.state.position, to, config.tileEdge) <= margin + boundingRadius(e.body.shape)).map((e): GhostState => ({ id: e.id, kind: e.kind, body: e.body, state: e.state }));
        },
      },
      setup.replication,
      setup.startTick,
    );
  }

  run(cmd: RelayTilesCommand, cutDone?: (id: number, cut: RelayTilesCut) => void): void {
    const a = this.authority;
    switch (cmd.c) {
      case 'adopt':
        return a.adopt(cmd.tile, cmd.epoch, cmd.snapshot, cmd.subscribers);
      case 'release': {
        const s = a.release(cmd.tile);
        return this.events.released(cmd.tile, s ? { tick: s.tick, snapshot: s.snapshot } : undefined);
      }
      case 'subscribers':
        return a.setSubscribers(cmd.tile, cmd.epoch, cmd.peers);
      case 'keyframeTo':
        return a.sendKeyframeTo(cmd.tile, cmd.peer);
      case 'inputs':
        if (!a.addInputs(cmd.tick, cmd.inputs)) this.events.dropped(`inputs for tick ${cmd.tick} refused by the relay's tiles (now ${a.tick})`);
        return;
      case 'insert':
        if (!a.insert(cmd.entity, cmd.fromTick)) this.events.dropped(`entity ${cmd.entity.id} could not be placed in the relay's tiles`);
        return;
      case 'remove':
        if (!a.remove(cmd.id)) this.events.removeMissed(cmd.id);
        return;
      case 'deliver':
        if (!a.deliver(cmd.message)) this.events.undelivered(cmd.message);
        return;
      case 'fixed':
        if (cmd.fixed) this.fixedBodies.set(tileKey(cmd.tile), cmd.fixed);
        else this.fixedBodies.delete(tileKey(cmd.tile));
        return;
      case 'step':
        this.stepped += a.stepTo(cmd.target, MAX_TICKS_PER_STEP);
        return;
      case 'cut':
        return cutDone?.(cmd.id, this.cut());
    }
  }

  cut(): RelayTilesCut {
    const tiles = this.authority.world
      .tileList()
      .map((sim) => ({ tile: sim.tile, snapshot: sim.snapshot(), ids: sim.entityIds() }))
      .sort((p, q) => p.tile.x - q.tile.x || p.tile.y - q.tile.y || p.tile.z - q.tile.z);
    return { tick: this.authority.tick, tiles, early: this.authority.earlyMigrants() };
  }

  close(): void {
    this.authority.dispose();
  }
}

/** The relay's tiles on the relay's own thread: commands run at once, events come back before the call returns. */
export class InlineRelayTiles implements RelayTiles {
  private readonly engine: RelayTilesEngine;

  constructor(setup: RelayTilesSetup) {
    this.engine = new RelayTilesEngine(setup, setup.events);
  }

  /** The relay's simulation itself (tests and tools read it; only this implementation has it here). */
  get world(): TileAuthority['world'] {
    return this.engine.authority.world;
  }
  get tick(): number {
    return this.engine.authority.tick;
  }
  get entityCount(): number {
    return this.engine.authority.world.entityCount;
  }
  takeStepped(): number {
    const n = this.engine.stepped;
    this.engine.stepped = 0;
    return n;
  }
  holds(tile: TileId): boolean {
    return this.engine.authority.holds(tile);
  }
  tileOfEntity(id: EntityId): TileId | undefined {
    return this.engine.authority.world.tileOfEntity(id);
  }
  positionOf(id: EntityId): Vec3 | undefined {
    return this.engine.authority.world.describe(id)?.state.position;
  }
  stateDigest(tile: TileId): StateDigest | undefined {
    return this.engine.authority.stateDigests.get(tileKey(tile));
  }
  adopt(tile: TileId, epoch: number, snapshot: Uint8Array, subscribers: PeerId[]): void {
    this.engine.run({ c: 'adopt', tile, epoch, snapshot, subscribers });
  }
  release(tile: TileId): void {
    this.engine.run({ c: 'release', tile });
  }
  setSubscribers(tile: TileId, epoch: number, peers: PeerId[]): void {
    this.engine.run({ c: 'subscribers', tile, epoch, peers });
  }
  sendKeyframeTo(tile: TileId, peer: PeerId): void {
    this.engine.run({ c: 'keyframeTo', tile, peer });
  }
  addInputs(tick: number, inputs: readonly EntityInput[]): void {
    this.engine.run({ c: 'inputs', tick, inputs });
  }
  insert(entity: EntityDesc, fromTick?: number): void {
    this.engine.run({ c: 'insert', entity, fromTick });
  }
  remove(id: EntityId): void {
    this.engine.run({ c: 'remove', id });
  }
  deliver(m: EntityMessage): void {
    this.engine.run({ c: 'deliver', message: m });
  }
  setFixedBodies(tile: TileId, fixed: readonly EntityDesc[] | undefined): void {
    this.engine.run({ c: 'fixed', tile, fixed });
  }
  stepTo(targetTick: number): void {
    this.engine.run({ c: 'step', target: targetTick });
  }
  cut(done: (cut: RelayTilesCut | undefined) => void): void {
    done(this.engine.cut());
  }
  close(): void {
    this.engine.close();
  }
}

/** The default: the relay's tiles on its own thread. */
export const inlineRelayTiles: RelayTilesFactory = (setup) => new InlineRelayTiles(setup);
