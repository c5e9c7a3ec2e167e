import { describe, expect, it } from 'vitest';
import { assignTiles } from '../../../relay/cluster/assignment.js';
import type { ClusterMember } from '../../../relay/cluster/node-load.js';

const member = (node: string, players = 0, cpu = 0.2): ClusterMember => ({ node, load: { players, tiles: 0, cpu } });
const tiles = Array.from({ length: 30 }, (_, i) => `${i % 6},0,${Math.floor(i / 6)}`);
const counts = (a: Map<string, string>): Record<string, number> => {
  const c: Record<string, number> = {};
  for (const n of a.values()) c[n] = (c[n] ?? 0) + 1;
  return c;
};
const moved = (a: Map<string, string>, b: Map<string, string>): string[] => [...b.keys()].filter((t) => a.get(t) !== b.get(t));

describe('assignTiles', () => {
  it('spreads the tiles evenly over the live nodes, the same on every node whatever the order it lists them in', () => {
    const a = assignTiles(tiles, [member('a'), member('b'), member('c')], new Map());
    expect(counts(a)).toEqual({ a: 10, b: 10, c: 10 });
    expect([...a.keys()].sort()).toEqual([...tiles].sort());
    const b = assignTiles([...tiles].reverse(), [member('c'), member('a'), member('b')], new Map());
    expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
  });

  it('a node that joins takes tiles from the others until the work is even, and nothing else moves', () => {
    const three = assignTiles(tiles, [member('a'), member('b'), member('c')], new Map());
    const four = assignTiles(tiles, [member('a'), member('b'), member('c'), member('d')], three);
    expect(Object.values(counts(four)).sort()).toEqual([7, 7, 8, 8]);
    const m = moved(three, four);
    // Every tile that moved went to the new node: no shuffling among the others.
    expect(m.every((t) => four.get(t) === 'd')).toBe(true);
    expect(m.length).toBe(counts(four)['d']);
    // Asked again with nothing changed, nothing moves.
    expect(moved(four, assignTiles(tiles, [member('a'), member('b'), member('c'), member('d')], four))).toEqual([]);
  });

  it('a node that leaves: only its tiles move, to the nodes left, evenly', () => {
    const three = assignTiles(tiles, [member('a'), member('b'), member('c')], new Map());
    const two = assignTiles(tiles, [member('a'), member('c')], three);
    expect(counts(two)).toEqual({ a: 15, c: 15 });
    expect(moved(three, two).every((t) => three.get(t) === 'b')).toBe(true);
    expect(assignTiles(tiles, [], three).size).toBe(0);
  });

  it('weighs the nodes by load: players count as work, and a hot node takes no new tile while a cool one can', () => {
    // b has 10 players: it takes 10 tiles fewer than a and c (30 + 10 work over three nodes).
    const byPlayers = counts(assignTiles(tiles, [member('a'), member('b', 10), member('c')], new Map()));
    expect(byPlayers).toEqual({ a: 14, b: 3, c: 13 });
    const hot = assignTiles(tiles, [member('a'), member('b', 0, 0.95), member('c')], new Map());
    expect(counts(hot)['b']).toBeUndefined();
    // When every node is hot, the tiles are still all simulated.
    expect(assignTiles(tiles, [member('a', 0, 0.9), member('b', 0, 0.95)], new Map()).size).toBe(30);
  });
});

describe('assignTiles: tiles kept together', () => {
  const m = (node: string, players = 0): ClusterMember => ({ node, load: { players, tiles: 0, cpu: 0 } });
  it('the orphans of one group all go to one node, and evening out never splits them', () => {
    const tiles = ['0,0,0', '1,0,0', '2,0,0', '3,0,0', '4,0,0', '5,0,0'];
    const together = new Map(tiles.map((t) => [t, 'dead:n1']));
    const a = assignTiles(tiles, [m('n2'), m('n3')], new Map(tiles.map((t) => [t, 'n1'])), { together });
    expect(new Set(a.values())).toEqual(new Set(['n2']));
    // Without the group, the same orphans are spread.
    const b = assignTiles(tiles, [m('n2'), m('n3')], new Map(tiles.map((t) => [t, 'n1'])));
    expect(new Set(b.values())).toEqual(new Set(['n2', 'n3']));
    // The group goes to the lighter node.
    const c = assignTiles(tiles, [m('n2', 3), m('n3')], new Map(), { together });
    expect(new Set(c.values())).toEqual(new Set(['n3']));
  });
});
