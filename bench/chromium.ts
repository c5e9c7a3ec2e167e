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

/** Launches headless Chromium: TESSERA_CHROMIUM, else Playwright's own, else /usr/bin/chromium. */
export async function launchChromium(): Promise<Browser> {
  let executablePath = process.env['TESSERA_CHROMIUM'];
  if (!executablePath) {
    let own: string | undefined;
    try {
      own = chromium.executablePath();
    } catch {
      own = undefined;
    }
    if (!own || !existsSync(own)) executablePath = '/usr/bin/chromium';
  }
  return chromium.launch({ ...(executablePath ? { executablePath } : {}), args: CHROMIUM_ARGS });
}
