// The world document: how long an edit in one player's client takes to reach another's, over
// a real relay (WebSockets on loopback): into the other's document, and into its simulation view.
import * as Y from 'yjs';
import { WebSocket } from 'ws';
import { joinWorld, standardKinds, templateFromJson, WorldDocument, type TemplateJson, type WebSocketConstructor, type WorldHandle } from '../src/index.js';
import { WorldDocHost } from '../relay/doc/world-doc-host.js';
import { startRelay } from '../relay/server.js';

export interface EditLatency {
  readonly edits: number;
  /** Edit → the other player's document has it, ms. */
  readonly docP50Ms: number;
  readonly docP99Ms: number;
  /** Placement → the other player sees the object's entity, ms. */
  readonly entityP50Ms: number;
  readonly entityP99Ms: number;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

/** `edits` edits (places, moves, recolours) by one player, each waited for at the other. */
export async function editLatency(edits: number): Promise<EditLatency> {
  const relay = await startRelay({ port: 0, log: () => {}, auditThread: false });
  const join = (name: string): Promise<WorldHandle> => joinWorld({ relay: relay.url, world: 'demo', name, transport: 'relay', webSocket: WebSocket as unknown as WebSocketConstructor });
  const a = await join('editor');
  const b = await join('watcher');
  const doc: number[] = [];
  const entity: number[] = [];
  const until = (done: () => boolean): Promise<number> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const poll = (): void => {
        if (done()) return resolve(performance.now() - t0);
        if (performance.now() - t0 > 5000) return reject(new Error('edit not seen within 5 s'));
        setImmediate(poll);
      };
      poll();
    });
  try {
    await until(() => b.world.social.online().length === 2);
    const keys: string[] = [];
    for (let i = 0; i < edits; i++) {
      const kind = i % 3;
      if (kind === 0 || keys.length === 0) {
        const key = a.world.layout.place({ kind: i % 2 === 0 ? 'ramp' : 'cannon', position: { x: 2 + ((i * 1.7) % 44), y: 1.4, z: 2 + ((i * 2.9) % 44) } });
        keys.push(key);
        doc.push(await until(() => b.world.layout.get(key) !== undefined));
        const rest = await until(() => {
          const id = b.world.layout.get(key)?.entity;
          return id !== undefined && b.client.entities().some((e) => e.id === id);
        });
        entity.push(doc[doc.length - 1]! + rest);
      } else if (kind === 1) {
        const key = keys[i % keys.length]!;
        const x = 2 + ((i * 3.3) % 44);
        a.world.layout.move(key, { x, y: 1.4, z: 10 });
        doc.push(await until(() => b.world.layout.get(key)?.position.x === x));
      } else {
        const key = keys[i % keys.length]!;
        const color = `#${(i * 2654435761 % 0xffffff).toString(16).padStart(6, '0')}`;
        a.world.layout.configure(key, { color });
        doc.push(await until(() => b.world.layout.get(key)?.color === color));
      }
      await new Promise((r) => setTimeout(r, 10 + (i % 3) * 7));
    }
  } finally {
    a.leave();
    b.leave();
    await relay.close();
  }
  return { edits, docP50Ms: quantile(doc, 0.5), docP99Ms: quantile(doc, 0.99), entityP50Ms: quantile(entity, 0.5), entityP99Ms: quantile(entity, 0.99) };
}

export interface RelayEditCost {
  readonly objects: number;
  readonly edits: number;
  /** One player's edit at the relay: applied to its document and turned into spawns / despawns, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * The relay's cost of one edit in a world of `objects` authored objects (from a template): the
 * real `WorldDocHost` applying a player's update and running its tick (which turns the layout
 * change into a spawn or despawn). Placements and moves alternate.
 */
export function relayEditCost(objects: number, edits: number): RelayEditCost {
  const json: TemplateJson = {
    format: 'tessera-template@1',
    objects: Array.from({ length: objects }, (_, i) => ({ kind: i % 2 ? 'ramp' : 'cannon', position: { x: 1 + (i % 300) * 1.5, y: 1.4, z: 1 + Math.floor(i / 300) * 1.5 } })),
  };
  const host = new WorldDocHost(standardKinds(), 16, { template: templateFromJson(json, 16), updates: [] }, { place: () => {}, remove: () => {}, send: () => {}, peers: () => [1], persist: () => {}, refuse: () => {} });
  host.reconcile(new Set());
  const player = new WorldDocument(16, 4242);
  Y.applyUpdate(player.doc, Y.encodeStateAsUpdate(host.doc));
  const keys = player.layout.objects().map((o) => o.key);
  const times: number[] = [];
  try {
    for (let i = 0; i < edits; i++) {
      const before = Y.encodeStateVector(player.doc);
      if (i % 2) player.layout.place({ kind: 'box', position: { x: 5 + (i % 40), y: 2, z: 5 } });
      else {
        const o = player.layout.get(keys[(i * 7919) % keys.length]!)!;
        player.layout.move(o.key, { x: o.position.x + 0.25, y: o.position.y, z: o.position.z });
      }
      const update = Y.encodeStateAsUpdate(player.doc, before);
      const t0 = performance.now();
      Y.applyUpdate(host.doc, update, 1);
      host.tick();
      times.push(performance.now() - t0);
    }
  } finally {
    player.destroy();
    host.destroy();
  }
  return { objects, edits, p50Ms: quantile(times, 0.5), p99Ms: quantile(times, 0.99) };
}
