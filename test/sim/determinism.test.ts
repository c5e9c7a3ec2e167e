import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { scenario, standardKinds, TileWorld, type ScenarioName } from '../../src/index.js';
import { runScenario } from './helpers.js';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/run-scenario.ts', import.meta.url));

describe('determinism', () => {
  it('the same scene, seed and inputs give the same hash in 3 separate Node processes', async () => {
    const hashes = await Promise.all(
      [0, 1, 2].map(async () => (await run(process.execPath, ['--import', 'tsx', fixture, 'cannon', '600'])).stdout.trim()),
    );
    const inProcess = (await runScenario('cannon', 600)).hash();
    expect(hashes[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(hashes)).toEqual(new Set([inProcess]));
  });

  for (const name of ['cannon', 'border-roll', 'busy'] as ScenarioName[]) {
    it(`${name}: snapshot at 300 → restore in a fresh world → 300 more ticks equals 600 straight ticks`, async () => {
      const straight = await runScenario(name, 600);
      const half = await runScenario(name, 300);
      const bytes = half.snapshot();
      const restored = TileWorld.restore(bytes, standardKinds(), scenario(name).scene.config);
      expect(restored.hash()).toBe(half.hash());
      await runScenario(name, 600, restored);
      expect(restored.tick).toBe(600);
      expect(restored.hash()).toBe(straight.hash());
      expect(restored.entityCount).toBe(straight.entityCount);
    });
  }

  it('a different input log gives a different hash (the hash sees the state)', async () => {
    const base = await runScenario('cannon', 120);
    const other = await runScenario('cannon', 10);
    other.step([{ entity: 102, seq: 0, data: { moveX: 1 } }]);
    while (other.tick < 120) other.step();
    expect(other.hash()).not.toBe(base.hash());
  });
});
