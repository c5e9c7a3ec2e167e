import { joinWorld, type VisibleEntity } from '../../src/index.js';

declare function draw(entity: VisibleEntity): void; // your renderer (the demo's is three.js)

// Join the world `demo` on a relay started with `npx tessera-engine relay`.
const handle = await joinWorld({ relay: 'ws://127.0.0.1:8787/', world: 'demo', name: 'ada' });
handle.on('status', (e) => console.log(e.status, e.reason)); // reconnects by itself

handle.client.send({ moveX: 1 }); // your avatar's input, to whoever owns its tile

requestAnimationFrame(function frame() {
  // Read `handle.client` each time: a reconnection swaps in a new client.
  for (const entity of handle.client.entities()) draw(entity); // id, kind, position, rotation, owner
  requestAnimationFrame(frame);
});
setInterval(() => console.log(handle.client.stats()), 1000); // rtt, clock error, paths, bytes/s, tiles
