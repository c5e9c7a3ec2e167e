import { assert, ErrorCode } from './errors.js';
import type { Vec3 } from './vec.js';

/**
 * A tile: a fixed-size cube of space, named by integer coordinates. Tile (0,0,0) spans
 * [0, edge) on every axis; tile (-1,0,0) spans [-edge, 0) on x.
 */
export interface TileId {
  /** Tile index along x: the tile spans x·edge to (x+1)·edge metres. */
  readonly x: number;
  /** Tile index along y (up). */
  readonly y: number;
  /** Tile index along z. */
  readonly z: number;
}

/** Largest tile coordinate magnitude, so keys and wire encodings stay within int32. */
export const MAX_TILE_COORD = 1 << 30;

/** Builds a `TileId`, checking the coordinates are integers in range. */
export function tileId(x: number, y: number, z: number): TileId {
  for (const c of [x, y, z]) {
    assert(Number.isInteger(c) && Math.abs(c) <= MAX_TILE_COORD, ErrorCode.BadInput, () => `tile coordinate ${c} is not an integer in ±2^30`);
  }
  return { x: x + 0, y: y + 0, z: z + 0 }; // `+ 0` turns -0 into 0 so keys are canonical
}

/** Checks a tile edge length (metres): finite and positive. */
export function checkEdge(edge: number): void {
  assert(Number.isFinite(edge) && edge > 0, ErrorCode.BadInput, () => `tile edge must be a positive number of metres, got ${edge}`);
}

/** The tile holding point `p` for tiles of `edge` metres. Points on a face belong to the tile above it. */
export function tileOf(p: Vec3, edge: number): TileId {
  checkEdge(edge);
  return tileId(Math.floor(p.x / edge), Math.floor(p.y / edge), Math.floor(p.z / edge));
}

/** Canonical string key of a tile, `"x,y,z"`; use it for maps. */
export function tileKey(t: TileId): string {
  return `${t.x},${t.y},${t.z}`;
}

/** Parses a key made by `tileKey`; throws `bad-input` on anything else. */
export function parseTileKey(key: string): TileId {
  const m = /^(-?\d{1,10}),(-?\d{1,10}),(-?\d{1,10})$/.exec(key);
  assert(m !== null, ErrorCode.BadInput, () => `not a tile key: ${JSON.stringify(key)}`);
  return tileId(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** True when both name the same tile. */
export function sameTile(a: TileId, b: TileId): boolean {
  return a.x === b.x && a.y === b.y && a.z === b.z;
}

/** Total order on tiles (x, then y, then z): the order in which collections of tiles are walked. */
export function compareTiles(a: TileId, b: TileId): number {
  return a.x - b.x || a.y - b.y || a.z - b.z;
}

/** The lower corner (inclusive) and upper corner (exclusive) of a tile, metres. */
export function tileBounds(t: TileId, edge: number): {
  /** The tile's lowest corner, world metres. */
  min: Vec3;
  /** The tile's highest corner, world metres (exclusive). */
  max: Vec3;
} {
  return {
    min: { x: t.x * edge, y: t.y * edge, z: t.z * edge },
    max: { x: (t.x + 1) * edge, y: (t.y + 1) * edge, z: (t.z + 1) * edge },
  };
}

/** The centre of a tile, metres. */
export function tileCenter(t: TileId, edge: number): Vec3 {
  return { x: (t.x + 0.5) * edge, y: (t.y + 0.5) * edge, z: (t.z + 0.5) * edge };
}

/** True when point `p` lies in tile `t` (same rule as `tileOf`). */
export function tileContains(t: TileId, p: Vec3, edge: number): boolean {
  return Math.floor(p.x / edge) === t.x && Math.floor(p.y / edge) === t.y && Math.floor(p.z / edge) === t.z;
}

/** The 26 tiles sharing a face, edge or corner with `t`, in `compareTiles` order. */
export function neighbours(t: TileId): TileId[] {
  const out: TileId[] = [];
  for (let dx = -1; dx <= 1; dx++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dz = -1; dz <= 1; dz++) {
        if (dx === 0 && dy === 0 && dz === 0) continue;
        out.push(tileId(t.x + dx, t.y + dy, t.z + dz));
      }
    }
  }
  return out;
}

/** Shortest distance (metres) from point `p` to any point of tile `t`; 0 inside. */
export function distanceToTile(p: Vec3, t: TileId, edge: number): number {
  const { min, max } = tileBounds(t, edge);
  const dx = Math.max(min.x - p.x, 0, p.x - max.x);
  const dy = Math.max(min.y - p.y, 0, p.y - max.y);
  const dz = Math.max(min.z - p.z, 0, p.z - max.z);
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
}

/**
 * The area of interest of a point: every tile with some part within `radius` metres of `p`,
 * in `compareTiles` order. Always includes the tile holding `p`.
 */
export function tilesWithinRadius(p: Vec3, radius: number, edge: number): TileId[] {
  checkEdge(edge);
  assert(Number.isFinite(radius) && radius >= 0, ErrorCode.BadInput, () => `radius must be ≥ 0 metres, got ${radius}`);
  // One tile of slack on each side: a tile whose closed bounds touch the sphere counts.
  const lo = tileOf({ x: p.x - radius, y: p.y - radius, z: p.z - radius }, edge);
  const hi = tileOf({ x: p.x + radius, y: p.y + radius, z: p.z + radius }, edge);
  const out: TileId[] = [];
  for (let x = lo.x - 1; x <= hi.x + 1; x++) {
    for (let y = lo.y - 1; y <= hi.y + 1; y++) {
      for (let z = lo.z - 1; z <= hi.z + 1; z++) {
        const t = tileId(x, y, z);
        if (distanceToTile(p, t, edge) <= radius) out.push(t);
      }
    }
  }
  return out;
}

/**
 * Every tile that an axis-aligned box (centre `c`, half extents `h`) grown by `margin` metres
 * overlaps, in `compareTiles` order.
 */
export function tilesOverlappingBox(c: Vec3, h: Vec3, margin: number, edge: number): TileId[] {
  const lo = tileOf({ x: c.x - h.x - margin, y: c.y - h.y - margin, z: c.z - h.z - margin }, edge);
  const hi = tileOf({ x: c.x + h.x + margin, y: c.y + h.y + margin, z: c.z + h.z + margin }, edge);
  const out: TileId[] = [];
  for (let x = lo.x; x <= hi.x; x++) {
    for (let y = lo.y; y <= hi.y; y++) {
      for (let z = lo.z; z <= hi.z; z++) out.push(tileId(x, y, z));
    }
  }
  return out;
}
