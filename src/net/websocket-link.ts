import { ErrorCode, TesseraError } from '../core/errors.js';
import type { Link } from './link.js';

/** The part of the WebSocket API a link needs (the browser's, or the `ws` package's in Node). */
export interface WebSocketLike {
  /** Set to `arraybuffer` by the link so messages arrive as bytes. */
  binaryType: string;
  /** Connection state: 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Queues a binary message. */
  send(data: Uint8Array): void;
  /** Starts closing, with an optional close code and reason. */
  close(code?: number, reason?: string): void;
  /** Called once the connection is open. */
  onopen: ((ev: unknown) => void) | null;
  /** Called per received message; `data` is an `ArrayBuffer` (or a Node `Buffer`). */
  onmessage: ((ev: { data: unknown }) => void) | null;
  /** Called once the connection closed. */
  onclose: ((ev: unknown) => void) | null;
  /** Called on a connection error (a close follows). */
  onerror: ((ev: unknown) => void) | null;
}

/** A constructor like the browser's `WebSocket`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Options of `openWebSocketLink`. */
export interface WebSocketLinkOptions {
  /** Unsent bytes past which a reliable message closes the link instead of being queued (default 8 MiB). */
  readonly maxQueuedBytes?: number;
  /** Where the link says why it closed itself (default `console.warn`). */
  readonly log?: (message: string) => void;
}

/**
 * Opens a link to a relay over a WebSocket; resolves once open, rejects with a clear error
 * if it cannot connect within `timeoutMs`. Back-pressure: while the socket is far behind
 * (`maxQueuedBytes` unsent), unreliable messages are dropped, and a reliable one closes the
 * link (logged; `onClose` fires at once) — a reliable link delivers in order or closes, so the
 * client reconnects and resyncs instead of going on with a hole in what it sent.
 */
export function openWebSocketLink(url: string, Impl?: WebSocketConstructor, timeoutMs = 10_000, opts: WebSocketLinkOptions = {}): Promise<Link> {
  const Ctor = Impl ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Ctor) return Promise.reject(new TesseraError(ErrorCode.BadInput, 'no WebSocket implementation: pass one (e.g. the `ws` package in Node)'));
  return new Promise<Link>((resolve, reject) => {
    const ws = new Ctor(url);
    ws.binaryType = 'arraybuffer';
    let open = false;
    let closed = false;
    const maxQueued = opts.maxQueuedBytes ?? 8 * 1024 * 1024;
    const timer = setTimeout(() => {
      if (!open) {
        ws.close();
        reject(new TesseraError(ErrorCode.Unreachable, `could not reach the relay at ${url} within ${timeoutMs} ms`));
      }
    }, timeoutMs);
    const link: Link = {
      get open() {
        return open && !closed;
      },
      onMessage: undefined,
      onClose: undefined,
      send(bytes, reliable) {
        if (!open || closed) return;
        if (ws.bufferedAmount + bytes.length > maxQueued) {
          if (!reliable) return; // the next state supersedes it
          (opts.log ?? console.warn)(`tessera: closing the link to ${url}: ${ws.bufferedAmount} bytes are waiting to be sent (over ${maxQueued}); reconnecting resyncs`);
          closed = true;
          ws.close(4000, 'send queue full');
          link.onClose?.();
          return;
        }
        ws.send(bytes);
      },
      close() {
        if (closed) return;
        ws.close(1000, 'bye');
      },
    };
    ws.onopen = () => {
      open = true;
      clearTimeout(timer);
      resolve(link);
    };
    ws.onmessage = (ev) => {
      if (closed) return;
      const d = ev.data;
      if (d instanceof ArrayBuffer) link.onMessage?.(new Uint8Array(d));
      else if (ArrayBuffer.isView(d)) link.onMessage?.(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    };
    ws.onclose = () => {
      const wasOpen = open;
      if (closed && wasOpen) return; // closed by the link itself: onClose already fired
      closed = true;
      clearTimeout(timer);
      if (!wasOpen) reject(new TesseraError(ErrorCode.Unreachable, `the relay at ${url} refused or dropped the connection`));
      else link.onClose?.();
    };
    ws.onerror = () => {
      // onclose follows and reports.
    };
  });
}
