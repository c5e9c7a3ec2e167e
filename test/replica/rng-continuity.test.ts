import { describe, expect, it } from 'vitest';
import { initPhysics } from '../../src/index.js';
import { withSeed } from '../harness/harness.js';
import { wanderersRollbacksPerS } from './wanderers-scenario.js';

// A replica rebuilt from its owner's full state must continue exactly as the owner does, random
// numbers included: wanderers turn by the tile's seeded RNG, and a replica that draws different
// numbers mispredicts every turn and rolls back on every update, with nobody giving any input.

describe('speculative replicas continue their owner’s random numbers', () => {
  it('a tile of RNG-driven wanderers, no input at all: its replica rolls back at most once a second', async () => {
    await initPhysics();
    // (Before full states carried the RNG state and past props were compared as they were: 15 rollbacks/s.)
    await withSeed(3, (seed) => {
      const perS = wanderersRollbacksPerS(seed, 20, 3, 8);
      console.log(`replica of 20 wanderers 3 m apart, no input: ${perS.toFixed(2)} rollbacks/s`);
      expect(perS).toBeLessThanOrEqual(1);
    });
  }, 120_000);
});
