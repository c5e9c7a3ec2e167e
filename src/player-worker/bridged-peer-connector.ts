import type { Link } from '../net/link.js';
import type { PeerConnection, PeerConnector } from '../net/peer-connector.js';
import type { PeerId } from '../protocol/messages.js';
import type { PageToWorker, WorkerToPage } from './protocol.js';

type RtcEvent = Extract<PageToWorker, { t: 'rtc-signal-out' | 'rtc-open' | 'rtc-data' | 'rtc-closed' }>;

interface Bridged {
  readonly conn: PeerConnection;
  readonly sendSignal: (data: string) => void;
  open: boolean;
  closed: boolean;
  readonly link: Link & { open: boolean };
}

/**
 * A peer connector for a client running in a worker: Web Workers have no `RTCPeerConnection`,
 * so the page makes the real WebRTC connection (`RtcBridge`) and the bytes cross over
 * postMessage (transferred). To the client it is any other `PeerConnector`.
 */
export class BridgedPeerConnector implements PeerConnector {
  private readonly conns = new Map<number, Bridged>();
  private nextConn = 1;

  constructor(private readonly post: (m: WorkerToPage, transfer?: Transferable[]) => void) {}

  connect(self: PeerId, remote: PeerId, initiator: boolean, sendSignal: (data: string) => void): PeerConnection {
    const id = this.nextConn++;
    const post = this.post;
    const conns = this.conns;
    let state: Bridged | undefined;
    const link: Link & { open: boolean } = {
      get open() {
        return state !== undefined && state.open && !state.closed;
      },
      onMessage: undefined,
      onClose: undefined,
      send(bytes, reliable) {
        if (!state?.open || state.closed) return;
        const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
        post({ t: 'rtc-send', conn: id, bytes: copy, reliable }, [copy.buffer as ArrayBuffer]);
      },
      close() {
        if (!state || state.closed) return;
        post({ t: 'rtc-destroy', conn: id });
        end(state);
      },
    };
    const end = (s: Bridged): void => {
      if (s.closed) return;
      s.closed = true;
      conns.delete(id);
      s.link.onClose?.();
    };
    const conn: PeerConnection = {
      link,
      signal: (data) => {
        if (!state?.closed) post({ t: 'rtc-signal-in', conn: id, data });
      },
      onOpen: undefined,
      destroy: () => link.close(),
    };
    state = { conn, sendSignal, open: false, closed: false, link };
    conns.set(id, state);
    post({ t: 'rtc-connect', conn: id, self, remote, initiator });
    return conn;
  }

  /** Handles what the page reports of a bridged connection. */
  onPage(m: RtcEvent): void {
    const s = this.conns.get(m.conn);
    if (!s) return;
    switch (m.t) {
      case 'rtc-signal-out':
        s.sendSignal(m.data);
        return;
      case 'rtc-open':
        s.open = true;
        s.conn.onOpen?.();
        return;
      case 'rtc-data':
        s.link.onMessage?.(m.bytes);
        return;
      case 'rtc-closed':
        if (s.closed) return;
        s.closed = true;
        this.conns.delete(m.conn);
        s.link.onClose?.();
        return;
    }
  }

  /** Tears every bridged connection down (the session ends). */
  closeAll(): void {
    for (const s of [...this.conns.values()]) s.link.close();
  }
}
