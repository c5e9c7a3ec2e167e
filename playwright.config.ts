import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from './bench/chromium.js';

const port = Number(process.env['TESSERA_E2E_PORT'] ?? 5179);
const relayPort = Number(process.env['TESSERA_E2E_RELAY_PORT'] ?? 8799);
const relayLog = process.env['TESSERA_E2E_RELAY_LOG'];
const executablePath = findChromium();

export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results/e2e',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  // In CI (a loaded 2-core machine, one run decides whether work lands) a failed browser test
  // runs once more; one that then passes is reported as flaky in the summary, not hidden.
  retries: process.env['CI'] ? 1 : 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    permissions: ['camera', 'microphone'],
    launchOptions: {
      ...(executablePath ? { executablePath } : {}),
      // CHROMIUM_ARGS: no traffic leaves the machine (--disable-background-networking …, and
      // --host-resolver-rules="MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1" so every
      // host name but localhost is unresolvable), loopback WebRTC allowed; plus software WebGL.
      args: [...CHROMIUM_ARGS, '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
    },
  },
  webServer: [
    {
      // TESSERA_E2E_RELAY_LOG=dir (set by .ci/run): the shared relay's log goes to dir/relay-PORT.log too.
      command: `npx tsx relay/cli.ts relay --port ${relayPort} --memory-only${relayLog ? ` >> ${relayLog}/relay-${relayPort}.log` : ''}`,
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
