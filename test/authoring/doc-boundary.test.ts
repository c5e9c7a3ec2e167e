import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { writeUpdate } from 'y-protocols/sync';
import { encodeAwarenessUpdate, Awareness } from 'y-protocols/awareness';
import { DocSync, ENTITY_IDS_ROOT, initPhysics, MsgType, RELAY_PEER, WorldDocument } from '../harness/imports.js';
import { Harness, withSeed } from '../harness/harness.js';

const updateMessage = (update: Uint8Array): Uint8Array => {
  const e = encoding.createEncoder();
  writeUpdate(e, update);
  return encoding.toUint8Array(e);
};

describe('document messages at the trust boundary', () => {
  it('the relay refuses malformed, oversized and id-forging updates and spoofed presence, logs why, and keeps serving', () =>
    withSeed(3, async (seed) => {
      await initPhysics();
      const h = new Harness({ seed });
      const honest = h.addClient('honest');
      const rogue = h.addClient('rogue');
      const world = new WorldDocument(16, 501);
      world.social.setProfile({ name: 'honest', color: '#123456' });
      const sync = new DocSync(world);
      honest.client.on('joined', () => sync.attach(honest.client));
      const rogueSync = new DocSync(new WorldDocument(16, 502));
      rogue.client.on('joined', () => rogueSync.attach(rogue.client));
      expect(h.runUntil(() => honest.client.joined && rogue.client.joined, 2000)).toBeGreaterThanOrEqual(0);
      const key = world.layout.place({ kind: 'ramp', position: { x: 8, y: 1.3, z: 8 } });
      expect(h.runUntil(() => sync.acknowledged && world.layout.get(key)?.entity !== undefined, 2000)).toBeGreaterThanOrEqual(0);
      const entity = world.layout.get(key)!.entity!;
      const refusals = (): string[] => h.logs.filter((l) => l['msg'] === 'refused' && l['kind'] === 'document').map((l) => String(l['reason']));

      // 1. Garbage where an update should be.
      rogue.client.sendDoc(RELAY_PEER, { type: MsgType.DocSync, payload: updateMessage(new Uint8Array([1, 2, 3, 250, 251, 252, 253])) });
      // 2. An update over the size limit (a 1.1 MB chat line).
      const big = new Y.Doc();
      big.getArray('chat').push(['x'.repeat(1_100_000)]);
      rogue.client.sendDoc(RELAY_PEER, { type: MsgType.DocSync, payload: updateMessage(Y.encodeStateAsUpdate(big)) });
      // 3. A forged entity id: the rogue syncs the document, then points the ramp at another entity.
      const forger = new Y.Doc();
      Y.applyUpdate(forger, Y.encodeStateAsUpdate(h.relay.doc.doc));
      const before = Y.encodeStateVector(forger);
      forger.getMap(ENTITY_IDS_ROOT).set(key, 102);
      rogue.client.sendDoc(RELAY_PEER, { type: MsgType.DocSync, payload: updateMessage(Y.encodeStateAsUpdate(forger, before)) });
      // 4. Presence speaking for the honest player's client id.
      const fake = new Awareness(new Y.Doc());
      fake.clientID = world.doc.clientID;
      fake.setLocalState({ name: 'honest (not really)', color: '#000000' });
      rogue.client.sendDoc(RELAY_PEER, { type: MsgType.Presence, payload: encodeAwarenessUpdate(fake, [fake.clientID]) });
      fake.destroy();
      h.run(500);

      const reasons = refusals();
      expect(reasons.some((r) => r.startsWith('malformed document update'))).toBe(true);
      // Too big: refused by the document host, or earlier, by the relay's cap on a chunked document message.
      const chunkRefusals = h.logs.filter((l) => l['msg'] === 'refused' && l['kind'] === 'chunk').map((l) => String(l['reason']));
      expect(reasons.some((r) => r.includes('at most 1048576')) || chunkRefusals.some((r) => /type 30 .* over its \d+-byte cap/.test(r))).toBe(true);
      expect(reasons.some((r) => r.includes('changed entity ids'))).toBe(true);
      expect(reasons.some((r) => r.includes(`presence of client ${world.doc.clientID}`))).toBe(true);
      // The sender is told why (what the demo's editor shows).
      expect(rogueSync.refused).toBeGreaterThanOrEqual(3);
      expect(rogueSync.lastRefusal).toMatch(/^the relay refused an edit: /);
      expect(sync.refused).toBe(0);
      // Nothing changed for the honest player: its object keeps its entity, its name is its own.
      expect(world.layout.get(key)!.entity).toBe(entity);
      expect(h.relay.doc.layout.get(key)!.entity).toBe(entity);
      expect(world.social.online().find((p) => p.client === world.doc.clientID)!.name).toBe('honest');
      expect(h.relay.doc.awareness.getStates().get(world.doc.clientID)?.['name']).toBe('honest');
      // …and the relay still serves edits.
      world.layout.move(key, { x: 9, y: 1.3, z: 8 });
      expect(h.runUntil(() => sync.acknowledged && h.relay.doc.layout.get(key)!.position.x === 9, 2000)).toBeGreaterThanOrEqual(0);
      sync.close();
      world.destroy();
      h.relay.close();
    }));
});
