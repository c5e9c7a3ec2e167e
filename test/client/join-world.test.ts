import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { joinWorld, type WebSocketConstructor } from '../../src/index.js';
import { startRelay } from '../../relay/index.js';

// A first join retries like a reconnection when the relay cannot be reached (busy, restarting,
// not up yet), and says how many attempts it made when it gives up.

/** A free loopback port (taken and released at once). */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const ws = WebSocket as unknown as WebSocketConstructor;

describe('joinWorld: the first join retries', () => {
  it('gives up after joinAttempts when nothing answers, naming every attempt', async () => {
    const port = await freePort();
    await expect(joinWorld({ relay: `ws://127.0.0.1:${port}/`, world: 'demo', transport: 'relay', webSocket: ws, joinAttempts: 3, timeoutMs: 400 })).rejects.toThrow(/\(3 attempts\)/);
  });

  it('joins a relay that comes up while it is trying', async () => {
    const port = await freePort();
    const joining = joinWorld({ relay: `ws://127.0.0.1:${port}/`, world: 'demo', transport: 'relay', webSocket: ws, joinAttempts: 6, timeoutMs: 2000 });
    await new Promise((r) => setTimeout(r, 600)); // the first attempts are refused
    const relay = await startRelay({ port, log: () => {}, auditThread: false });
    try {
      const handle = await joining;
      expect(handle.client.joined).toBe(true);
      handle.leave();
    } finally {
      await relay.close();
    }
  }, 30_000);
});

describe('joinWorld: the kinds module', () => {
  it('resolves a relative kinds URL against the page, not against the library (simulation on the page)', async () => {
    const g = globalThis as { location?: { href: string } };
    const had = g.location;
    g.location = { href: 'file:///srv/game/index.html' };
    try {
      const port = await freePort();
      await expect(joinWorld({ relay: `ws://127.0.0.1:${port}/`, world: 'demo', transport: 'relay', webSocket: ws, simulation: 'main', kinds: './my-kinds.js', joinAttempts: 1, timeoutMs: 400 })).rejects.toThrow(/kinds module file:\/\/\/srv\/game\/my-kinds\.js could not be loaded/);
    } finally {
      if (had === undefined) delete g.location;
      else g.location = had;
    }
  });
});
