import type { BehaviourRegistry } from '../core/behaviour.js';
import { entityDesc, type EntityDesc, type EntityId, type PropValue } from '../core/entity.js';
import type { Quat } from '../core/vec.js';
import type { AuthoredObject } from './world-layout.js';

/** Ramps lean by this much (radians) along their length. */
export const RAMP_PITCH = 0.3;

/**
 * The entity an authored object becomes in the simulation: the kind's body, the object's
 * place and turn, and the object's props the kind defines (others are left out). Only the
 * relay converts (and sends the result to the tile's owner), so the sines here are computed
 * once and every simulation starts from the same floats.
 */
export function authoredEntity(obj: AuthoredObject, id: EntityId, registry: BehaviourRegistry): EntityDesc {
  const kind = registry.get(obj.kind);
  const body = kind.def.body!;
  const props: Record<string, PropValue> = {};
  for (const [k, v] of Object.entries(obj.props)) {
    const spec = kind.def.props?.[k];
    if (spec && typeof v === typeof spec.default && !spec.critical) props[k] = v;
  }
  return entityDesc({ id, kind: obj.kind, body, position: obj.position, rotation: rotationOf(obj), props });
}

/** Turn about +y by the object's yaw; a ramp is also pitched about its own x axis. */
function rotationOf(obj: AuthoredObject): Quat {
  const yaw = { x: 0, y: Math.sin(obj.yaw / 2), z: 0, w: Math.cos(obj.yaw / 2) };
  if (obj.kind !== 'ramp') return yaw;
  const pitch = { x: Math.sin(RAMP_PITCH / 2), y: 0, z: 0, w: Math.cos(RAMP_PITCH / 2) };
  // yaw × pitch (Hamilton product)
  return {
    x: yaw.w * pitch.x + yaw.x * pitch.w + yaw.y * pitch.z - yaw.z * pitch.y,
    y: yaw.w * pitch.y - yaw.x * pitch.z + yaw.y * pitch.w + yaw.z * pitch.x,
    z: yaw.w * pitch.z + yaw.x * pitch.y - yaw.y * pitch.x + yaw.z * pitch.w,
    w: yaw.w * pitch.w - yaw.x * pitch.x - yaw.y * pitch.y - yaw.z * pitch.z,
  };
}
