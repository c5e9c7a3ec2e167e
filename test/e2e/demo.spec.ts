import { expect, test } from '@playwright/test';

test('the demo loads, the worker steps, the player walks, and it looks like a world', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/?offline');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  const stats = page.locator('#stats');
  await expect.poll(async () => Number(await stats.getAttribute('data-tick')), { timeout: 15_000 }).toBeGreaterThan(60);
  expect(Number(await stats.getAttribute('data-bodies'))).toBeGreaterThan(50);
  const before = await page.evaluate(() => document.querySelector('#stats')!.textContent);
  await page.keyboard.down('KeyD');
  await page.waitForTimeout(800);
  await page.keyboard.up('KeyD');
  // The worker keeps stepping (waited on, not timed: a loaded machine steps slower).
  await expect.poll(async () => Number(await stats.getAttribute('data-tick')), { timeout: 15_000 }).toBeGreaterThan(100);
  await page.waitForTimeout(300);
  await page.screenshot({ path: 'test-results/demo.png' });
  expect(before).toContain('tick');
  expect(problems).toEqual([]);
});

test('the online demo on a desktop: the debug panel is folded away, ` / F3 / ?debug open it, the HUD is still kept up to date', async ({ page }) => {
  test.setTimeout(120_000); // two loads of the online demo, each 10–15 s on a loaded 2-core machine
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/?name=visitor');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  const stats = page.locator('#stats');
  // Folded: not shown, but still in the page and updated (tests and tools read it).
  await expect(stats).toBeHidden();
  await expect(page.locator('#debug')).toBeHidden();
  await expect(page.locator('#badge')).toContainText('visitor');
  await expect(page.locator('#touch')).toBeHidden(); // no touch controls without a touch screen
  const tick = Number(await stats.getAttribute('data-tick'));
  await expect.poll(async () => Number(await stats.getAttribute('data-tick')), { timeout: 10_000 }).toBeGreaterThan(tick);
  await expect(stats).toContainText('owned tiles');
  await page.waitForTimeout(1500); // the scenery and the players' colours settle
  await page.screenshot({ path: 'test-results/demo-desktop.png' });
  // ` opens the panel (stats and cheats), F3 folds it.
  await page.keyboard.press('Backquote');
  await expect(stats).toBeVisible();
  await expect(page.locator('[data-cheat="hold"]')).toBeVisible();
  await page.keyboard.press('F3');
  await expect(stats).toBeHidden();
  // ?debug: open from the start.
  await page.goto('/?debug&name=debugger');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  await expect(stats).toBeVisible();
  await expect(page.locator('[data-cheat="hold"]')).toBeVisible();
});
