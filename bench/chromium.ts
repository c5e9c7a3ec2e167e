// Finds and launches the Chromium used by tests and benchmarks (same order and flags as playwright.config.ts).
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

/**
 * The Chromium to use: TESSERA_CHROMIUM, else Playwright's own if installed (undefined: let
 * Playwright find it), else Debian's /usr/bin/chromium. Throws, naming the options, when none exists.
 */
export function findChromium(): string | undefined {
  const fromEnv = process.env['TESSERA_CHROMIUM'];
  if (fromEnv) return fromEnv;
  try {
    const own = chromium.executablePath();
    if (own && existsSync(own)) return undefined;
  } catch {
    // Playwright's browser is not installed: fall through to the system one
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new Error('No Chromium found: set TESSERA_CHROMIUM, run `npx playwright install chromium`, or install Debian chromium');
}

/** Launches headless Chromium with `CHROMIUM_ARGS`. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  return chromium.launch({ ...(executablePath ? { executablePath } : {}), args: CHROMIUM_ARGS });
}
