import type { WebSocket } from 'ws';
import type { Link } from '../src/index.js';

/** A relay-side `Link` over one WebSocket (binary frames; WebSockets are always reliable). */
export function wsLink(ws: WebSocket): Link {
  let open = true;
  const link: Link = {
    get open() {
      return open;
    },
    onMessage: undefined,
    onClose: undefined,
    send(bytes) {
      if (!open || ws.readyState !== ws.OPEN) return;
      // Back-pressure: a peer that does not read loses unreliable state, not the relay's memory.
      if (ws.bufferedAmount > 8 * 1024 * 1024) return;
      ws.send(bytes, { binary: true });
    },
    close() {
      if (!open) return;
      ws.close(1000, 'closed');
    },
  };
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      link.close();
      return;
    }
    const buf = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
    link.onMessage?.(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  });
  ws.on('close', () => {
    if (!open) return;
    open = false;
    link.onClose?.();
  });
  ws.on('error', () => ws.terminate());
  return link;
}
