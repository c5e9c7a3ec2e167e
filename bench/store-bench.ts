// The relay's store: how long a killed relay takes to serve its world again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchScene, standardKinds, TileWorld } from '../src/index.js';
import { ed25519Signer } from '../relay/lease-signer.js';
import { RelayCore } from '../relay/relay-core.js';
import { WorldStore } from '../relay/store/world-store.js';

/**
 * A world of `entities` bodies is checkpointed to a fresh store; then, as after a `kill -9`,
 * the store is opened, loaded and the relay's world rebuilt and stepped once: seconds taken
 * (the process's own start-up is not included), and the store's size.
 */
export function restartRecovery(entities: number): { seconds: number; storeBytes: number; restoredEntities: number } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-store-'));
  const registry = standardKinds();
  const scene = benchScene('scattered', entities, 256);
  const world = TileWorld.fromScene(scene, registry);
  for (let i = 0; i < 30; i++) world.step();
  const first = new WorldStore(join(dir, 'tessera.db'));
  first.save('bench', world.tileList().map((sim) => ({ tile: sim.tile, tick: sim.tick, snapshot: sim.snapshot() })), Date.now());
  const storeBytes = first.sizeBytes;
  first.close();
  world.dispose();

  const t0 = performance.now();
  const store = new WorldStore(join(dir, 'tessera.db'));
  const initialTiles = store.load('bench');
  const relay = new RelayCore({ world: 'bench', scene, registry, now: () => performance.now(), signer: ed25519Signer(), log: () => {}, checkToken: () => undefined, initialTiles });
  relay.tick();
  const seconds = (performance.now() - t0) / 1000;
  const restoredEntities = relay.relayEntityCount();
  relay.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { seconds, storeBytes, restoredEntities };
}
