// Worker thread of the relay's own tiles: runs the relay's commands with the same src/sim code and
// reports back what they produced and where its entities are.
import { parentPort, workerData } from 'node:worker_threads';
import { initPhysics, loadKindsModule, standardKinds, type ReplicationConfig, type WorldConfig } from '../../src/index.js';
import { RelayTilesEngine, type RelayTilesCommand } from './relay-tiles.js';
import type { RelayTilesWorkerEvent, RelayTilesWorkerReply } from './thread-relay-tiles.js';

const data = workerData as { config: WorldConfig; replication: ReplicationConfig; startTick: number; kindsUrl: string | undefined };
const port = parentPort!;
let events: RelayTilesWorkerEvent[] = [];

async function start(): Promise<RelayTilesEngine> {
  const [registry] = await Promise.all([data.kindsUrl ? loadKindsModule(data.kindsUrl) : standardKinds(), initPhysics()]);
  return new RelayTilesEngine(
    { config: data.config, registry, replication: data.replication, startTick: data.startTick },
    {
      send: (to, message, reliable) => events.push({ e: 'send', to, message, reliable }),
      dropped: (reason) => events.push({ e: 'dropped', reason }),
      released: (tile, state) => events.push({ e: 'released', tile, state }),
      removeMissed: (id) => events.push({ e: 'removeMissed', id }),
      undelivered: (message) => events.push({ e: 'undelivered', message }),
    },
  );
}
const ready = start();
ready.then(
  () => port.postMessage({ ready: true } satisfies RelayTilesWorkerReply),
  (e: unknown) => port.postMessage({ failed: `relay tiles worker could not start: ${e instanceof Error ? e.message : String(e)}` } satisfies RelayTilesWorkerReply),
);

/** Digests last reported, per tile. */
const reported = new Map<string, string>();

port.on('message', ({ batch, commands }: { batch: number; commands: RelayTilesCommand[] }) => {
  void ready.then((engine) => {
    let changed = false;
    for (const cmd of commands) {
      changed ||= cmd.c !== 'step' && cmd.c !== 'cut' && cmd.c !== 'keyframeTo' && cmd.c !== 'fixed';
      engine.run(cmd, (id, cut) => events.push({ e: 'cut', id, cut }));
    }
    const stepped = engine.stepped;
    engine.stepped = 0;
    const out = events;
    events = [];
    // Every batch is answered (the relay keeps one step in flight); the view only when it changed.
    if (!changed && stepped === 0) {
      port.postMessage({ batch, events: out, view: undefined } satisfies RelayTilesWorkerReply);
      return;
    }
    const a = engine.authority;
    const poses: number[] = [];
    for (const sim of a.world.tileList()) {
      const t = sim.tile;
      sim.forEachTransform((id, _kind, p) => poses.push(id, t.x, t.y, t.z, p.x, p.y, p.z));
    }
    const digests: [string, number, string][] = [];
    for (const [key, d] of a.stateDigests) {
      const tag = `${d.tick}:${d.digest}`;
      if (reported.get(key) === tag) continue;
      reported.set(key, tag);
      digests.push([key, d.tick, d.digest]);
    }
    const entities = Float64Array.from(poses);
    const reply: RelayTilesWorkerReply = { batch, events: out, view: { batch, tick: a.tick, stepped, entities, digests } };
    port.postMessage(reply, [entities.buffer]);
  });
});
