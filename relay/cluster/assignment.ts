import type { ClusterMember } from './node-load.js';

/** How `assignTiles` weighs the nodes. */
export interface AssignmentOptions {
  /** What one connected player costs a node, in tiles (default 1: its relayed traffic and its audits). */
  readonly playerCost?: number;
  /** A node at or above this CPU share takes no more tiles while another is below it (default 0.85). */
  readonly hotCpu?: number;
  /**
   * Tiles that must go to one node together (tile key → group name; a tile not listed is on its
   * own): the orphans of one group all go to the taker the group's first orphan (by key) would,
   * and evening out never moves them. Failover keeps a dead node's tiles together this way
   * while entities cannot yet cross between tiles of different nodes.
   */
  readonly together?: ReadonlyMap<string, string>;
}

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Which live node simulates (and audits) each tile no player owns. Deterministic: the same
 * members, tiles and previous assignment give the same answer on every node. Stable: a tile
 * stays where it was while its node lives and the nodes' work stays within one tile of even;
 * a departed node's tiles go to the least loaded nodes, and a node that joins takes tiles
 * from the most loaded until the work is even. A node's work is its tiles plus its players
 * times `playerCost`; a hot node (CPU at `hotCpu` or above) takes nothing new while a cool one can.
 * Returns tile key → node id (empty when no node is live).
 */
export function assignTiles(tiles: readonly string[], members: readonly ClusterMember[], previous: ReadonlyMap<string, string>, opts: AssignmentOptions = {}): Map<string, string> {
  const out = new Map<string, string>();
  if (members.length === 0) return out;
  const playerCost = opts.playerCost ?? 1;
  const hotCpu = opts.hotCpu ?? 0.85;
  const nodes = [...members].sort((a, b) => byId(a.node, b.node));
  const live = new Set(nodes.map((m) => m.node));
  const held = new Map<string, string[]>(nodes.map((m) => [m.node, []]));
  const work = new Map<string, number>(nodes.map((m) => [m.node, m.load.players * playerCost]));
  const sorted = [...new Set(tiles)].sort(byId);
  const orphans: string[] = [];
  for (const t of sorted) {
    const n = previous.get(t);
    if (n !== undefined && live.has(n)) {
      out.set(t, n);
      held.get(n)!.push(t);
      work.set(n, work.get(n)! + 1);
    } else orphans.push(t);
  }
  const cool = nodes.filter((m) => m.load.cpu < hotCpu);
  const takers = cool.length > 0 ? cool : nodes;
  /** The taker with the least work (ties: smallest id). */
  const lightest = (): string => takers.reduce((best, m) => (work.get(m.node)! < work.get(best)! ? m.node : best), takers[0]!.node);
  const give = (t: string, to: string): void => {
    out.set(t, to);
    if (opts.together?.get(t) === undefined) held.get(to)!.push(t);
    work.set(to, work.get(to)! + 1);
  };
  const groupTaker = new Map<string, string>();
  for (const t of orphans) {
    const g = opts.together?.get(t);
    if (g === undefined) {
      give(t, lightest());
      continue;
    }
    let to = groupTaker.get(g);
    if (to === undefined) groupTaker.set(g, (to = lightest()));
    give(t, to);
  }
  // Even out: the busiest node holding tiles hands its last one to the lightest taker while their work differs by two or more.
  for (;;) {
    const heaviest = nodes.reduce((best, m) => (held.get(m.node)!.length > 0 && (best === undefined || work.get(m.node)! > work.get(best)!) ? m.node : best), undefined as string | undefined);
    if (heaviest === undefined) break;
    const to = lightest();
    // Each move narrows a gap of two or more: the sum of squared work falls, so this ends.
    if (work.get(heaviest)! - work.get(to)! <= 1) break;
    const list = held.get(heaviest)!;
    const t = list.pop()!;
    work.set(heaviest, work.get(heaviest)! - 1);
    give(t, to);
  }
  return out;
}

