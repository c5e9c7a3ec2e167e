/**
 * A message link to one other node: a WebSocket to the relay, a WebRTC data channel pair to a
 * peer, or an in-memory pipe in tests. Messages are whole byte arrays. `reliable: false` may
 * drop or reorder (used for state deltas); `reliable: true` delivers in order or closes.
 */
export interface Link {
  /** Sends one message. Sending on a closed link does nothing. */
  send(bytes: Uint8Array, reliable: boolean): void;
  /** Closes the link; `onClose` fires once. */
  close(): void;
  /** Called for every message received. */
  onMessage: ((bytes: Uint8Array) => void) | undefined;
  /** Called once when the link closes, from either side. */
  onClose: (() => void) | undefined;
  /** False once closed. */
  readonly open: boolean;
}
