import { ErrorCode, TesseraError } from '../core/errors.js';
import type { Link } from './link.js';

/** The part of the WebSocket API a link needs (the browser's, or the `ws` package's in Node). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** A constructor like the browser's `WebSocket`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * Opens a link to a relay over a WebSocket; resolves once open, rejects with a clear error
 * if it cannot connect within `timeoutMs`.
 */
export function openWebSocketLink(url: string, Impl?: WebSocketConstructor, timeoutMs = 10_000): Promise<Link> {
  const Ctor = Impl ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Ctor) return Promise.reject(new TesseraError(ErrorCode.BadInput, 'no WebSocket implementation: pass one (e.g. the `ws` package in Node)'));
  return new Promise<Link>((resolve, reject) => {
    const ws = new Ctor(url);
    ws.binaryType = 'arraybuffer';
    let open = false;
    let closed = false;
    const timer = setTimeout(() => {
      if (!open) {
        ws.close();
        reject(new TesseraError(ErrorCode.BadInput, `could not reach the relay at ${url} within ${timeoutMs} ms`));
      }
    }, timeoutMs);
    const link: Link = {
      get open() {
        return open && !closed;
      },
      onMessage: undefined,
      onClose: undefined,
      send(bytes) {
        if (!open || closed) return;
        // Back-pressure: drop rather than queue without bound when the socket is this far behind.
        if (ws.bufferedAmount > 4 * 1024 * 1024) return;
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
      const d = ev.data;
      if (d instanceof ArrayBuffer) link.onMessage?.(new Uint8Array(d));
      else if (ArrayBuffer.isView(d)) link.onMessage?.(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    };
    ws.onclose = () => {
      const wasOpen = open;
      closed = true;
      clearTimeout(timer);
      if (!wasOpen) reject(new TesseraError(ErrorCode.BadInput, `the relay at ${url} refused or dropped the connection`));
      else link.onClose?.();
    };
    ws.onerror = () => {
      // onclose follows and reports.
    };
  });
}
