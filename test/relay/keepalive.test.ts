import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startRelay, type RelayServer } from '../../relay/index.js';

let server: RelayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const open = (url: string, autoPong: boolean): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { autoPong });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });

const waitFor = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
};

describe('relay keepalive', () => {
  it('cuts a connection that stops answering pings (a frozen tab, a dead network), keeps one that answers, and counts it', async () => {
    // 300 ms between pings: a loaded 2-core machine may hold the relay's loop for a tick or two.
    server = await startRelay({ port: 0, log: () => {}, keepaliveMs: 300 });
    const silent = await open(server.url, false);
    const live = await open(server.url, true);
    let silentClosed = false;
    let liveClosed = false;
    silent.on('close', () => (silentClosed = true));
    live.on('close', () => (liveClosed = true));
    // Cut after two missed pings (600 ms); the wait is long because CI ran this beside the fault
    // simulator's two processes on two cores and the cut came after more than 5 s.
    expect(await waitFor(() => silentClosed, 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1200));
    expect(liveClosed).toBe(false);
    expect(server.core.metricsText()).toMatch(/tessera_closed_total\{reason="keepalive"\} [1-9]/);
    live.close();
  });
});
