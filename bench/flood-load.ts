// The attackers of the flood bench, in a process of their own (so that they do not share an
// event loop with the honest player whose latency is measured):
// - `chunkFlooders` connections that never say hello and send chunks of a big message,
//   `chunksPerConnection` of 48 KiB each as fast as their sockets take them (more would only
//   wait in a socket the relay no longer reads); each comes back `reconnectMs` after the relay
//   closes it;
// - `silent` connections that open a second later and never send anything (they fill the
//   unjoined slots);
// - one joined player that floods bytes (at most `byteFloodBytesPerSecond`): chunk streams of
//   an 8 MiB fake keyframe and junk frames, coming back (and joining again) whenever the relay
//   closes it.
// Usage: tsx bench/flood-load.ts '<json options>'; prints "ready", starts when it reads a line
// on stdin, prints "flooding", and one JSON line of counts when it receives SIGTERM (or
// `durationMs` after it started).
import { WebSocket } from 'ws';
// The protocol module alone: this process starts fast.
import { CHUNK_BYTES, encodeMessage, MsgType, PROTOCOL_VERSION } from '../src/protocol/messages.js';

export interface FloodLoadOptions {
  readonly url: string;
  readonly world: string;
  readonly chunkFlooders: number;
  readonly silent: number;
  readonly byteFlooder: boolean;
  readonly reconnectMs: number;
  readonly durationMs: number;
  /** Chunks each chunk flooder sends per connection (default 43: 2 MiB). */
  readonly chunksPerConnection?: number;
  /** The byte flooder's rate, bytes/s (default: as fast as the relay reads). */
  readonly byteFloodBytesPerSecond?: number;
}

/** What the attackers did. */
export interface FloodLoadCounts {
  connectionsOpened: number;
  closedByRelay: number;
  bytesSent: number;
  joins: number;
}

const EDGE = 16;
const counts: FloodLoadCounts = { connectionsOpened: 0, closedByRelay: 0, bytesSent: 0, joins: 0 };
let stopping = false;
const sockets = new Set<WebSocket>();

/**
 * Sends frames from `next()` while the socket takes them (at most `highWater` queued) and the
 * rate allows (`bytesPerSecond`), until `next` has none.
 */
function pump(ws: WebSocket, next: () => Uint8Array | undefined, highWater = 1024 * 1024, bytesPerSecond = Number.POSITIVE_INFINITY): void {
  let allowance = 0;
  let last = performance.now();
  const go = (): void => {
    if (stopping || ws.readyState !== WebSocket.OPEN) return;
    const now = performance.now();
    allowance = Math.min(bytesPerSecond, allowance + ((now - last) * bytesPerSecond) / 1000);
    last = now;
    for (let i = 0; i < 64 && ws.bufferedAmount < highWater && allowance > 0; i++) {
      const f = next();
      if (!f) return;
      counts.bytesSent += f.length;
      allowance -= f.length;
      ws.send(f);
    }
    setTimeout(go, ws.bufferedAmount < highWater && allowance > 0 ? 0 : 5);
  };
  go();
}

function open(opts: FloodLoadOptions, onOpen: (ws: WebSocket) => void): void {
  if (stopping) return;
  const ws = new WebSocket(opts.url, { perMessageDeflate: false });
  sockets.add(ws);
  ws.on('open', () => {
    counts.connectionsOpened++;
    onOpen(ws);
  });
  ws.on('error', () => {});
  ws.on('close', () => {
    sockets.delete(ws);
    if (stopping) return;
    counts.closedByRelay++;
    setTimeout(() => open(opts, onOpen), opts.reconnectMs);
  });
}

function chunkFlooder(opts: FloodLoadOptions, n: number): void {
  const part = new Uint8Array(CHUNK_BYTES);
  part[0] = MsgType.Keyframe;
  let id = n * 1_000_000;
  open(opts, (ws) => {
    let index = 0;
    const streamId = id++;
    pump(ws, () => (index < (opts.chunksPerConnection ?? 43) ? encodeMessage({ type: MsgType.Chunk, id: streamId, index: index++, count: 171, part }, EDGE) : undefined));
  });
}

function byteFlooder(opts: FloodLoadOptions): void {
  const part = new Uint8Array(CHUNK_BYTES);
  part[0] = MsgType.Keyframe;
  const junk = new Uint8Array(60 * 1024).fill(0xfe);
  let id = 1;
  open(opts, (ws) => {
    let flooding = false;
    ws.on('message', (data: Buffer) => {
      if (flooding || data[0] !== MsgType.Welcome) return;
      flooding = true;
      counts.joins++;
      // Chunk streams of an 8 MiB "keyframe" (refused as stale once reassembled), then junk; over and over.
      let index = 0;
      let stream = id++;
      let frame = 0;
      pump(ws, () => {
        frame++;
        if (frame % 4 === 0) return junk;
        const f = encodeMessage({ type: MsgType.Chunk, id: stream, index, count: 171, part }, EDGE);
        if (++index === 171) {
          index = 0;
          stream = id++;
        }
        return f;
      }, 4 * 1024 * 1024, opts.byteFloodBytesPerSecond);
    });
    ws.send(encodeMessage({ type: MsgType.Hello, version: PROTOCOL_VERSION, world: opts.world, name: 'byte-flooder', token: '' }, EDGE));
  });
}

function finish(): void {
  if (stopping) return;
  stopping = true;
  for (const ws of sockets) ws.terminate();
  process.stdout.write(`${JSON.stringify(counts)}\n`, () => process.exit(0));
}

const opts = JSON.parse(process.argv[2] ?? '{}') as FloodLoadOptions;
process.on('SIGTERM', finish);
process.stdin.once('data', () => {
  process.stdin.pause();
  for (let i = 0; i < opts.chunkFlooders; i++) chunkFlooder(opts, i + 1);
  setTimeout(() => {
    for (let i = 0; i < opts.silent; i++) open(opts, () => {});
  }, 1000);
  if (opts.byteFlooder) byteFlooder(opts);
  process.stdout.write('flooding\n');
  setTimeout(finish, opts.durationMs).unref();
});
process.stdout.write('ready\n');
