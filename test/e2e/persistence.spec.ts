import { expect, test, type Page } from '@playwright/test';
import { openTab, startRelay, stopRelay } from './relay-process.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The relay is killed with SIGKILL while two tabs play; started again on the same data dir,
// both tabs reconnect by themselves (showing that they are reconnecting meanwhile) within 5 s,
// and every entity of the world is still there.

const PORT = Number(process.env['TESSERA_E2E_STORE_PORT'] ?? 8797);

/** Kind, position, yaw and colour of the objects with these keys, as a tab's layout has them. */
const described = (p: Page, keys: string[]) =>
  p.evaluate((ks) => ks.map((k) => { const o = window.tesseraDemo!.handle.world.layout.get(k); return o ? [o.kind, o.position, o.yaw, o.color] : undefined; }), keys);
const worldIds = (p: Page) => p.evaluate(() => window.tesseraDemo!.client.entities().filter((e) => e.kind !== 'avatar').map((e) => e.id).sort((a, b) => a - b));

test('(c) the relay is killed with SIGKILL; started again, both tabs reconnect on their own within 5 s and no entity is lost', async ({ browser }) => {
  // Two tabs, two relay starts and a dozen waits: 55 s of the default 60 s in a passing CI-like
  // run, and over it in the next (the 5 s reconnection bound below is what is judged).
  test.setTimeout(120_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-e2e-store-'));
  let relay = await startRelay(PORT, dataDir);
  try {
    const a = await openTab(browser, PORT, 'ann');
    const b = await openTab(browser, PORT, 'ben');
    await expect.poll(async () => (await worldIds(b)).length, { timeout: 10_000 }).toBeGreaterThan(50);
    // A creator's acknowledged edits, made just before the kill (after the last checkpoint).
    await b.waitForTimeout(2500); // the relay checkpoints every 2 s
    const keys = await a.evaluate(async () => {
      const { handle } = window.tesseraDemo!;
      const l = handle.world.layout;
      const placed = [l.place({ kind: 'ramp', position: { x: 12, y: 1.3, z: 12 }, color: '#8e4ec6' }), l.place({ kind: 'cannon', position: { x: 4, y: 1.4, z: 12 } }), l.place({ kind: 'ball', position: { x: 6, y: 2, z: 4 } })];
      await handle.whenAcknowledged();
      return placed;
    });
    const shown = (p: Page, k: string[]) =>
      p.evaluate((ks) => {
        const { handle, client } = window.tesseraDemo!;
        const ids = new Set(client.entities().map((e) => e.id));
        return ks.filter((key) => { const o = handle.world.layout.get(key); return o?.entity !== undefined && ids.has(o.entity); }).length;
      }, k);
    await expect.poll(() => shown(b, keys), { timeout: 5_000 }).toBe(3);
    const authored = await b.evaluate((ks) => ks.map((k) => window.tesseraDemo!.handle.world.layout.get(k)?.entity), keys);
    const before = await worldIds(b);
    const seenBefore = await b.evaluate(() => window.tesseraDemo!.client.entities().filter((e) => e.kind !== 'avatar').map((e) => ({ id: e.id, kind: e.kind, tile: e.tile, owner: e.owner, p: e.position })));
    const placedBefore = await described(a, keys);
    await stopRelay(relay);
    for (const p of [a, b]) await expect(p.locator('#stats')).toHaveAttribute('data-status', 'reconnecting', { timeout: 5_000 });
    await expect(b.locator('#stats')).toContainText('reconnecting');
    await b.screenshot({ path: 'test-results/relay-reconnecting.png' });
    relay = await startRelay(PORT, dataDir);
    const restartedAt = Date.now();
    for (const p of [a, b]) await expect(p.locator('#stats')).toHaveAttribute('data-status', 'connected', { timeout: 5_000 });
    console.log(`both tabs reconnected ${Date.now() - restartedAt} ms after the relay was back`);
    expect(Date.now() - restartedAt).toBeLessThan(5_000);
    // Every entity of the world is there again (avatars are new: the players joined again). Lost
    // means never back: a tile the restarted relay is slow to send (a rehearsal on a starved
    // machine: single relay ticks of 1 s) may take longer than the reconnection itself.
    try {
      await expect.poll(async () => (await worldIds(b)).filter((id) => before.includes(id)).length, { timeout: 15_000 }).toBe(before.length);
    } catch (e) {
      const now = await worldIds(b);
      const me = await b.evaluate(() => { const c = window.tesseraDemo!.client; return c.entities().find((x) => x.id === c.avatar); });
      console.log(`missing after the restart: ${JSON.stringify(seenBefore.filter((x) => !now.includes(x.id)))}; b's avatar now ${JSON.stringify(me)}`);
      throw e;
    }
    // Each tab's roster names both (a broadcast each join sends; it reaches a tab after its welcome).
    for (const p of [a, b]) await expect.poll(() => p.evaluate(() => window.tesseraDemo!.client.players().map((r) => r.name).sort().join()), { timeout: 5_000 }).toBe('ann,ben');
    // The acknowledged edits are in both tabs' layouts and simulated again (as entities).
    for (const p of [a, b]) await expect.poll(() => shown(p, keys), { timeout: 5_000 }).toBe(3);
    for (const p of [a, b]) expect(await described(p, keys)).toEqual(placedBefore);
    // …under the same entity ids (whether or not a checkpoint fell between their placement and the kill).
    expect(await b.evaluate((ks) => ks.map((k) => window.tesseraDemo!.handle.world.layout.get(k)?.entity), keys)).toEqual(authored);
  } finally {
    await stopRelay(relay);
  }
});
