import type { EntityInput } from '../core/behaviour.js';
import type { SceneDesc } from '../sim/tile-world.js';
import { borderRollScene, busyScene, cannonScene, CANNON_SCENE } from './scenes.js';

/**
 * Scripted runs (a scene plus an input log by tick) shared by the determinism tests in Node,
 * the cross-runtime check page in Chromium, and the benchmark.
 */
export interface Scenario {
  /** The world the scenario starts from. */
  readonly scene: SceneDesc;
  /** Inputs to apply at `tick`. */
  inputsAt(tick: number): EntityInput[];
}

/** Names of the built-in scenarios. */
export type ScenarioName = 'cannon' | 'border-roll' | 'busy';

/** The scenario called `name`: the cannon (avatar walks onto the switch at tick 10), a ball rolling over a tile border, or a busy 2×2-tile box of bouncing bodies. */
export function scenario(name: ScenarioName): Scenario {
  switch (name) {
    case 'cannon':
      return {
        scene: cannonScene({ seed: 42 }),
        inputsAt: (tick) =>
          tick === 10
            ? [{ entity: CANNON_SCENE.avatar, seq: 0, data: { moveX: -1 } }]
            : tick === 60
              ? [{ entity: CANNON_SCENE.avatar, seq: 1, data: { moveX: 0.5, moveZ: 0.2 } }, { entity: CANNON_SCENE.avatar, seq: 2, data: { jump: true } }]
              : tick === 200
                ? [{ entity: CANNON_SCENE.avatar, seq: 3, data: { moveX: -1, moveZ: 0 } }]
                : [],
      };
    case 'border-roll':
      return { scene: borderRollScene({ seed: 3 }), inputsAt: () => [] };
    case 'busy':
      return { scene: busyScene(60, { seed: 9 }), inputsAt: () => [] };
  }
}
