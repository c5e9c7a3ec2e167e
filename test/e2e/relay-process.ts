import { expect, type Browser, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';

/** Starts `tessera relay` as a child process on `port` with a data dir; resolves once it answers /healthz. */
export async function startRelay(port: number, dataDir: string | undefined, extra: readonly string[] = []): Promise<ChildProcess> {
  const store = dataDir === undefined ? ['--memory-only'] : ['--data-dir', dataDir];
  // TESSERA_E2E_RELAY_LOG=dir: each relay's log goes to dir/relay-PORT.log (for chasing a failure).
  const logDir = process.env['TESSERA_E2E_RELAY_LOG'];
  const out = logDir ? openSync(join(logDir, `relay-${port}.log`), 'a') : 'ignore';
  // A relay left by an earlier run (a test that timed out) would answer for the new one.
  const stale = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
  if (stale) throw new Error(`a relay already listens on port ${port} (left by an earlier run?): stop it first`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'relay/cli.ts', 'relay', '--port', String(port), ...store, ...extra], { stdio: ['ignore', out, out] });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error('relay did not start');
}

/** Stops a relay and waits until it is gone (the next start reuses the port). */
export async function stopRelay(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await gone;
}

/** A demo tab, in its own context, joined to the relay on `port`. */
export async function openTab(browser: Browser, port: number, name: string, size = { width: 800, height: 500 }): Promise<Page> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: size });
  const page = await context.newPage();
  await page.goto(`/?quality=low&name=${name}&relay=${encodeURIComponent(`ws://127.0.0.1:${port}/`)}`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  return page;
}
