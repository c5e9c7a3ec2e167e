// A tile of wanderers that turn by the tile's seeded RNG, watched by a second player with no
// input from anyone: shared by the test and the benchmark.
import { AVATAR_BODY, entityDesc, groundTiles, walls, type SceneDesc, type WorldClient } from '../../src/index.js';
import { Harness } from '../harness/harness.js';

/**
 * Two tiles of 16 m with `n` wanderers in rows of ten, `spacing` m apart, that turn every 0.5 s
 * by the tile's RNG. At 3 m they rarely touch; at 1.4 m they jostle (contacts, which a replica
 * built from states without the owner's solver state predicts less exactly).
 */
export function wanderersScene(n: number, spacing: number): SceneDesc {
  const edge = 16;
  const entities = [...groundTiles(edge, 0, 1, 0, 0, 1), ...walls(edge, 0, 2 * edge, 0, edge, 20)];
  for (let i = 0; i < n; i++) {
    entities.push(entityDesc({ id: 500 + i, kind: 'wanderer', body: AVATAR_BODY, position: { x: 1.5 + (i % 10) * spacing, y: 1.81, z: 1.5 + Math.floor(i / 10) * spacing }, props: { turnEvery: 30, speed: 1.5 } }));
  }
  return { config: { tileEdge: edge, seed: 31 }, entities };
}

const rollbacks = (c: WorldClient): number => (c as unknown as { speculative: { counters: { rollbacks: number } } }).speculative.counters.rollbacks;

/** Rollbacks per second of the replica of the wanderers' tile, measured over `seconds` after it settled. */
export function wanderersRollbacksPerS(seed: number, wanderers: number, spacing: number, seconds: number): number {
  const h = new Harness({ seed, scene: wanderersScene(wanderers, spacing), conditions: { delayMs: 20, jitterMs: 5, loss: 0 } });
  try {
    const a = h.addClient('alice').client;
    const b = h.addClient('bob').client;
    if (h.runUntil(() => a.joined && b.joined, 3000) < 0) throw new Error(`seed ${seed}: the players did not join`);
    // One of them owns the tile they stand in; the other replicates it (and the relay's next one).
    if (h.runUntil(() => [a, b].some((c) => c.stats().ownedTiles.some((t) => t.x === 0 && t.z === 0)), 5000) < 0) throw new Error(`seed ${seed}: nobody took the tile`);
    h.run(2000); // the first full states and rebuilds
    const viewer = a.stats().ownedTiles.some((t) => t.x === 0 && t.z === 0) ? b : a;
    const before = rollbacks(viewer);
    h.run(seconds * 1000);
    return (rollbacks(viewer) - before) / seconds;
  } finally {
    h.relay.close();
  }
}
