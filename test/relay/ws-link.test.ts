import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { openWebSocketLink, type WebSocketConstructor, type WebSocketLike } from '../../src/index.js';
import { wsLink } from '../../relay/ws-link.js';

// A reliable link delivers in order or closes: when a peer does not read and the queue passes
// its bound, unreliable messages are dropped and a reliable one closes the link (logged), so
// the peer reconnects and resyncs — on the relay's side and on the client's.

async function until(done: () => boolean, ms: number): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('WebSocket links under back-pressure', () => {
  it('relay side: a peer that does not read loses unreliable messages, and a reliable one closes its link', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    const port = (wss.address() as { port: number }).port;
    const server = new Promise<WebSocket>((r) => wss.once('connection', r));
    // A client that completes the WebSocket handshake and then never reads again.
    const sock: Socket = connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await new Promise((r) => sock.once('data', r));
    sock.pause();
    const ws = await server;
    const overflows: number[] = [];
    const link = wsLink(ws, { maxQueuedBytes: 1024 * 1024, overflow: (q) => overflows.push(q) });
    let closed = 0;
    link.onClose = () => closed++;
    try {
      const msg = new Uint8Array(60 * 1024);
      // Unreliable messages until the queue is full: dropped past it, the link stays up.
      for (let i = 0; i < 4000 && ws.bufferedAmount < 1024 * 1024 - msg.length; i++) {
        link.send(msg, false);
        if (i % 16 === 0) await new Promise((r) => setImmediate(r));
      }
      expect(ws.bufferedAmount).toBeGreaterThan(1024 * 1024 - msg.length);
      const queued = ws.bufferedAmount;
      for (let i = 0; i < 50; i++) link.send(msg, false);
      expect(ws.bufferedAmount).toBe(queued); // dropped, not queued
      expect(link.open).toBe(true);
      // A reliable one would pass the bound: the link closes rather than leave a hole.
      link.send(msg, true);
      expect(overflows).toHaveLength(1);
      expect(overflows[0]).toBeGreaterThan(900 * 1024);
      expect(link.open).toBe(false);
      await until(() => closed === 1, 2000);
      link.send(msg, true); // sending on a closed link does nothing
      expect(closed).toBe(1);
    } finally {
      sock.destroy();
      await new Promise((r) => wss.close(r));
    }
  });

  it('client side: the same, with the reason logged and onClose at once (the client reconnects)', async () => {
    let socket: FakeSocket | undefined;
    class FakeSocket implements WebSocketLike {
      binaryType = 'blob';
      readyState = 0;
      bufferedAmount = 0;
      sent: Uint8Array[] = [];
      closedWith: number | undefined;
      onopen: ((ev: unknown) => void) | null = null;
      onmessage: ((ev: { data: unknown }) => void) | null = null;
      onclose: ((ev: unknown) => void) | null = null;
      onerror: ((ev: unknown) => void) | null = null;
      constructor(readonly url: string) {
        socket = this;
        queueMicrotask(() => {
          this.readyState = 1;
          this.onopen?.({});
        });
      }
      send(data: Uint8Array): void {
        this.sent.push(data);
      }
      close(code?: number): void {
        this.closedWith = code;
      }
    }
    const logs: string[] = [];
    const link = await openWebSocketLink('ws://relay.test/', FakeSocket as unknown as WebSocketConstructor, 1000, { maxQueuedBytes: 1000, log: (m) => logs.push(m) });
    let closed = 0;
    link.onClose = () => closed++;
    const s = socket!;
    link.send(new Uint8Array(100), true);
    expect(s.sent).toHaveLength(1);
    s.bufferedAmount = 950; // the network is far behind
    link.send(new Uint8Array(100), false);
    expect(s.sent).toHaveLength(1); // an unreliable one is dropped
    expect(link.open).toBe(true);
    link.send(new Uint8Array(100), true);
    expect(s.sent).toHaveLength(1);
    expect(s.closedWith).toBe(4000);
    expect(link.open).toBe(false);
    expect(closed).toBe(1);
    expect(logs[0]).toMatch(/closing the link to ws:\/\/relay.test\/: 950 bytes are waiting/);
    s.onclose?.({}); // the socket's own close event later: onClose does not fire twice
    expect(closed).toBe(1);
  });
});
