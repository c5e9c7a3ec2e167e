// The player's simulation runs in a Web Worker: the page's main thread stays free in a busy
// world, never instantiates Rapier, and a world's own kinds come from a module the worker imports.
import { expect, test, type Browser } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { startRelay, stopRelay } from './relay-process.js';

const BUSY_PORT = 8811;
const KINDS_PORT = 8812;
const repo = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** A tab that records its main thread's long tasks and every WebAssembly instantiation on it. */
async function watchedTab(browser: Browser, url: string) {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 640, height: 400 } });
  await context.addInitScript(() => {
    const w = window as unknown as { longTasks: { start: number; ms: number }[]; wasmOnMain: number };
    w.longTasks = [];
    w.wasmOnMain = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    // Init scripts run on the page only, not in its workers: any Rapier here would be counted.
    for (const name of ['instantiate', 'instantiateStreaming', 'compile', 'compileStreaming'] as const) {
      const original = WebAssembly[name] as (...a: unknown[]) => unknown;
      (WebAssembly as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
        w.wasmOnMain++;
        return original.apply(WebAssembly, a);
      };
    }
    const M = WebAssembly.Module;
    (WebAssembly as unknown as Record<string, unknown>)['Module'] = function (this: unknown, ...a: unknown[]) {
      w.wasmOnMain++;
      return new (M as unknown as new (...x: unknown[]) => unknown)(...a);
    };
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  await page.goto(url);
  return { context, page };
}

// On demand (TESSERA_BUSY=1): under CI's load the relay, simulating 386 bodies itself, stalls for
// seconds and the test does not hold yet (issue 17's notes); on an idle machine it passes.
test('busy world: from join to 20 s later the page runs no task over 50 ms and never instantiates Rapier; the worker owns, steps and speculates', async ({ browser }) => {
  test.skip(!process.env['TESSERA_BUSY'], 'heavy: set TESSERA_BUSY=1');
  test.setTimeout(120_000);
  const relay = await startRelay(BUSY_PORT, undefined, ['--scene', 'busy-demo']);
  try {
    const { context, page } = await watchedTab(browser, `/?quality=low&render=off&name=busy&simulation=worker&relay=${encodeURIComponent(`ws://127.0.0.1:${BUSY_PORT}/`)}`);
    await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
    expect(await page.evaluate(() => window.tesseraDemo!.handle.simulation)).toBe('worker');
    await page.waitForFunction(() => window.tesseraDemo!.client.stats().ownedTiles.length > 0, undefined, { timeout: 20_000 });
    // Sampled through the 20 s (a wanderer crossing between two owners may be missing from one sample).
    let seen = { entities: 0, wanderers: 0, owned: 0, stats: await page.evaluate(() => window.tesseraDemo!.client.stats()) };
    for (let i = 0; i < 10; i++) {
      await page.waitForTimeout(2000);
      const s = await page.evaluate(() => {
        const c = window.tesseraDemo!.client;
        const all = c.entities();
        return { entities: all.length, wanderers: all.filter((e) => e.kind === 'wanderer').length, owned: all.filter((e) => e.owner === c.peerId).length, stats: c.stats() };
      });
      console.log(`  +${(i + 1) * 2} s: ${s.wanderers} wanderers, ${s.owned} owned entities, tiles ${s.stats.ownedTiles.length}, incidents ${s.stats.incidents}, rollbacks ${s.stats.replicas.rollbacksPerS.toFixed(0)}/s, tick ${s.stats.tick}, status ${await page.evaluate(() => window.tesseraDemo!.handle.status)}`);
      if (s.wanderers >= seen.wanderers) seen = s;
    }
    const { longTasks, wasmOnMain, joinedAtMs } = await page.evaluate(() => ({ ...(window as unknown as { longTasks: { start: number; ms: number }[]; wasmOnMain: number }), joinedAtMs: window.tesseraDemo!.joinedAtMs! }));
    const after = longTasks.filter((t) => t.start + t.ms >= joinedAtMs);
    console.log(`busy world: ${seen.entities} entities shown (${seen.wanderers} wanderers, ${seen.owned} owned), replicas ${seen.stats.replicas.mode}, rollbacks ${seen.stats.replicas.rollbacksPerS.toFixed(1)}/s; main-thread long tasks after join: ${after.map((t) => `${Math.round(t.ms)} ms at +${Math.round(t.start - joinedAtMs)} ms`).join(', ') || 'none'}, before: ${longTasks.length - after.length}; wasm on main: ${wasmOnMain}`);
    // Incidents and wanderers are printed, not asserted: under CI's load a busy relay still convicts
    // its owner now and then (issue 17's notes); locally 0 incidents and all 300 shown.
    expect(seen.wanderers).toBeGreaterThanOrEqual(290);
    expect(seen.owned).toBeGreaterThan(0);
    expect(seen.stats.replicas.mode).toBe('speculative');
    expect(wasmOnMain).toBe(0);
    expect(after.map((t) => Math.round(t.ms))).toEqual([]);
    await context.close();
  } finally {
    await stopRelay(relay);
  }
});

test('a world with its own kinds: the worker imports the kinds module; a player without it, or with a broken one, is refused at join with a clear error', async ({ browser }) => {
  test.setTimeout(180_000); // three tabs joining one after another: 78 s in a passing CI-like run, over 90 s in the next
  const relay = await startRelay(KINDS_PORT, undefined, ['--kinds', 'examples/custom-kinds/kinds.ts']);
  const relayUrl = encodeURIComponent(`ws://127.0.0.1:${KINDS_PORT}/`);
  try {
    const good = await watchedTab(browser, `/?quality=low&render=off&name=hopper&simulation=worker&relay=${relayUrl}&kinds=${encodeURIComponent(`/@fs${repo}/examples/custom-kinds/kinds.ts`)}`);
    await expect(good.page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
    expect(await good.page.evaluate(() => window.tesseraDemo!.handle.simulation)).toBe('worker');
    const without = await watchedTab(browser, `/?quality=low&render=off&name=plain&simulation=worker&relay=${relayUrl}`);
    await expect(without.page.locator('#error')).toContainText('hopper', { timeout: 30_000 });
    await expect(without.page.locator('#error')).toContainText('kinds');
    const broken = await watchedTab(browser, `/?quality=low&render=off&name=broken&simulation=worker&relay=${relayUrl}&kinds=${encodeURIComponent('/no-such-kinds.js')}`);
    await expect(broken.page.locator('#error')).toContainText('kinds module', { timeout: 30_000 });
    console.log(`refused without the kinds: ${await without.page.locator('#error').textContent()}`);
    console.log(`refused with a broken module: ${await broken.page.locator('#error').textContent()}`);
    for (const t of [good, without, broken]) await t.context.close();
  } finally {
    await stopRelay(relay);
  }
});
