import RAPIER from '@dimforge/rapier3d-deterministic-compat';

let ready: Promise<void> | undefined;

/**
 * Loads the deterministic Rapier WASM module once per realm (page, worker, Node process).
 * Await it before creating any tile simulation.
 */
export function initPhysics(): Promise<void> {
  ready ??= RAPIER.init();
  return ready;
}

export { RAPIER };
