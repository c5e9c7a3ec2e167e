// Joining a world that has its own kinds: the player's worker imports the same module as the relay.
import { joinWorld } from '../../src/index.js';

export async function joinHopperWorld(relay: string, name: string) {
  return joinWorld({ relay, world: 'demo', name, kinds: new URL('./kinds.ts', import.meta.url) });
}
