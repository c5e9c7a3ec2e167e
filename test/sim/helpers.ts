import { initPhysics, scenario, standardKinds, TileWorld, type ScenarioName } from '../../src/index.js';

/** Builds the scenario's world and runs it until `untilTick`. */
export async function runScenario(name: ScenarioName, untilTick: number, from?: TileWorld): Promise<TileWorld> {
  await initPhysics();
  const sc = scenario(name);
  const world = from ?? TileWorld.fromScene(sc.scene, standardKinds());
  while (world.tick < untilTick) world.step(sc.inputsAt(world.tick));
  return world;
}
