import type SimplePeerClass from 'simple-peer';
import type { PeerId } from '../protocol/messages.js';
import type { Link } from './link.js';
import type { PeerConnection, PeerConnector } from './peer-connector.js';
// simple-peer's prebuilt bundle, not its package entry: the entry is written for browserify (it
// reads Node's `global` as it loads and needs Node's `process` and `events`), so a bundler would
// need an alias or Node polyfills for it; the bundle carries its own shims and loads as it is in
// browsers, bundlers and Node. It exports the same class, typed by @types/simple-peer's entry.
// @ts-expect-error -- the prebuilt bundle has no declarations of its own: typed just below.
import SimplePeerBundle from 'simple-peer/simplepeer.min.js';

const SimplePeer = SimplePeerBundle as typeof SimplePeerClass;

/** Options of the WebRTC connector. */
export interface WebRtcOptions {
  /** ICE servers; none by default, so nothing is contacted beyond the two peers. */
  readonly iceServers?: RTCIceServer[];
  /** Unreliable messages are dropped while this many bytes wait in the channel (back-pressure), default 64 KiB. */
  readonly maxBufferedBytes?: number;
  /** Passed to simple-peer (e.g. `wrtc` in Node). */
  readonly simplePeer?: Partial<SimplePeerClass.Options>;
}

// The negotiated id of the second, unreliable and unordered data channel both sides open.
const UNRELIABLE_CHANNEL_ID = 42;

/**
 * Direct connections over WebRTC data channels (simple-peer): one reliable ordered channel
 * (keyframes, inputs, migrations) and one unreliable unordered channel (state deltas),
 * signalled through the relay. `iceServers` default to none.
 */
export class WebRtcPeerConnector implements PeerConnector {
  constructor(private readonly opts: WebRtcOptions = {}) {}

  connect(_self: PeerId, _remote: PeerId, initiator: boolean, sendSignal: (data: string) => void): PeerConnection {
    const peer = new SimplePeer({ initiator, trickle: true, config: { iceServers: this.opts.iceServers ?? [] }, ...this.opts.simplePeer });
    const maxBuffered = this.opts.maxBufferedBytes ?? 64 * 1024;
    let unreliable: RTCDataChannel | undefined;
    let open = false;
    let closed = false;
    const link: Link = {
      get open() {
        return open && !closed;
      },
      onMessage: undefined,
      onClose: undefined,
      send(bytes, reliable) {
        if (!open || closed) return;
        try {
          if (!reliable && unreliable?.readyState === 'open') {
            if (unreliable.bufferedAmount > maxBuffered) return; // drop stale state rather than queue it
            unreliable.send(bytes as Uint8Array<ArrayBuffer>);
          } else peer.send(bytes);
        } catch {
          // A channel closing under us: the close event follows and ends the link.
        }
      },
      close() {
        if (closed) return;
        peer.destroy();
      },
    };
    const conn: PeerConnection = {
      link,
      signal: (data) => {
        if (!closed) peer.signal(JSON.parse(data) as SimplePeerClass.SignalData);
      },
      onOpen: undefined,
      destroy: () => link.close(),
    };
    peer.on('signal', (data) => sendSignal(JSON.stringify(data)));
    peer.on('connect', () => {
      const pc = (peer as unknown as { _pc: RTCPeerConnection })._pc;
      unreliable = pc.createDataChannel('tessera-unreliable', { negotiated: true, id: UNRELIABLE_CHANNEL_ID, ordered: false, maxRetransmits: 0 });
      unreliable.binaryType = 'arraybuffer';
      unreliable.onmessage = (ev: MessageEvent) => {
        if (ev.data instanceof ArrayBuffer) link.onMessage?.(new Uint8Array(ev.data));
      };
      open = true;
      conn.onOpen?.();
    });
    peer.on('data', (data: Uint8Array) => link.onMessage?.(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
    const end = (): void => {
      if (closed) return;
      closed = true;
      link.onClose?.();
    };
    peer.on('close', end);
    peer.on('error', end);
    return conn;
  }
}
