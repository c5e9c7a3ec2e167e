import type { WebSocket, WebSocketServer } from 'ws';

/** Options of `startKeepalive`. */
export interface KeepaliveOptions {
  /** A WebSocket ping goes to every connection this often, ms (default 5000). */
  readonly intervalMs?: number;
  /** Called for a connection cut because it did not answer the previous ping. */
  readonly dead?: () => void;
}

/**
 * WebSocket keepalive: every connection is pinged each interval (browsers and `ws` answer
 * pings by themselves); one that has not answered the previous ping is cut, so a frozen tab or
 * a network that died without a close frees its slot and its tiles within two intervals. (An
 * owner's tiles go sooner still: the relay takes them after about a second without commitments.)
 * Returns the stop function.
 */
export function startKeepalive(wss: WebSocketServer, opts: KeepaliveOptions = {}): () => void {
  const alive = new WeakMap<WebSocket, boolean>();
  wss.on('connection', (ws) => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
  });
  const timer = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        opts.dead?.();
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      try {
        ws.ping();
      } catch {
        ws.terminate();
      }
    }
  }, opts.intervalMs ?? 5000);
  timer.unref();
  return () => clearInterval(timer);
}
