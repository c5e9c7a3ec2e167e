// The swarm's world: a square of tiles with ground, D players per tile (fixed local density: the
// world grows with N), and where every modelled avatar is at every tick. Players either walk a
// circle inside their home tile or (crossers) round a corner shared by four tiles, crossing
// borders. Pure functions of the player's index and the tick: no clock, no Math.random.
import { AVATAR_BODY, groundTiles, tileKey, tileOf, type EntityDesc, type SceneDesc, type TileId, type Vec3, type WorldConfig } from '../../src/index.js';

/** The swarm's layout and walk. */
export interface SwarmLayout {
  /** Players. */
  readonly players: number;
  /** Players per tile (fixed local density). */
  readonly perTile: number;
  /** Tiles along each side of the square world. */
  readonly side: number;
  /** Tile edge, metres. */
  readonly edge: number;
  /** Share of players who walk round a tile corner (crossing borders), 0..1. */
  readonly crossers: number;
  /** Walking speed, m/s. */
  readonly speed: number;
}

/** The standing height of an avatar on the ground slabs (top at y = 1). */
const AVATAR_Y = 1.81;

/** A layout for `players` at `perTile` per tile on 16 m tiles. */
export function swarmLayout(players: number, perTile = 4, crossers = 0.25, speed = 2): SwarmLayout {
  const tiles = Math.ceil(players / perTile);
  return { players, perTile, side: Math.max(2, Math.ceil(Math.sqrt(tiles))), edge: 16, crossers, speed };
}

/** The scene: one ground slab per tile of the square, nothing else (the relay starts owning them all). */
export function swarmScene(l: SwarmLayout): SceneDesc {
  return { config: { tileEdge: l.edge, seed: 5 }, entities: groundTiles(l.edge, 0, l.side - 1, 0, l.side - 1, 1) };
}

/** The ground slab of a tile (its entity in `swarmScene`). */
export function groundOf(l: SwarmLayout, tile: TileId): EntityDesc {
  return groundTiles(l.edge, tile.x, tile.x, tile.z, tile.z, 1 + tile.x * l.side + tile.z)[0]!;
}

interface Walk {
  readonly cx: number;
  readonly cz: number;
  readonly r: number;
  readonly phase: number;
  readonly dir: 1 | -1;
  readonly crosser: boolean;
}

/** Where every player walks, and where it is at a tick. */
export class WorldModel {
  private readonly walks: Walk[] = [];
  /** Tick the walking starts at (before it, every avatar stands at its spawn). */
  startTick = Number.POSITIVE_INFINITY;

  constructor(
    readonly layout: SwarmLayout,
    readonly config: WorldConfig,
  ) {
    const { edge, side, perTile, players } = layout;
    // Corners whose four tiles are all homes (a crosser never walks into a tile nobody lives in).
    const homes = Math.ceil(players / perTile);
    const inside = (x: number, z: number): boolean => x >= 0 && z >= 0 && x < side && z < side && x * side + z < homes;
    for (let i = 0; i < players; i++) {
      const home = Math.floor(i / perTile);
      const hx = Math.floor(home / side);
      const hz = home % side;
      const k = i % perTile;
      const phase = (2 * Math.PI * k) / perTile + (i % 7) * 0.3;
      const dir = i % 2 === 0 ? 1 : -1;
      // Every 1/crossers-th player of a tile walks round the tile's far corner (if it is inside).
      const crosser = layout.crossers > 0 && k % Math.round(1 / layout.crossers) === 0 && inside(hx + 1, hz) && inside(hx, hz + 1) && inside(hx + 1, hz + 1);
      if (crosser) this.walks.push({ cx: (hx + 1) * edge, cz: (hz + 1) * edge, r: 4, phase: phase + Math.PI / 4, dir, crosser: true });
      else this.walks.push({ cx: (hx + 0.5) * edge, cz: (hz + 0.5) * edge, r: 2 + (k % 3) * 1.2, phase, dir, crosser: false });
    }
  }

  /** Whether player `i` walks round a corner (crosses borders). */
  crosses(i: number): boolean {
    return this.walks[i]!.crosser;
  }

  /** Player `i`'s avatar position at `tick`. */
  position(i: number, tick: number): Vec3 {
    const w = this.walks[i]!;
    const t = Math.max(0, tick - this.startTick) / this.config.tickRate;
    const a = w.phase + (w.dir * this.layout.speed * t) / w.r;
    return { x: w.cx + w.r * Math.cos(a), y: AVATAR_Y, z: w.cz + w.r * Math.sin(a) };
  }

  /** Player `i`'s velocity at `tick` (zero before the walk starts). */
  velocity(i: number, tick: number): Vec3 {
    if (tick < this.startTick) return { x: 0, y: 0, z: 0 };
    const w = this.walks[i]!;
    const a = w.phase + (w.dir * this.layout.speed * (tick - this.startTick)) / this.config.tickRate / w.r;
    return { x: -w.dir * this.layout.speed * Math.sin(a), y: 0, z: w.dir * this.layout.speed * Math.cos(a) };
  }

  /** The tile player `i`'s avatar is in at `tick`. */
  tileAt(i: number, tick: number): TileId {
    return tileOf(this.position(i, tick), this.layout.edge);
  }

  /** The avatar of player `i` as an entity at `tick` (for snapshots and migrations). */
  avatarDesc(i: number, avatar: number, tick: number): EntityDesc {
    return { id: avatar, kind: 'avatar', body: AVATAR_BODY, state: { position: this.position(i, tick), rotation: { x: 0, y: 0, z: 0, w: 1 }, linvel: this.velocity(i, tick), angvel: { x: 0, y: 0, z: 0 } }, props: { name: `p${i}` } };
  }
}

/** Players by the tile their avatar is in, rebuilt each tick. */
export class Occupancy {
  private byTile = new Map<string, number[]>();
  private tileOfPlayer: string[] = [];

  /** Recomputes every player's tile at `tick`; returns the players whose tile changed, with both tiles. */
  update(model: WorldModel, count: number, tick: number): { i: number; from: string | undefined; to: string }[] {
    const moved: { i: number; from: string | undefined; to: string }[] = [];
    const next = new Map<string, number[]>();
    for (let i = 0; i < count; i++) {
      const key = tileKey(model.tileAt(i, tick));
      let list = next.get(key);
      if (!list) next.set(key, (list = []));
      list.push(i);
      if (this.tileOfPlayer[i] !== key) {
        moved.push({ i, from: this.tileOfPlayer[i], to: key });
        this.tileOfPlayer[i] = key;
      }
    }
    this.byTile = next;
    return moved;
  }

  /** Players in tile `key` (ascending index). */
  in(key: string): readonly number[] {
    return this.byTile.get(key) ?? [];
  }
}
