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
    const before = await worldIds(b);
    await b.waitForTimeout(2500); // the relay checkpoints every 2 s
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
  } finally {
    relay.kill('SIGKILL');
  }
});
