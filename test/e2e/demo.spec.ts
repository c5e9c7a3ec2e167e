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
