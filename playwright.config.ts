import { existsSync } from 'node:fs';
import { chromium, defineConfig } from '@playwright/test';

// Browser: TESSERA_CHROMIUM, else Playwright's own Chromium if installed, else Debian's.
function findChromium(): string | undefined {
  const fromEnv = process.env['TESSERA_CHROMIUM'];
  if (fromEnv) return fromEnv;
  try {
    const own = chromium.executablePath();
    if (own && existsSync(own)) return undefined; // Playwright finds its own
  } catch {
    // not installed: fall through to the system browser
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new Error('No Chromium found: set TESSERA_CHROMIUM, run `npx playwright install chromium`, or install Debian chromium');
}

const port = Number(process.env['TESSERA_E2E_PORT'] ?? 5179);
const relayPort = Number(process.env['TESSERA_E2E_RELAY_PORT'] ?? 8799);
const executablePath = findChromium();

export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results/e2e',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    permissions: ['camera', 'microphone'],
    launchOptions: {
      ...(executablePath ? { executablePath } : {}),
      args: [
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
        '--allow-loopback-in-peer-connection',
        '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1',
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
      ],
    },
  },
  webServer: [
    {
      command: `npx tsx relay/cli.ts relay --port ${relayPort}`,
      url: `http://127.0.0.1:${relayPort}/healthz`,
      reuseExistingServer: !process.env['CI'],
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `npx vite --port ${port} --strictPort`,
      url: `http://127.0.0.1:${port}/`,
      env: { VITE_TESSERA_RELAY_PORT: String(relayPort) },
      reuseExistingServer: !process.env['CI'],
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
