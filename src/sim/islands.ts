import type { EntityId } from '../core/entity.js';
import { compareTiles, sameTile, type TileId } from '../core/tile.js';

/**
 * How far ahead (seconds) two bodies closing on each other across a border count as touching:
 * they are put in one tile before they meet. A tick for the hand-over plus margin for the
 * bounding spheres and for ghosts a step or a network hop old.
 */
export const ISLAND_LOOKAHEAD_S = 0.1;

/**
 * Slowest closing speed (m/s) that links two bodies before they touch. Below it, solver jitter
 * between resting neighbours would link and unlink them tick after tick (bodies handed back and
 * forth); bodies this slow are linked by their contact once they touch.
 */
export const ISLAND_MIN_CLOSING = 0.05;

/** A dynamic body of a tile, as the island pass sees it. */
export interface IslandNode {
  /** The entity. */
  readonly id: EntityId;
  /** The tile holding its reference point (may differ from the tile simulating it). */
  readonly home: TileId;
  /** Tiles whose dynamic bodies (ghosts here) it touches or is about to touch. */
  readonly links: readonly TileId[];
  /** Its reference point lies within the ghost margin of the holder tile (in it, or sticking out a little). */
  readonly close: boolean;
  /** The tile of the kinematic body (platform) it stands on, if any: its island is that platform's. */
  readonly platform?: TileId;
  /**
   * For each ghost counted in `links` that stands on a platform (a rider of another tile), the
   * platform's tile; one entry per such ghost (as many as `links` when every ghost it is linked
   * to rides).
   */
  readonly riders?: readonly TileId[];
}

/**
 * Decides which islands leave the tile `holder` at this tick boundary, and for where. Islands
 * are the connected components of `nodes` under `edges` (index pairs: bodies of this tile in
 * contact). The rule, from simulated state only, so every tile and the auditor reach the same
 * answer without talking:
 *
 * - an island with a body standing on a platform (a kinematic body: `IslandNode.platform`) goes
 *   to, or stays in, the platform's tile, whatever else it touches (a platform is never handed
 *   over for a contact, so its riders follow it);
 * - an island with no platform, linked to other tiles' bodies that all ride a platform (ghosts
 *   standing on one: `IslandNode.riders`), goes to the platform's tile (the lowest if several),
 *   even up the tile order: the island holding a platform is the one that takes. Linked also to
 *   a body that does not ride, it follows the next rule (that body's tile may be handing it down
 *   at this very boundary: both would move, and meet as ghosts again);
 * - an island linked to bodies of other tiles goes to the lowest tile (`compareTiles`) among
 *   those and the holder: parts only ever move down the tile order while they touch, so two
 *   tiles never hand their halves to each other at once, and an island spread over k tiles is
 *   whole after at most k − 1 hand-overs;
 * - an island linked to nothing stays while one of its bodies lies in the holder, or while its
 *   bodies still touch each other and all lie within the ghost margin of the holder (moving an
 *   island in contact costs its solver's warm start: it is moved when the contact ends, or when
 *   it strays too far); otherwise it goes to the lowest tile holding one of its bodies'
 *   reference points (the bodies go back where they belong).
 *
 * Returns the target tile of every body that leaves (bodies that stay are not listed).
 */
export function islandTargets(holder: TileId, nodes: readonly IslandNode[], edges: readonly (readonly [number, number])[]): Map<EntityId, TileId> {
  const parent = nodes.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (const [a, b] of edges) {
    const ra = find(a);
    const rb = find(b);
    // The smaller index becomes the root: the grouping does not depend on the edges' order.
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
  const groups = new Map<number, number[]>();
  nodes.forEach((_, i) => {
    const r = find(i);
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  });
  const out = new Map<EntityId, TileId>();
  for (const members of groups.values()) {
    // Riders: the island is the platform's (kinematic: it is never handed over for a contact),
    // wherever the platform is simulated; the lowest such tile when it touches several platforms.
    let ridden: TileId | undefined;
    for (const i of members) {
      const pl = nodes[i]!.platform;
      if (pl && (ridden === undefined || compareTiles(pl, ridden) < 0)) ridden = pl;
    }
    if (ridden !== undefined) {
      if (!sameTile(ridden, holder)) for (const i of members) out.set(nodes[i]!.id, ridden);
      continue;
    }
    // Linked only to riders of other tiles: the island goes to their platform's tile.
    let pulled: TileId | undefined;
    let plain = false;
    for (const i of members) {
      const n = nodes[i]!;
      const riders = n.riders ?? [];
      if (riders.length < n.links.length) plain = true;
      for (const t of riders) if (pulled === undefined || compareTiles(t, pulled) < 0) pulled = t;
    }
    if (pulled !== undefined && !plain) {
      if (!sameTile(pulled, holder)) for (const i of members) out.set(nodes[i]!.id, pulled);
      continue;
    }
    let target: TileId | undefined;
    let linked = false;
    for (const i of members) {
      for (const t of nodes[i]!.links) {
        linked = true;
        if (compareTiles(t, target ?? holder) < 0) target = t;
      }
    }
    const stays = members.some((i) => sameTile(nodes[i]!.home, holder)) || (members.length > 1 && members.every((i) => nodes[i]!.close));
    if (!linked && !stays) {
      for (const i of members) {
        const h = nodes[i]!.home;
        if (target === undefined || compareTiles(h, target) < 0) target = h;
      }
    }
    if (target === undefined || sameTile(target, holder)) continue;
    for (const i of members) out.set(nodes[i]!.id, target);
  }
  return out;
}
