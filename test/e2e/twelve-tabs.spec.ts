// Twelve players on this 2-core machine: twelve tabs in one headless Chromium, each with its own
// player worker, spread over the demo world and walking circles across tile borders for 60 s
// (drawing off: software WebGL would cost ~100 ms a frame per tab). Every tab must see every
// avatar its area of interest covers, where its owner reports it; every pair on a direct path;
// no incident; nothing lost. Figures are printed as one JSON line for the bench to read.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { demoScene, FIRST_SPAWNED_ID } from '../../src/index.js';
import { startRelay, stopRelay } from './relay-process.js';

const PORT = 8814;
const TABS = Number(process.env['TESSERA_TABS'] ?? 12);
const WALK_S = Number(process.env['TESSERA_TABS_WALK_S'] ?? 60);
/** How tabs show each other's tiles (`speculative` steps every replica: the heaviest). */
const REPLICAS = process.env['TESSERA_TABS_REPLICAS'] ?? 'speculative';
/** Seconds to open tabs in (the bench gives a budget): tabs not joined by then are not opened, the walk goes on with those that are, and the test fails after printing its figures. */
const JOIN_S = Number(process.env['TESSERA_TABS_JOIN_S'] ?? Infinity);

/** Circle centres a little off the tile borders (16 m tiles): every circle (r = 4.5 m) crosses one. */
const CENTRES = [13, 19, 29, 35].flatMap((x) => [13, 19, 35].map((z) => ({ x, z })));

async function openPlayer(browser: Browser, i: number): Promise<Page> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 480, height: 320 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`[p${i}] page error: ${e.message}`));
  await page.goto(`/?quality=low&render=off&simulation=worker&replicas=${REPLICAS}&name=p${i}&relay=${encodeURIComponent(`ws://127.0.0.1:${PORT}/`)}`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 60_000 });
  // Walk to a circle's start, then round it (the worker simulates; the page only steers, 10 times a second).
  await page.evaluate((centre) => {
    const c = window.tesseraDemo!.client;
    const w = window as unknown as { steer: ReturnType<typeof setInterval> };
    w.steer = setInterval(() => {
      const me = c.reportedPosition(c.avatar);
      if (!me) return;
      const dx = me.position.x - centre.x;
      const dz = me.position.z - centre.z;
      const d = Math.sqrt(dx * dx + dz * dz) || 1;
      // Tangent plus a pull toward the 4.5 m radius.
      const pull = Math.max(-1, Math.min(1, (4.5 - d) / 2));
      let mx = -dz / d + (dx / d) * pull;
      let mz = dx / d + (dz / d) * pull;
      if (d > 8) {
        mx = -dx / d;
        mz = -dz / d;
      }
      const len = Math.sqrt(mx * mx + mz * mz) || 1;
      c.send({ moveX: mx / len, moveZ: mz / len });
    }, 100);
  }, CENTRES[i % CENTRES.length]!);
  return page;
}

/** What one tab sees now: its avatar, the avatars it shows with the owner-reported positions, tiles of interest, paths. */
const look = (page: Page) =>
  page.evaluate(() => {
    const c = window.tesseraDemo!.client;
    const s = c.stats();
    const shown = c.entities().filter((e) => e.kind === 'avatar');
    return {
      peer: c.peerId,
      avatar: c.avatar,
      tick: c.currentTick(),
      avatars: shown.map((e) => ({ id: e.id, tile: `${e.tile.x},${e.tile.y},${e.tile.z}`, reported: c.reportedPosition(e.id) })),
      ids: c.entities().map((e) => e.id),
      interest: c.tiles().map((t) => `${t.tile.x},${t.tile.y},${t.tile.z}`),
      paths: s.peers,
      incidents: s.incidents,
      fps: Number(document.getElementById('stats')!.dataset['fps'] ?? 0),
    };
  });

// Not in the default run: on this 2-core machine twelve tabs do not hold yet (see the issue notes);
// `TESSERA_TABS=12 npx playwright test test/e2e/twelve-tabs.spec.ts`, or the bench, runs it.
test.skip(!process.env['TESSERA_TABS'], 'heavy: set TESSERA_TABS=12 (the bench does)');

test(`${TABS} players in one Chromium on this machine: everyone sees everyone in interest, on direct paths, for ${WALK_S} s, with no incident and nothing lost`, async ({ browser }) => {
  test.setTimeout((WALK_S + Math.min(JOIN_S + 60, 240) + 60) * 1000);
  const relay = await startRelay(PORT, undefined, ['--scene', 'demo']);
  const pages: Page[] = [];
  try {
    const opening = Date.now();
    let notJoined = '';
    for (let i = 0; i < TABS; i++) {
      if (Date.now() - opening > JOIN_S * 1000) {
        notJoined = `${TABS - i} tabs not opened: ${i} joined within the ${JOIN_S} s budget`;
        break;
      }
      try {
        pages.push(await openPlayer(browser, i));
      } catch (e) {
        if (i === 0) throw e;
        notJoined = `tab p${i} did not join: ${(e as Error).message.split('\n')[0]}`;
        break;
      }
      console.log(`tab p${i} joined ${((Date.now() - opening) / 1000).toFixed(1)} s after the first was opened`);
    }
    if (notJoined) console.log(notJoined);
    const avatars = new Map<number, number>(); // avatar -> tab
    for (let i = 0; i < pages.length; i++) avatars.set((await look(pages[i]!)).avatar, i);
    // Latency: each tab notes when it applied a delta of each tile tick; owners note when they sent it.
    await Promise.all(
      pages.map((p) =>
        p.evaluate(() => {
          const c = window.tesseraDemo!.client;
          const w = window as unknown as { sent: Record<string, number>; got: Record<string, number> };
          w.sent = {};
          w.got = {};
          c.on('deltaSent', (e) => (w.sent[`${e.tile.x},${e.tile.y},${e.tile.z}:${e.tick}`] ??= e.atMs));
          c.on('deltaApplied', (e) => (w.got[`${e.from}|${e.tile.x},${e.tile.y},${e.tile.z}:${e.tick}`] ??= e.atMs));
        }),
      ),
    );
    const start = Date.now();
    let minFps = Infinity;
    let worstMiss = '';
    let misses = 0;
    let samples = 0;
    let maxErrCm = 0;
    while (Date.now() - start < WALK_S * 1000) {
      await new Promise((r) => setTimeout(r, 5000));
      const views = await Promise.all(pages.map(look));
      const byAvatar = new Map(views.map((v) => [v.avatar, v]));
      for (const v of views) {
        if (Date.now() - start > 10_000) minFps = Math.min(minFps, v.fps);
        for (const [id] of avatars) {
          if (id === v.avatar) continue;
          const owner = byAvatar.get(id)!;
          const mine = owner.avatars.find((a) => a.id === id);
          if (!mine || !v.interest.includes(mine.tile)) continue; // not in this tab's area of interest
          samples++;
          const seen = v.avatars.find((a) => a.id === id);
          if (!seen) {
            misses++;
            worstMiss = `tab ${v.peer} does not show avatar ${id} (in its interest, tile ${mine.tile})`;
            continue;
          }
          // Where the two tabs have the same owner-reported tick (±2), the positions agree.
          if (seen.reported && mine.reported && Math.abs(seen.reported.tick - mine.reported.tick) <= 2) {
            const dx = seen.reported.position.x - mine.reported.position.x;
            const dz = seen.reported.position.z - mine.reported.position.z;
            const speedCmPerTick = 5 * 100 / 60;
            maxErrCm = Math.max(maxErrCm, Math.max(0, Math.sqrt(dx * dx + dz * dz) * 100 - Math.abs(seen.reported.tick - mine.reported.tick) * speedCmPerTick));
          }
        }
      }
      console.log(`+${Math.round((Date.now() - start) / 1000)} s: ${misses}/${samples} avatar sightings missing, fps min ${views.map((v) => v.fps).reduce((a, b) => Math.min(a, b), Infinity).toFixed(1)}, incidents ${views.reduce((a, v) => a + v.incidents, 0)}, relay paths ${views.reduce((a, v) => a + v.paths.filter((p) => p.path !== 'p2p').length, 0)}`);
    }
    const views = await Promise.all(pages.map(look));
    const incidents = views.reduce((a, v) => a + v.incidents, 0);
    const notDirect = views.flatMap((v) => v.paths.filter((p) => p.path !== 'p2p').map((p) => `${v.peer}→${p.peer}:${p.path}`));
    // Nothing lost: every scene entity and every avatar is shown by some tab (together they cover the world).
    const union = new Set(views.flatMap((v) => v.ids));
    const expected = [...demoScene().entities.map((e) => e.id), ...avatars.keys()].filter((id) => id < FIRST_SPAWNED_ID || avatars.has(id));
    const lost = expected.filter((id) => !union.has(id));
    // Update latency: owner sent → viewer applied, over every tile tick both saw.
    const lat: number[] = [];
    const sentAll = await Promise.all(pages.map((p) => p.evaluate(() => (window as unknown as { sent: Record<string, number> }).sent)));
    const gotAll = await Promise.all(pages.map((p) => p.evaluate(() => (window as unknown as { got: Record<string, number> }).got)));
    const peers = views.map((v) => v.peer);
    for (const got of gotAll) {
      for (const [k, t] of Object.entries(got)) {
        const [from, key] = k.split('|') as [string, string];
        const i = peers.indexOf(Number(from));
        const s = i >= 0 ? sentAll[i]![key] : undefined;
        if (s !== undefined) lat.push(t - s);
      }
    }
    lat.sort((a, b) => a - b);
    const p99 = lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] ?? Number.NaN;
    const figures = { tabs: TABS, joined: pages.length, walk_s: WALK_S, update_latency_p99_ms: Math.round(p99 * 10) / 10, latency_samples: lat.length, min_fps_render_off: Math.round(minFps * 10) / 10, incidents, entities_lost: lost.length, sightings: samples, sightings_missing: misses, max_position_error_cm: Math.round(maxErrCm * 10) / 10, not_direct: notDirect.length };
    console.log(`TABS_FIGURES ${JSON.stringify(figures)}`);
    if (lost.length > 0) console.log(`entities no tab shows: ${lost.join(' ')} (avatars: ${lost.filter((id) => avatars.has(id)).join(' ') || 'none'}; tabs' tiles of interest: ${[...new Set(views.flatMap((v) => v.interest))].sort().join(' ')})`);
    expect(pages.length, notJoined).toBe(TABS);
    expect(lost, 'entities lost').toEqual([]);
    expect(incidents, 'incidents').toBe(0);
    expect(misses, worstMiss).toBe(0);
    expect(maxErrCm).toBeLessThanOrEqual(5);
    expect(notDirect, 'pairs not on a direct path').toEqual([]);
  } finally {
    // The relay first: closing twelve busy tabs can outlast the test's budget, and a relay left
    // running would answer for the next run's.
    await stopRelay(relay);
    await Promise.all(pages.map((p) => p.context().close()));
  }
});
