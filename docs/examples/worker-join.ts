import { joinWorld } from '../../src/index.js';

// The player in a Web Worker: the page keeps drawing and WebRTC, the worker everything else.
const handle = await joinWorld({
  relay: 'ws://127.0.0.1:8787/',
  world: 'demo',
  simulation: 'worker',
  kinds: new URL('./kinds.ts', import.meta.url), // behaviours reach a worker as a module, not as functions
});
console.log(handle.simulation); // 'worker'
