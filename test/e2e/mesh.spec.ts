import { expect, test, type Browser, type Page } from '@playwright/test';

// Several players, each in its own browser context, sharing one world through the relay that
// Playwright started on 127.0.0.1. Tabs talk to each other over WebRTC on loopback.

interface Tab {
  readonly page: Page;
  close(): Promise<void>;
}

async function openTab(browser: Browser, name: string, query = '', init?: string): Promise<Tab> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 960, height: 600 } });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`[${name}] page error: ${e.message}`));
  await page.goto(`/?quality=low&name=${name}${query}`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  return { page, close: () => context.close() };
}

const stats = (t: Tab) => t.page.evaluate(() => {
  const c = window.tesseraDemo!.client;
  const s = c.stats();
  return { peer: s.peer, avatar: c.avatar, owned: s.ownedTiles.map((x) => `${x.x},${x.y},${x.z}`), paths: s.peers, tick: s.tick, entities: c.entities().map((e) => e.id) };
});
const send = (t: Tab, data: Record<string, number>) => t.page.evaluate((d) => window.tesseraDemo!.client.send(d), data);

test('two tabs connect peer-to-peer; B sees A walk at A’s owner-reported positions', async ({ browser }) => {
  const a = await openTab(browser, 'alice');
  const b = await openTab(browser, 'bob');
  const sa = await stats(a);
  // A direct path between the two players opens.
  await expect.poll(async () => (await stats(b)).paths.find((p) => p.peer === sa.peer)?.path, { timeout: 15_000 }).toBe('p2p');
  await expect.poll(async () => (await stats(a)).paths.find((p) => p.peer !== sa.peer)?.path, { timeout: 15_000 }).toBe('p2p');

  // A records its avatar's owner-reported position every tick; B samples what it was told.
  await a.page.evaluate(() => {
    const c = window.tesseraDemo!.client;
    const hist: Record<number, { x: number; z: number }> = {};
    (window as unknown as { hist: typeof hist }).hist = hist;
    setInterval(() => {
      const r = c.reportedPosition(c.avatar);
      if (r) hist[r.tick] = { x: r.position.x, z: r.position.z };
    }, 2);
  });
  await send(a, { moveX: 1, moveZ: 0.3 });
  const samples: { tick: number; x: number; z: number }[] = [];
  for (let i = 0; i < 20; i++) {
    await b.page.waitForTimeout(100);
    const s = await b.page.evaluate((id) => window.tesseraDemo!.client.reportedPosition(id), sa.avatar);
    if (s) samples.push({ tick: s.tick, x: s.position.x, z: s.position.z });
  }
  await send(a, { moveX: 0, moveZ: 0 });
  const hist = await a.page.evaluate(() => (window as unknown as { hist: Record<number, { x: number; z: number }> }).hist);
  const moved = Math.hypot(samples.at(-1)!.x - samples[0]!.x, samples.at(-1)!.z - samples[0]!.z);
  expect(moved).toBeGreaterThan(2);
  let matched = 0;
  for (const s of samples) {
    let best = Number.POSITIVE_INFINITY;
    for (let t = s.tick - 2; t <= s.tick + 2; t++) {
      const h = hist[t];
      if (h) best = Math.min(best, Math.hypot(h.x - s.x, h.z - s.z));
    }
    if (Number.isFinite(best)) {
      matched++;
      expect(best).toBeLessThan(0.01);
    }
  }
  expect(matched).toBeGreaterThan(10);
  await a.close();
  await b.close();
});
