import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareTiles,
  distanceToTile,
  neighbours,
  parseTileKey,
  sameTile,
  tileBounds,
  tileContains,
  tileId,
  tileKey,
  tileOf,
  tilesWithinRadius,
  TesseraError,
} from '../../src/index.js';

const coord = fc.integer({ min: -1_000_000, max: 1_000_000 });
const edge = fc.oneof(fc.constantFrom(1, 8, 16, 32, 100), fc.double({ min: 0.5, max: 500, noNaN: true }));
const point = fc.record({ x: fc.double({ min: -1e6, max: 1e6, noNaN: true }), y: fc.double({ min: -1e6, max: 1e6, noNaN: true }), z: fc.double({ min: -1e6, max: 1e6, noNaN: true }) });

describe('tile math', () => {
  it('tileOf puts every point inside the tile it names (negative coordinates included)', () => {
    fc.assert(
      fc.property(point, edge, (p, e) => {
        const t = tileOf(p, e);
        expect(tileContains(t, p, e)).toBe(true);
        const { min, max } = tileBounds(t, e);
        // Bounds hold up to float rounding of the products.
        const tol = 1e-9 * Math.max(1, Math.abs(p.x), Math.abs(p.y), Math.abs(p.z));
        expect(p.x).toBeGreaterThanOrEqual(min.x - tol);
        expect(p.x).toBeLessThan(max.x + tol);
        expect(p.z).toBeGreaterThanOrEqual(min.z - tol);
      }),
    );
  });

  it('tile keys round-trip, and -0 is the same tile as 0', () => {
    fc.assert(
      fc.property(coord, coord, coord, (x, y, z) => {
        expect(parseTileKey(tileKey(tileId(x, y, z)))).toEqual(tileId(x, y, z));
      }),
    );
    expect(tileKey(tileOf({ x: -0, y: 0.5, z: 0.1 }, 16))).toBe('0,0,0');
    expect(tileOf({ x: -0.001, y: -16, z: -16.001 }, 16)).toEqual({ x: -1, y: -1, z: -2 });
  });

  it('neighbours are the 26 distinct adjacent tiles, sorted, and adjacency is symmetric', () => {
    fc.assert(
      fc.property(coord, coord, coord, (x, y, z) => {
        const t = tileId(x, y, z);
        const n = neighbours(t);
        expect(n).toHaveLength(26);
        expect(new Set(n.map(tileKey)).size).toBe(26);
        expect(n.some((m) => sameTile(m, t))).toBe(false);
        for (let i = 1; i < n.length; i++) expect(compareTiles(n[i - 1]!, n[i]!)).toBeLessThan(0);
        for (const m of n) {
          expect(Math.max(Math.abs(m.x - x), Math.abs(m.y - y), Math.abs(m.z - z))).toBe(1);
          expect(neighbours(m).some((b) => sameTile(b, t))).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the area of interest holds exactly the tiles within the radius, including the own tile', () => {
    fc.assert(
      fc.property(point, fc.double({ min: 0, max: 60, noNaN: true }), fc.constantFrom(8, 16, 32), (p, r, e) => {
        const aoi = tilesWithinRadius(p, r, e);
        expect(aoi.some((t) => sameTile(t, tileOf(p, e)))).toBe(true);
        for (const t of aoi) expect(distanceToTile(p, t, e)).toBeLessThanOrEqual(r);
        // Every tile in the surrounding box that was left out is really farther than r.
        const keys = new Set(aoi.map(tileKey));
        const c = tileOf(p, e);
        const reach = Math.ceil(r / e) + 1;
        for (let dx = -reach; dx <= reach; dx++)
          for (let dz = -reach; dz <= reach; dz++) {
            const t = tileId(c.x + dx, c.y, c.z + dz);
            if (!keys.has(tileKey(t))) expect(distanceToTile(p, t, e)).toBeGreaterThan(r);
          }
      }),
      { numRuns: 150 },
    );
  });

  it('refuses bad input with a clear error', () => {
    expect(() => tileOf({ x: 0, y: 0, z: 0 }, 0)).toThrow(TesseraError);
    expect(() => tileOf({ x: Number.NaN, y: 0, z: 0 }, 16)).toThrow(/tile coordinate/);
    expect(() => parseTileKey('1,2')).toThrow(/not a tile key/);
    expect(() => tileId(0.5, 0, 0)).toThrow(/integer/);
    expect(() => tilesWithinRadius({ x: 0, y: 0, z: 0 }, -1, 16)).toThrow(/radius/);
  });
});
