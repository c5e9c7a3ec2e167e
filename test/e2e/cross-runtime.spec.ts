import { expect, test } from '@playwright/test';
import { scenario, standardKinds, TileWorld, initPhysics, type ScenarioName } from '../../src/index.js';

// The same scenario stepped in Node (here) and in the tile worker inside Chromium must reach
// the same hash, and a snapshot taken in one runtime must continue identically in the other.

async function nodeRun(name: ScenarioName, until: number): Promise<TileWorld> {
  await initPhysics();
  const sc = scenario(name);
  const world = TileWorld.fromScene(sc.scene, standardKinds());
  while (world.tick < until) world.step(sc.inputsAt(world.tick));
  return world;
}

declare global {
  interface Window {
    tesseraCheck: {
      run(opts: { scenario: ScenarioName; untilTick: number; snapshot?: string; snapshotAt?: number }): Promise<{ hash: string; tick: number; snapshot?: string }>;
    };
  }
}

for (const name of ['cannon', 'border-roll', 'busy'] as ScenarioName[]) {
  test(`${name}: Chromium worker and Node agree bit for bit, across a snapshot handed between them`, async ({ page }) => {
    await page.goto('/check.html');
    await page.waitForFunction(() => 'tesseraCheck' in window);
    const node600 = await nodeRun(name, 600);
    const node300 = await nodeRun(name, 300);

    const browser = await page.evaluate(() => window.tesseraCheck.run({ scenario: 'cannon', untilTick: 0 }).then(() => true));
    expect(browser).toBe(true);

    // 600 straight ticks in the browser, snapshotting at 300.
    const straight = await page.evaluate((n) => window.tesseraCheck.run({ scenario: n, untilTick: 600, snapshotAt: 300 }), name);
    expect(straight.tick).toBe(600);
    expect(straight.hash).toBe(node600.hash());
    await expect(page.locator('#hash')).toHaveAttribute('data-hash', node600.hash());

    // Browser snapshot at 300 → Node continues to 600.
    const fromBrowser = TileWorld.restore(Buffer.from(straight.snapshot!, 'base64'), standardKinds(), scenario(name).scene.config);
    expect(fromBrowser.hash()).toBe(node300.hash());
    const sc = scenario(name);
    while (fromBrowser.tick < 600) fromBrowser.step(sc.inputsAt(fromBrowser.tick));
    expect(fromBrowser.hash()).toBe(node600.hash());

    // Node snapshot at 300 → browser continues to 600.
    const b64 = Buffer.from(node300.snapshot()).toString('base64');
    const continued = await page.evaluate(([n, s]) => window.tesseraCheck.run({ scenario: n as ScenarioName, untilTick: 600, snapshot: s }), [name, b64] as const);
    expect(continued.hash).toBe(node600.hash());
  });
}
