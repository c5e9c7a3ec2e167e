import type { PeerId } from '../protocol/messages.js';
import type { Link } from './link.js';

/** One direct connection to a peer in the making; signalling data travels through the relay. */
export interface PeerConnection {
  /** The link, usable once `onOpen` fired. */
  readonly link: Link;
  /** Feeds signalling data received from the remote peer. */
  signal(data: string): void;
  /** Called once when the direct path is open. */
  onOpen: (() => void) | undefined;
  /** Tears the connection down. */
  destroy(): void;
}

/** Makes direct peer connections (WebRTC in browsers, in-memory pipes in tests). */
export interface PeerConnector {
  /** Starts a connection to `remote`; `sendSignal` carries signalling data to it through the relay. */
  connect(self: PeerId, remote: PeerId, initiator: boolean, sendSignal: (data: string) => void): PeerConnection;
}
