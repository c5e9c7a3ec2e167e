// The same world as the swarm's, played by real clients (full `WorldClient`s stepping their
// tiles) in the seeded harness: what each player sends the relay and receives from it, by
// message type. The swarm's model is checked against it (test/bench/swarm-model.test.ts).
import { MsgType, type Link } from '../../src/index.js';
import { Harness } from '../../test/harness/harness.js';
import { swarmLayout, swarmScene, WorldModel } from './world-model.js';
import { resolveWorldConfig } from '../../src/index.js';

/** Per player per second, by message type name: messages and bytes. */
export type TrafficByType = Record<string, { msgs: number; bytes: number }>;

const NAMES = Object.fromEntries(Object.entries(MsgType).map(([k, v]) => [v, k])) as Record<number, string>;

/**
 * Runs `n` real clients on the swarm's world (their avatars start where the swarm's do and turn
 * by keyboard inputs twice a second along the same circles) and measures their relay links over
 * `measureS` virtual seconds after the same ramp and warm-up as the swarm.
 */
export function harnessTraffic(n: number, measureS: number, speed = 0, seed = 7): { up: TrafficByType; down: TrafficByType } {
  const layout = swarmLayout(n, 4, 0.25, speed);
  const scene = swarmScene(layout);
  const model = new WorldModel(layout, resolveWorldConfig(scene.config));
  let h: Harness | undefined;
  // The relay reads its spawn point at each hello: each player's is its walk's start (minus the relay's own offset by peer id).
  const next = (): { x: number; y: number; z: number } => {
    // Read during the hello, once the new player is counted.
    const i = Math.max(0, (h?.relay.peerCount ?? 1) - 1);
    const k = i % 8;
    const at = model.position(i, 0);
    return { x: at.x - ((k % 4) * 1.2 - 1.8 + Math.floor(k / 4) * 0.6), y: 1.81, z: at.z - ((k % 4) * 1.5 - 2.25) };
  };
  const spawn = {
    get x() {
      return next().x;
    },
    get y() {
      return 1.81;
    },
    get z() {
      return next().z;
    },
  };
  h = new Harness({ seed, scene, relay: { spawn, maxPeers: n + 4 }, conditions: { delayMs: 8, jitterMs: 2, loss: 0 } });
  const counts = { up: {} as TrafficByType, down: {} as TrafficByType };
  let measuring = false;
  const count = (dir: 'up' | 'down', b: Uint8Array): void => {
    if (!measuring) return;
    const e = (counts[dir][NAMES[b[0]!] ?? String(b[0])] ??= { msgs: 0, bytes: 0 });
    e.msgs++;
    e.bytes += b.length;
  };
  const relay = h.relay;
  const connect = relay.connect.bind(relay);
  relay.connect = (link: Link): void => {
    const send = link.send.bind(link);
    link.send = (b, reliable) => {
      count('down', b);
      send(b, reliable);
    };
    connect(link);
    const read = link.onMessage;
    link.onMessage = (b) => {
      count('up', b);
      read?.(b);
    };
  };
  const rate = 60;
  const tickMs = 1000 / rate;
  const clients = Array.from({ length: n }, (_, i) => h!.addClient(`p${i}`));
  const joinedIn = h.runUntil(() => clients.every((c) => c.client.joined), 5000);
  if (joinedIn < 0) throw new Error(`harness: ${clients.filter((c) => c.client.joined).length} of ${n} joined (relay has ${h.relay.peerCount}): ${JSON.stringify(h.logs.slice(-3))}`);
  h.run(2000);
  // Walk: the keys the swarm's players press, from the same model, twice a second.
  const walk = (ms: number): void => {
    const end = h!.scheduler.now() + ms;
    while (h!.scheduler.now() < end) {
      const tick = Math.floor(h!.scheduler.now() / tickMs);
      clients.forEach((c, i) => {
        if (tick % 30 !== 0) return;
        const v = model.velocity(i, model.startTick + tick);
        c.client.send({ moveX: Math.sign(Math.round(v.x)), moveZ: Math.sign(Math.round(v.z)) });
      });
      h!.run(tickMs, 4);
    }
  };
  model.startTick = 0;
  walk(2000);
  measuring = true;
  walk(measureS * 1000);
  measuring = false;
  const per = (o: TrafficByType): TrafficByType => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { msgs: v.msgs / n / measureS, bytes: v.bytes / n / measureS }]));
  for (const c of clients) c.client.close();
  h.relay.close();
  return { up: per(counts.up), down: per(counts.down) };
}
