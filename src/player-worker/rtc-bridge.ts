import type { Link } from '../net/link.js';
import type { PeerConnection, PeerConnector } from '../net/peer-connector.js';
import type { PageToWorker, WorkerToPage } from './protocol.js';

type RtcRequest = Extract<WorkerToPage, { t: 'rtc-connect' | 'rtc-signal-in' | 'rtc-send' | 'rtc-destroy' }>;

/**
 * The page side of a worker's direct peer connections: makes the real WebRTC connections
 * (workers have no `RTCPeerConnection`) and moves their bytes to and from the worker, transferred.
 * This is all the page does for the network: no decoding, no simulation.
 */
export class RtcBridge {
  private readonly conns = new Map<number, PeerConnection>();
  /** The (wrapped) link of each connection, made once. */
  private readonly links = new Map<number, () => Link>();

  constructor(
    private readonly connector: PeerConnector,
    private readonly post: (m: PageToWorker, transfer?: Transferable[]) => void,
    /** Wraps a direct link (e.g. simulated network trouble); identity by default. */
    private readonly wrap: (l: Link) => Link = (l) => l,
  ) {}

  /** Handles a WebRTC request from the worker (`rtc-connect`, `rtc-signal-in`, `rtc-send`, `rtc-destroy`) on the page's real connections. */
  onWorker(m: RtcRequest): void {
    switch (m.t) {
      case 'rtc-connect': {
        const id = m.conn;
        const conn = this.connector.connect(m.self, m.remote, m.initiator, (data) => this.post({ t: 'rtc-signal-out', conn: id, data }));
        this.conns.set(id, conn);
        let link: Link | undefined;
        const attach = (): Link => {
          if (link) return link;
          link = this.wrap(conn.link);
          link.onMessage = (bytes) => {
            const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
            this.post({ t: 'rtc-data', conn: id, bytes: copy }, [copy.buffer as ArrayBuffer]);
          };
          link.onClose = () => {
            this.conns.delete(id);
            this.post({ t: 'rtc-closed', conn: id });
          };
          return link;
        };
        this.links.set(id, attach);
        attach();
        conn.onOpen = () => {
          attach();
          this.post({ t: 'rtc-open', conn: id });
        };
        return;
      }
      case 'rtc-signal-in':
        this.conns.get(m.conn)?.signal(m.data);
        return;
      case 'rtc-send':
        this.links.get(m.conn)?.().send(m.bytes, m.reliable);
        return;
      case 'rtc-destroy':
        this.conns.get(m.conn)?.destroy();
        this.conns.delete(m.conn);
        this.links.delete(m.conn);
        return;
    }
  }

  /** Closes every connection (the page leaves). */
  closeAll(): void {
    for (const c of this.conns.values()) c.destroy();
    this.conns.clear();
    this.links.clear();
  }
}
