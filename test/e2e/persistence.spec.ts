import { expect, test, type Browser, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The relay is killed with SIGKILL while two tabs play; started again on the same data dir,
// both tabs reconnect by themselves (showing that they are reconnecting meanwhile) within 5 s,
// and every entity of the world is still there.

const PORT = Number(process.env['TESSERA_E2E_STORE_PORT'] ?? 8797);

async function startRelay(dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'relay/cli.ts', 'relay', '--port', String(PORT), '--data-dir', dataDir], { stdio: 'ignore' });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/healthz`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error('relay did not start');
}

async function openTab(browser: Browser, name: string): Promise<Page> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 800, height: 500 } });
  const page = await context.newPage();
  await page.goto(`/?quality=low&name=${name}&relay=${encodeURIComponent(`ws://127.0.0.1:${PORT}/`)}`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  return page;
}

const worldIds = (p: Page) => p.evaluate(() => window.tesseraDemo!.client.entities().filter((e) => e.kind !== 'avatar').map((e) => e.id).sort((a, b) => a - b));

test('(c) the relay is killed with SIGKILL; started again, both tabs reconnect on their own within 5 s and no entity is lost', async ({ browser }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-e2e-store-'));
  let relay = await startRelay(dataDir);
  try {
    const a = await openTab(browser, 'ann');
    const b = await openTab(browser, 'ben');
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
    const before = await worldIds(b);
    relay.kill('SIGKILL');
    await new Promise((r) => relay.once('exit', r));
    for (const p of [a, b]) await expect(p.locator('#stats')).toHaveAttribute('data-status', 'reconnecting', { timeout: 5_000 });
    await expect(b.locator('#stats')).toContainText('reconnecting');
    await b.screenshot({ path: 'test-results/relay-reconnecting.png' });
    relay = await startRelay(dataDir);
    const restartedAt = Date.now();
    for (const p of [a, b]) await expect(p.locator('#stats')).toHaveAttribute('data-status', 'connected', { timeout: 5_000 });
    console.log(`both tabs reconnected ${Date.now() - restartedAt} ms after the relay was back`);
    expect(Date.now() - restartedAt).toBeLessThan(5_000);
    // Every entity of the world is there again (avatars are new: the players joined again).
    await expect.poll(async () => (await worldIds(b)).filter((id) => before.includes(id)).length, { timeout: 5_000 }).toBe(before.length);
    expect(await a.evaluate(() => window.tesseraDemo!.client.players().length)).toBe(2);
    // The acknowledged edits are in both tabs' layouts and simulated again (as entities).
    for (const p of [a, b]) await expect.poll(() => shown(p, keys), { timeout: 5_000 }).toBe(3);
  } finally {
    relay.kill('SIGKILL');
  }
});
