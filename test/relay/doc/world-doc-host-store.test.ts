import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { writeUpdate } from 'y-protocols/sync';
import { MsgType, standardKinds, WorldLayout, type Message, type PeerId } from '../../../src/index.js';
import { WorldDocHost } from '../../../relay/doc/world-doc-host.js';

const EDGE = 16;

/** A creator's edits, one update each, as the sync messages that carry them. */
function edits(n: number, raw: Uint8Array[] = []): Message[] {
  const doc = new Y.Doc();
  const out: Message[] = [];
  doc.on('update', (u: Uint8Array) => {
    raw.push(u);
    const e = encoding.createEncoder();
    writeUpdate(e, u);
    out.push({ type: MsgType.DocSync, payload: encoding.toUint8Array(e) });
  });
  const layout = new WorldLayout(doc, EDGE);
  for (let i = 0; i < n; i++) layout.place({ kind: 'box', position: { x: i, y: 2, z: 3 } });
  doc.destroy();
  return out;
}

describe('document host: an update the store could not take', () => {
  it('is not acknowledged nor sent on until the store takes it (first, in order) at a later tick; then it is, and the document keeps working', () => {
    let failing = true;
    const stored: Uint8Array[] = [];
    const sent: { peer: PeerId; type: number }[] = [];
    const refusals: string[] = [];
    const failures: (string | undefined)[] = [];
    const host = new WorldDocHost(standardKinds(), EDGE, undefined, {
      place: () => undefined,
      remove: () => undefined,
      send: (peer, m) => sent.push({ peer, type: m.type }),
      peers: () => [1, 2],
      persist: (u) => {
        if (failing) throw new Error('Redis world store: no answer within 1000 ms');
        stored.push(u);
      },
      storeFailed: (reason) => failures.push(reason),
      refuse: (_, reason) => refusals.push(reason),
    });
    const raw: Uint8Array[] = [];
    const [a, b, c] = edits(3, raw);
    host.onMessage(1, a!);
    host.onMessage(1, b!);
    expect(sent).toEqual([]); // no ack to 1, nothing to 2
    expect(refusals).toEqual(['document update not stored, not acknowledged: Redis world store: no answer within 1000 ms', 'document update not stored, not acknowledged: Redis world store: no answer within 1000 ms']);
    expect(failures).toEqual(['Redis world store: no answer within 1000 ms']);
    host.tick(); // still failing: nothing changes
    expect(stored).toEqual([]);
    failing = false;
    host.tick();
    // Both, in order, then sent to the other player (then the relay's own update: the new objects' entity ids).
    expect(stored.slice(0, 2)).toEqual(raw.slice(0, 2));
    expect(sent.slice(0, 2)).toEqual([{ peer: 2, type: MsgType.DocSync }, { peer: 2, type: MsgType.DocSync }]);
    // …and only then is their sender acknowledged.
    expect(sent.filter((m) => m.type === MsgType.DocAck)).toEqual([{ peer: 1, type: MsgType.DocAck }]);
    expect(sent.at(-1)).toEqual({ peer: 1, type: MsgType.DocAck });
    const before = stored.length;
    expect(failures).toEqual(['Redis world store: no answer within 1000 ms', undefined]);
    sent.length = 0;
    host.onMessage(1, c!); // the document still hears updates: stored, sent on, acknowledged
    expect(stored.length).toBeGreaterThan(before);
    expect(sent[0]).toEqual({ peer: 2, type: MsgType.DocSync });
    expect(sent.at(-1)).toEqual({ peer: 1, type: MsgType.DocAck });
    const doc = new Y.Doc();
    for (const u of stored) Y.applyUpdate(doc, u);
    expect(new WorldLayout(doc, EDGE).objects()).toHaveLength(3);
    host.destroy();
  });
});
