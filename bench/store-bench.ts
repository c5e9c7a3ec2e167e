// The relay's store: how long a killed relay takes to serve its world again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { benchScene, standardKinds, templateFromJson, TileWorld, WorldLayout, type ObjectSpec } from '../src/index.js';
import { ed25519Signer } from '../relay/lease-signer.js';
import { RelayCore } from '../relay/relay-core.js';
import { WorldStore } from '../relay/store/world-store.js';

/**
 * A world of `entities` bodies — a tenth of them authored objects from a template, plus 200
 * creators' edits in its document — is checkpointed to a fresh store; then, as after a
 * `kill -9`, the store is opened, the tiles and the document loaded, the relay's world rebuilt
 * (edits newer than the checkpoint re-applied) and stepped once: seconds taken (the process's
 * own start-up is not included), and the store's size.
 */
export function restartRecovery(entities: number): { seconds: number; storeBytes: number; restoredEntities: number } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-store-'));
  const registry = standardKinds();
  const authored = Math.floor(entities / 10);
  const scene = benchScene('scattered', entities - authored, 256);
  // Template objects stand 3 m above scene bodies, so they fall in the scene's tiles.
  const objects: ObjectSpec[] = scene.entities.slice(0, authored).map((e, i) => ({ kind: i % 2 === 0 ? 'cannon' : 'box', position: { x: e.state.position.x, y: e.state.position.y + 3, z: e.state.position.z } }));
  const template = templateFromJson({ format: 'tessera-template@1', objects }, 256);
  const seeded = new RelayCore({ world: 'bench', scene, registry, now: () => 0, signer: ed25519Signer(), log: () => {}, checkToken: () => undefined, document: { template, updates: [] } });
  const world = TileWorld.fromScene({ ...scene, entities: seeded.ownWorld.describeAll() }, registry);
  const applied = seeded.doc.appliedObjects();
  seeded.close();
  for (let i = 0; i < 30; i++) world.step();
  const first = new WorldStore(join(dir, 'tessera.db'));
  first.createWorld('bench', template);
  // 200 edits after the checkpoint's objects: moves and recolours of template objects.
  const doc = new Y.Doc();
  Y.applyUpdate(doc, template);
  doc.on('update', (u: Uint8Array) => first.appendUpdate('bench', u));
  const layout = new WorldLayout(doc, 256);
  for (let i = 0; i < 200; i++) {
    const o = layout.get(`tpl-${i * 3}`)!;
    if (i % 2 === 0) layout.move(o.key, { ...o.position, y: o.position.y + 1 });
    else layout.configure(o.key, { color: '#ff0000' });
  }
  doc.destroy();
  first.save('bench', world.tileList().map((sim) => ({ tile: sim.tile, tick: sim.tick, snapshot: sim.snapshot() })), Date.now(), applied);
  const storeBytes = first.sizeBytes;
  first.close();
  world.dispose();

  const t0 = performance.now();
  const store = new WorldStore(join(dir, 'tessera.db'));
  const initialTiles = store.load('bench');
  const document = store.loadDocument('bench')!;
  const relay = new RelayCore({ world: 'bench', scene, registry, now: () => performance.now(), signer: ed25519Signer(), log: () => {}, checkToken: () => undefined, initialTiles, document });
  relay.tick();
  const seconds = (performance.now() - t0) / 1000;
  const restoredEntities = relay.relayEntityCount();
  relay.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { seconds, storeBytes, restoredEntities };
}
