import type { PeerId } from '../protocol/messages.js';
import type { Link } from './link.js';
import type { MemoryNetwork } from './memory-network.js';
import type { PeerConnection, PeerConnector } from './peer-connector.js';

/**
 * Direct connections over a `MemoryNetwork`, set up through the real signalling path: the
 * initiator's offer names a pipe, the answer opens it. `blocked` pairs never connect (to test
 * the fallback path).
 */
export class MemoryPeerConnector implements PeerConnector {
  private readonly pipes = new Map<string, [Link, Link]>();
  private nextPipe = 1;
  constructor(
    private readonly net: MemoryNetwork,
    private readonly blocked: (a: PeerId, b: PeerId) => boolean = () => false,
    /** Extra one-way delay of a peer's access link, ms: a direct path costs both ends' delays. */
    private readonly accessDelayMs: (peer: PeerId) => number = () => 0,
    /** Until when the direct path between two peers is partitioned (virtual ms; read at every send). */
    private readonly cutUntil: (a: PeerId, b: PeerId) => number = () => -1,
  ) {}

  connect(self: PeerId, remote: PeerId, initiator: boolean, sendSignal: (data: string) => void): PeerConnection {
    let link: Link | undefined;
    let side: 0 | 1 = 0;
    let pipeId = '';
    const conn: PeerConnection & { opened: boolean } = {
      opened: false,
      get link(): Link {
        return link!;
      },
      signal: (data: string) => {
        const msg = JSON.parse(data) as { kind: 'offer' | 'answer'; pipe: string };
        if (this.blocked(self, remote)) return;
        if (msg.kind === 'offer' && !initiator) {
          pipeId = msg.pipe;
          const pair = this.pipes.get(pipeId);
          if (!pair) return;
          link = pair[1];
          side = 1;
          sendSignal(JSON.stringify({ kind: 'answer', pipe: pipeId }));
          open();
        } else if (msg.kind === 'answer' && initiator && msg.pipe === pipeId) {
          open();
        }
      },
      onOpen: undefined,
      destroy: () => {
        link?.close();
        this.pipes.delete(pipeId);
      },
    };
    const open = (): void => {
      if (conn.opened) return;
      conn.opened = true;
      void side;
      conn.onOpen?.();
    };
    if (initiator) {
      pipeId = `${self}-${remote}-${this.nextPipe++}`;
      // Read at every send: a peer's delay may be learnt only after the pipe exists.
      const pair = this.net.pair(
        () => this.accessDelayMs(self) + this.accessDelayMs(remote),
        () => this.cutUntil(self, remote),
      );
      this.pipes.set(pipeId, pair);
      link = pair[0];
      if (!this.blocked(self, remote)) sendSignal(JSON.stringify({ kind: 'offer', pipe: pipeId }));
    }
    return conn;
  }
}
