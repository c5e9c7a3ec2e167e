// Network figures: replication bandwidth per visible avatar (Node, the real authority and codec),
// and update latency tab → tab over WebRTC and through the relay (two Chromium tabs).
import type { Browser } from '@playwright/test';
import {
  benchScene,
  DEFAULT_REPLICATION,
  encodeForWire,
  encodeMessage,
  SeededRng,
  initPhysics,
  MsgType,
  resolveWorldConfig,
  standardKinds,
  TileAuthority,
  TileWorld,
  type Message,
  type ReplicationConfig,
  type SceneDesc,
} from '../src/index.js';

/** Bytes per second a subscriber receives per moving avatar, at `sendHz` deltas per second. */
export async function bytesPerVisibleAvatar(avatars: number, sendHz: number, seconds: number): Promise<{ bytesPerAvatarPerS: number; messagesPerS: number }> {
  await initPhysics();
  const scene = benchScene('avatars', avatars, 64);
  const config = resolveWorldConfig(scene.config);
  let bytes = 0;
  let messages = 0;
  watchOneTile(scene, { sendEveryTicks: Math.round(config.tickRate / sendHz), keyframeEveryTicks: 1_000_000 }, seconds, (_to, m) => {
    if (m.type !== MsgType.StateDelta) return;
    bytes += encodeMessage(m, config.tileEdge).length;
    messages++;
  });
  return { bytesPerAvatarPerS: bytes / seconds / avatars, messagesPerS: messages / seconds };
}

/**
 * The real owner code (`TileAuthority`) holding the one tile of `scene` with subscriber 2: two
 * seconds of warm-up (everyone walking), then `seconds` during which every message it sends
 * goes to `sent`.
 */
function watchOneTile(scene: SceneDesc, replication: ReplicationConfig, seconds: number, sent: (to: number, m: Message) => void): void {
  const config = resolveWorldConfig(scene.config);
  const registry = standardKinds();
  let counting = false;
  const authority = new TileAuthority(
    config,
    registry,
    1,
    {
      send: (to: number, m: Message) => {
        if (counting) sent(to, m);
      },
      ownerOf: () => undefined,
      tileOfEntity: () => undefined,
      dropped: () => {},
    },
    replication,
    0,
  );
  const world = TileWorld.fromScene(scene, registry);
  const sim = world.tileList()[0]!;
  authority.adopt(sim.tile, 1, sim.snapshot(), [2]);
  world.dispose();
  authority.stepTo(120, 1000); // warm up: everyone walking
  counting = true;
  authority.stepTo(120 + seconds * config.tickRate, 100_000);
  authority.dispose();
}

/**
 * Bytes a WebRTC data channel adds to each message on the wire, counted per message (no SCTP
 * bundling assumed): SCTP common header 12 + DATA chunk header 16, DTLS 1.2 record header 13 +
 * AES-GCM explicit nonce 8 + tag 16, UDP 8, IPv4 20.
 */
export const DATA_CHANNEL_OVERHEAD_BYTES = 12 + 16 + 13 + 8 + 16 + 8 + 20;

/** What a viewer receives for the tiles it watches, every byte (see `viewerBytesTotal`). */
export interface ViewerBytes {
  /** Every byte per visible avatar per second: deltas, full states, chunks, with framing. */
  readonly totalPerAvatarPerS: number;
  /** The same without the per-message channel overhead (what the codec produces). */
  readonly payloadPerAvatarPerS: number;
  /** The share of full tile states (TileState) in the payload. */
  readonly fullStateShare: number;
  readonly messagesPerS: number;
}

/**
 * Every byte a subscriber receives for a tile of `avatars` walking avatars that change direction
 * like players do (each every 0.3–1 s), through the real owner code with its default replication
 * (deltas at 20 Hz, a full state once a second), cut for the wire as it is sent, plus
 * `DATA_CHANNEL_OVERHEAD_BYTES` per message.
 */
export async function viewerBytesTotal(avatars: number, seconds: number, replication: ReplicationConfig = DEFAULT_REPLICATION): Promise<ViewerBytes> {
  await initPhysics();
  const base = benchScene('avatars', avatars, 64);
  const turn = new SeededRng(avatars * 7 + 1);
  const scene = { ...base, entities: base.entities.map((e) => (e.kind === 'wanderer' ? { ...e, props: { ...e.props, turnEvery: 18 + Math.floor(turn.next() * 43) } } : e)) };
  const config = resolveWorldConfig(scene.config);
  let payload = 0;
  let full = 0;
  let messages = 0;
  let chunkId = 0;
  watchOneTile(scene, replication, seconds, (to, m) => {
    if (to !== 2) return;
    for (const part of encodeForWire(m, chunkId++, config.tileEdge)) {
      payload += part.length;
      if (m.type === MsgType.TileState) full += part.length;
      messages++;
    }
  });
  const total = payload + messages * DATA_CHANNEL_OVERHEAD_BYTES;
  return { totalPerAvatarPerS: total / seconds / avatars, payloadPerAvatarPerS: payload / seconds / avatars, fullStateShare: payload > 0 ? full / payload : 0, messagesPerS: messages / seconds };
}

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

/** Update latency and the viewer's main-thread tasks in one stretch of `tabLatency`. */
export interface TabLatency {
  readonly p50: number;
  readonly p99: number;
  readonly samples: number;
  /** The viewer's path to the owner at the end (`p2p`, `relay`). */
  readonly path: string;
  /** The viewer's longest main-thread task over the stretch. */
  readonly steadyLongestTaskMs: number;
}

/**
 * Latency from the owner sending the delta of tick T (right after stepping it) to the
 * subscriber applying it, in ms, over a direct WebRTC path or the relay path (60 Hz send rate):
 * two tabs on one relay, measured `seconds` with drawing off, then `seconds` with both tabs
 * drawing (software WebGL here), in the same session. Also the viewer's longest main-thread
 * tasks while it joined and while its page loaded.
 */
export async function tabLatency(browser: Browser, demoUrl: string, relayUrl: string, transport: 'auto' | 'relay', seconds: number): Promise<{ off: TabLatency; on: TabLatency; joinLongestTaskMs: number; pageLoadLongestTaskMs: number }> {
  const open = async (name: string) => {
    const ctx = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 640, height: 400 } });
    // The longest task the page's main thread ran (joining a world builds its replicas).
    await ctx.addInitScript(() => {
      const w = window as unknown as { longestTaskMs: number; tasks: { start: number; ms: number }[] };
      w.longestTaskMs = 0;
      w.tasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          w.longestTaskMs = Math.max(w.longestTaskMs, e.duration);
          w.tasks.push({ start: e.startTime, ms: e.duration });
        }
      }).observe({ type: 'longtask', buffered: true });
    });
    const page = await ctx.newPage();
    await page.goto(`${demoUrl}?quality=low&simulation=worker&render=off&sendHz=60&transport=${transport}&name=${name}${process.env["REPLICAS"] ? `&replicas=${process.env["REPLICAS"]}` : ""}&relay=${encodeURIComponent(relayUrl)}`);
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, { timeout: 30_000 });
    return { ctx, page };
  };
  const a = await open('owner');
  await a.page.waitForFunction(() => window.tesseraDemo!.client.stats().ownedTiles.length > 0, undefined, { timeout: 20_000 });
  const b = await open('viewer');
  try {
    // Steady state: the viewer first settles in (its replicas of the nine tiles are built as it joins).
    await b.page.waitForTimeout(2000);
    // From the moment the page calls joinWorld (its own module loading and setup before that are not the join's).
    // The page's loading before that (modules, WebGL, warm-ups) is reported on its own.
    const { joinLongestTaskMs, pageLoadLongestTaskMs } = await b.page.evaluate(() => {
      const from = performance.getEntriesByName('tessera-join-start')[0]?.startTime ?? 0;
      const tasks = (window as unknown as { tasks: { start: number; ms: number }[] }).tasks;
      return {
        joinLongestTaskMs: Math.max(0, ...tasks.filter((t) => t.start + t.ms >= from).map((t) => t.ms)),
        pageLoadLongestTaskMs: Math.max(0, ...tasks.filter((t) => t.start + t.ms < from).map((t) => t.ms)),
      };
    });
    const aPeer = await a.page.evaluate(() => window.tesseraDemo!.client.peerId);
    if (transport === 'auto') await b.page.waitForFunction((p) => window.tesseraDemo!.client.stats().peers.some((x) => x.peer === p && x.path === 'p2p'), aPeer, { timeout: 20_000 });
    await a.page.evaluate(() => {
      const c = window.tesseraDemo!.client;
      const w = window as unknown as { sent: Record<string, number> };
      w.sent = {};
      // Stamped where the work happens (the owner's worker), epoch ms: comparable across tabs.
      c.on('deltaSent', (e) => (w.sent[`${e.tile.x},${e.tile.y},${e.tile.z}:${e.tick}`] ??= e.atMs));
      let dir = 1;
      c.send({ moveX: 1 });
      setInterval(() => c.send({ moveX: (dir = -dir) }), 800); // keep the avatar moving, so deltas flow
    });
    await b.page.evaluate((owner) => {
      const c = window.tesseraDemo!.client;
      const w = window as unknown as { got: Record<string, number> };
      w.got = {};
      c.on('deltaApplied', (e) => {
        if (e.from === owner) w.got[`${e.tile.x},${e.tile.y},${e.tile.z}:${e.tick}`] ??= e.atMs;
      });
    }, aPeer);
    const stretch = async (render: boolean): Promise<TabLatency> => {
      for (const t of [a, b]) await t.page.evaluate((on) => window.tesseraDemo!.setRender!(on), render);
      // A second to settle into drawing (or not) before counting.
      await b.page.waitForTimeout(1000);
      const from = await b.page.evaluate(() => {
        (window as unknown as { got: Record<string, number> }).got = {};
        return performance.now();
      });
      await b.page.waitForTimeout(seconds * 1000);
      const sent = await a.page.evaluate(() => (window as unknown as { sent: Record<string, number> }).sent);
      const got = await b.page.evaluate(() => (window as unknown as { got: Record<string, number> }).got);
      const path = await b.page.evaluate((p) => window.tesseraDemo!.client.stats().peers.find((x) => x.peer === p)?.path ?? 'none', aPeer);
      const steadyLongestTaskMs = await b.page.evaluate((t0) => Math.max(0, ...(window as unknown as { tasks: { start: number; ms: number }[] }).tasks.filter((t) => t.start >= t0).map((t) => t.ms)), from);
      const lat: number[] = [];
      for (const [k, t] of Object.entries(got)) if (sent[k] !== undefined) lat.push(t - sent[k]!);
      return { p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), samples: lat.length, path, steadyLongestTaskMs };
    };
    const off = await stretch(false);
    const on = await stretch(true);
    return { off, on, joinLongestTaskMs, pageLoadLongestTaskMs };
  } finally {
    await a.ctx.close();
    await b.ctx.close();
  }
}
