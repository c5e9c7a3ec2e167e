import type { BodyDesc, DynamicState, ShapeDesc } from '../core/entity.js';
import { unexpectedCase } from '../core/errors.js';
import { RAPIER } from './physics.js';

type World = InstanceType<typeof RAPIER.World>;
/** A Rapier rigid body. */
export type RigidBody = ReturnType<World['createRigidBody']>;
/** A Rapier collider. */
export type Collider = ReturnType<World['createCollider']>;

function colliderFor(shape: ShapeDesc): InstanceType<typeof RAPIER.ColliderDesc> {
  switch (shape.type) {
    case 'box':
      return RAPIER.ColliderDesc.cuboid(shape.halfExtents.x, shape.halfExtents.y, shape.halfExtents.z);
    case 'ball':
      return RAPIER.ColliderDesc.ball(shape.radius);
    case 'capsule':
      return RAPIER.ColliderDesc.capsule(shape.halfHeight, shape.radius);
    default:
      return unexpectedCase(shape, 'shape');
  }
}

/** How a body is created: as the entity itself, or as a read-only ghost of a neighbour's entity. */
export type BodyRole = 'entity' | 'ghost';

/**
 * Creates the rigid body and its collider for a body description and state. Ghosts of dynamic
 * or kinematic bodies become kinematic (position-driven) so they push but are never pushed.
 */
export function createBody(
  world: World,
  body: BodyDesc,
  state: DynamicState,
  role: BodyRole,
  contactEvents: boolean,
): { rb: RigidBody; collider: Collider } {
  let rbDesc: InstanceType<typeof RAPIER.RigidBodyDesc>;
  if (body.type === 'fixed') rbDesc = RAPIER.RigidBodyDesc.fixed();
  else if (role === 'ghost' || body.type === 'kinematic') rbDesc = RAPIER.RigidBodyDesc.kinematicPositionBased();
  else rbDesc = RAPIER.RigidBodyDesc.dynamic();
  const p = state.position;
  const q = state.rotation;
  rbDesc.setTranslation(p.x, p.y, p.z).setRotation({ x: q.x, y: q.y, z: q.z, w: q.w });
  if (body.type === 'kinematic' && role === 'entity') {
    // Its next step works its velocity out from where it is moved to; until then the velocity it
    // had is what it has (riders read it: a platform handed to another tile keeps carrying them).
    rbDesc.setLinvel(state.linvel.x, state.linvel.y, state.linvel.z).setAngvel({ x: state.angvel.x, y: state.angvel.y, z: state.angvel.z });
  }
  if (body.type === 'dynamic' && role === 'entity') {
    rbDesc.setLinvel(state.linvel.x, state.linvel.y, state.linvel.z).setAngvel({ x: state.angvel.x, y: state.angvel.y, z: state.angvel.z });
    if (body.lockRotations) rbDesc.lockRotations();
    if (body.linearDamping !== undefined) rbDesc.setLinearDamping(body.linearDamping);
    if (body.angularDamping !== undefined) rbDesc.setAngularDamping(body.angularDamping);
    if (body.ccd) rbDesc.setCcdEnabled(true);
  }
  const rb = world.createRigidBody(rbDesc);
  const cDesc = colliderFor(body.shape)
    .setDensity(body.density ?? 1)
    .setFriction(body.friction ?? 0.5)
    .setRestitution(body.restitution ?? 0)
    .setSensor(body.sensor ?? false);
  if (contactEvents) {
    cDesc.setActiveEvents(RAPIER.ActiveEvents.COLLISION_EVENTS).setActiveCollisionTypes(RAPIER.ActiveCollisionTypes.ALL);
  } else if (body.type === 'kinematic') {
    // A platform (entity or ghost) is in the contact graph with the ghosts standing on it (ghosts are
    // kinematic bodies here): a tile sees which of its neighbour's bodies ride (the island pass).
    cDesc.setActiveCollisionTypes(RAPIER.ActiveCollisionTypes.DEFAULT | RAPIER.ActiveCollisionTypes.KINEMATIC_KINEMATIC);
  }
  const collider = world.createCollider(cDesc, rb);
  return { rb, collider };
}
