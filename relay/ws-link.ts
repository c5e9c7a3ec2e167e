import type { WebSocket } from 'ws';
import type { Link } from '../src/index.js';

/** Options of `wsLink`. */
export interface WsLinkOptions {
  /** Unsent bytes past which a reliable message closes the link instead of queueing (default 8 MiB). */
  readonly maxQueuedBytes?: number;
  /** Told when the link closes because its queue would pass `maxQueuedBytes` (bytes waiting then). */
  readonly overflow?: (queuedBytes: number) => void;
  /** After `close()`, the socket is cut this long later if the peer has not closed it, ms (default 250: what was sent is out by then). */
  readonly closeGraceMs?: number;
}

/**
 * A relay-side `Link` over one WebSocket (binary frames; WebSockets are always reliable).
 * Back-pressure: a peer that does not read loses unreliable messages (the next state
 * supersedes them); a reliable message that would pass `maxQueuedBytes` closes the link — a
 * reliable link delivers in order or closes — so the peer reconnects and resyncs rather than
 * going on with a hole in its stream. Nothing is read from a link after `close()`: the closing
 * handshake is not waited for, the socket is cut `closeGraceMs` later.
 */
export function wsLink(ws: WebSocket, opts: WsLinkOptions = {}): Link {
  const maxQueued = opts.maxQueuedBytes ?? 8 * 1024 * 1024;
  let closing = false;
  let closed = false;
  const shut = (hard: boolean): void => {
    if (closing) return;
    closing = true;
    if (hard) {
      ws.terminate();
      return;
    }
    ws.close(1000, 'closed');
    // Nothing more is read (a flooder's queued frames cost the relay nothing more); what is
    // queued for the peer (its error, the close frame) still goes out, then the socket is cut.
    ws.pause();
    setTimeout(() => ws.terminate(), opts.closeGraceMs ?? 250).unref();
  };
  const link: Link = {
    get open() {
      return !closing && !closed;
    },
    onMessage: undefined,
    onClose: undefined,
    send(bytes, reliable) {
      if (closing || closed || ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount + bytes.length > maxQueued) {
        if (!reliable) return;
        opts.overflow?.(ws.bufferedAmount);
        shut(true); // the peer is not reading: a closing handshake would wait behind the queue
        return;
      }
      ws.send(bytes, { binary: true });
    },
    close() {
      shut(false);
    },
  };
  ws.on('message', (data, isBinary) => {
    if (closing || closed) return;
    if (!isBinary) {
      link.close();
      return;
    }
    const buf = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
    link.onMessage?.(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  });
  ws.on('close', () => {
    if (closed) return;
    closed = true;
    link.onClose?.();
  });
  ws.on('error', () => ws.terminate());
  return link;
}
