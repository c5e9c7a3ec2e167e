// Finds and launches the Chromium used by tests and benchmarks (same order and flags as playwright.config.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from '@playwright/test';

/** The flags every Tessera browser run uses: no traffic leaves the machine, loopback WebRTC allowed. */
export const CHROMIUM_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--allow-loopback-in-peer-connection',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1',
];

/** Debian's Chromium (what CI installs). */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** The command run when no Chromium is found. */
export const INSTALL_COMMAND = 'npx playwright install chromium';

/** What `chooseChromium` needs from the machine; injected so the decision can be tested without a download. */
export interface ChromiumProbe {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** True when Playwright's own Chromium is installed. */
  readonly playwrightInstalled: () => boolean;
  readonly exists: (path: string) => boolean;
  /** Runs `npx playwright install chromium` with its progress visible; true when it succeeded. */
  readonly install: () => boolean;
  readonly log: (line: string) => void;
}

/**
 * The Chromium to use, in this order: TESSERA_CHROMIUM; Playwright's own if installed (undefined:
 * let Playwright find it); Debian's /usr/bin/chromium; else it runs `npx playwright install
 * chromium` and uses Playwright's own. Throws, naming the three ways, when the install fails too.
 *
 * TESSERA_CHROMIUM_SEARCH limits where an installed Chromium is looked for: a comma list of
 * `playwright` and `system` (default both), or `none` — to try the install path on a machine that
 * has a Chromium (Playwright's own is still used once the install has run).
 */
export function chooseChromium(probe: ChromiumProbe): string | undefined {
  const fromEnv = probe.env['TESSERA_CHROMIUM'];
  if (fromEnv) return fromEnv;
  const search = (probe.env['TESSERA_CHROMIUM_SEARCH'] ?? 'playwright,system').split(',').map((s) => s.trim());
  if (search.includes('playwright') && probe.playwrightInstalled()) return undefined;
  if (search.includes('system') && probe.exists(SYSTEM_CHROMIUM)) return SYSTEM_CHROMIUM;
  const where = probe.env['TESSERA_CHROMIUM_SEARCH'] !== undefined ? `TESSERA_CHROMIUM_SEARCH=${search.join(',')}` : `no Playwright Chromium, no ${SYSTEM_CHROMIUM}`;
  probe.log(`No Chromium found (TESSERA_CHROMIUM unset, ${where}): running \`${INSTALL_COMMAND}\` …`);
  if (probe.install() && probe.playwrightInstalled()) {
    probe.log('Playwright\'s Chromium is installed; the browser tests use it.');
    return undefined;
  }
  throw new Error(`No Chromium found and \`${INSTALL_COMMAND}\` failed: set TESSERA_CHROMIUM=/path/to/chrome, run \`${INSTALL_COMMAND}\` where the download works, or install Debian chromium (apt-get install chromium)`);
}

function playwrightInstalled(): boolean {
  try {
    const own = chromium.executablePath();
    return !!own && existsSync(own);
  } catch {
    return false; // Playwright's browser is not installed
  }
}

function installPlaywrightChromium(): boolean {
  const [cmd, ...args] = INSTALL_COMMAND.split(' ') as [string, ...string[]];
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], shell: process.platform === 'win32' });
  return r.status === 0;
}

/** `chooseChromium` on this machine; its messages go to stderr. */
export function findChromium(): string | undefined {
  return chooseChromium({
    env: process.env,
    playwrightInstalled,
    exists: existsSync,
    install: installPlaywrightChromium,
    log: (line) => console.error(line),
  });
}

/** Launches headless Chromium with `CHROMIUM_ARGS`. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  return chromium.launch({ ...(executablePath ? { executablePath } : {}), args: CHROMIUM_ARGS });
}
