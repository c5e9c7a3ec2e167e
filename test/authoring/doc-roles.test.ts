import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DocSync, initPhysics, WorldDocument } from '../harness/imports.js';
import { Harness, withSeed } from '../harness/harness.js';
import type { DocRole } from '../../relay/doc/update-rules.js';

const EDGE = 16;

/** Two members of a world with the given roles (from their join tokens), each with a document in sync with the relay's. */
function world(seed: number, roles: readonly DocRole[]) {
  const h = new Harness({ seed, conditions: { delayMs: 10, jitterMs: 5, loss: 0 }, relay: { roleOf: (token) => (token.startsWith('role:') ? (token.slice(5) as DocRole) : 'player') } });
  const members = roles.map((role, i) => {
    const hc = h.addClient(`m${i}`, 'auto', { token: `role:${role}` });
    const doc = new WorldDocument(EDGE, seed * 10 + i + 1);
    const sync = new DocSync(doc);
    hc.client.on('joined', () => sync.attach(hc.client));
    return { hc, doc };
  });
  return { h, members };
}

const refusals = (h: Harness): string[] => h.logs.filter((l) => l['msg'] === 'refused' && l['kind'] === 'document').map((l) => String(l['reason']));

describe('document write rules: roles from the join token', () => {
  it('a creator edits the layout; a player and a viewer cannot, and the relay keeps their edits out of the world', () =>
    withSeed(61, async () => {
      await initPhysics();
      const { h, members } = world(61, ['creator', 'player', 'viewer']);
      expect(h.runUntil(() => members.every((m) => m.hc.client.joined), 3000)).toBeGreaterThanOrEqual(0);
      h.run(300);
      const [creator, player, viewer] = members;
      const ok = creator!.doc.layout.place({ kind: 'box', position: { x: 5, y: 1.3, z: 5 }, yaw: 0, color: '#ff0000' });
      h.run(500);
      expect(h.relay.doc.layout.get(ok)).toBeDefined();
      const before = refusals(h).length;
      const bad = player!.doc.layout.place({ kind: 'ramp', position: { x: 6, y: 1.3, z: 6 }, yaw: 0, color: '#00ff00' });
      viewer!.doc.layout.remove(ok);
      h.run(500);
      expect(h.relay.doc.layout.get(bad)).toBeUndefined();
      expect(h.relay.doc.layout.get(ok)).toBeDefined();
      const why = refusals(h).slice(before);
      expect(why.some((r) => /a player may not edit the world's layout/.test(r))).toBe(true);
      expect(why.some((r) => /a viewer may not edit the world's layout/.test(r))).toBe(true);
      h.relay.close();
    }));

  it('a player writes its own profile and chat lines, not another client’s', () =>
    withSeed(62, async () => {
      await initPhysics();
      const { h, members } = world(62, ['player', 'player']);
      expect(h.runUntil(() => members.every((m) => m.hc.client.joined), 3000)).toBeGreaterThanOrEqual(0);
      h.run(300);
      const [a, b] = members;
      a!.doc.social.say('hello');
      h.run(400);
      expect(h.relay.doc.doc.getArray('chat').toArray()).toHaveLength(1);
      const before = refusals(h).length;
      // A forged line in b's name, and b's profile overwritten, written by a's document.
      a!.doc.doc.transact(() => {
        a!.doc.doc.getArray('chat').push([{ from: b!.doc.doc.clientID, name: 'b', color: '#ffffff', text: 'I owe a 1000 gold', at: 0 }]);
      });
      h.run(400);
      a!.doc.doc.transact(() => a!.doc.doc.getMap('players').set(String(b!.doc.doc.clientID), { name: 'loser', color: '#000000' }));
      h.run(400);
      const chat = h.relay.doc.doc.getArray('chat').toArray() as { text: string }[];
      expect(chat.map((l) => l.text)).toEqual(['hello']);
      expect(h.relay.doc.doc.getMap('players').get(String(b!.doc.doc.clientID))).toBeUndefined();
      const why = refusals(h).slice(before);
      expect(why.some((r) => /chat line in the name of client/.test(r))).toBe(true);
      expect(why.some((r) => /profile written under client/.test(r))).toBe(true);
      void Y;
      h.relay.close();
    }));
});
