// Tessera's relay entry (Node only): signalling, leases, fallback path and auditor arrive with
// the relay issue. Today it offers what the relay will run on: the same tile simulation.

export { TileWorld, TileSimulation, initPhysics, standardKinds } from '../src/index.js';

/** Version of the relay protocol this build speaks (bumped with every incompatible change). */
export const RELAY_PROTOCOL_VERSION = 0;
