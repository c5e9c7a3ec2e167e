/// <reference lib="webworker" />
// Web Worker entry of a player (`joinWorld` starts one per joined world): the relay connection,
// the owned tiles' simulation and the replicas run here; the page draws and keeps WebRTC.
import { PlayerWorkerHost } from '../src/player-worker/player-worker-host.js';
import type { PageToWorker } from '../src/player-worker/protocol.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const host = new PlayerWorkerHost((m, transfer) => scope.postMessage(m, transfer ?? []));
scope.onmessage = (ev: MessageEvent<PageToWorker>) => host.onMessage(ev.data);
