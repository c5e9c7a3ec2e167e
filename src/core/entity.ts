import { assert, ErrorCode } from './errors.js';
import { IDENTITY, isFiniteVec, ZERO, type Quat, type Vec3 } from './vec.js';

/**
 * An entity id: a non-negative safe integer, unique in the world. Ids below 2^32 are for
 * authored entities (placed by a scene or creator); ids at or above 2^32 are minted by tiles
 * for entities spawned at run time (see `spawnedEntityId`).
 */
export type EntityId = number;

/** First id a tile may mint; authored ids stay below it. */
export const FIRST_SPAWNED_ID = 2 ** 32;

/** Collision shape of a body, metres. */
export type ShapeDesc =
  | {
      /** A box centred on the body. */
      readonly type: 'box';
      /** Half the box's size along each axis, metres (all > 0). */
      readonly halfExtents: Vec3;
    }
  | {
      /** A sphere centred on the body. */
      readonly type: 'ball';
      /** Sphere radius, metres (> 0). */
      readonly radius: number;
    }
  | {
      /** A capsule along the body's y axis. */
      readonly type: 'capsule';
      /** Half the length of the cylinder between the two caps, metres (> 0). */
      readonly halfHeight: number;
      /** Radius of the cylinder and caps, metres (> 0). */
      readonly radius: number;
    };

/** How a body moves: pushed by physics, never moves, or moved by its behaviour. */
export type BodyType = 'dynamic' | 'fixed' | 'kinematic';

/** Creation spec of an entity's rigid body and its single collider. Immutable for the entity's life. */
export interface BodyDesc {
  /** How the body moves: dynamic, fixed or kinematic. */
  readonly type: BodyType;
  /** The collider shape, metres. */
  readonly shape: ShapeDesc;
  /** kg/m³ (default 1). */
  readonly density?: number;
  /** Coulomb friction coefficient (default 0.5). */
  readonly friction?: number;
  /** Bounciness, 0..1 (default 0). */
  readonly restitution?: number;
  /** A sensor reports contacts but pushes nothing (default false). */
  readonly sensor?: boolean;
  /** Keeps the body upright (avatars) (default false). */
  readonly lockRotations?: boolean;
  /** Velocity damping, 1/s (default 0). */
  readonly linearDamping?: number;
  /** Angular velocity damping, 1/s (default 0). */
  readonly angularDamping?: number;
  /** Continuous collision detection for fast bodies (default false). */
  readonly ccd?: boolean;
}

/** The state physics evolves: position (m), rotation, linear velocity (m/s), angular velocity (rad/s). */
export interface DynamicState {
  /** Centre of the body, world metres. */
  readonly position: Vec3;
  /** Orientation, a unit quaternion. */
  readonly rotation: Quat;
  /** Linear velocity, m/s. */
  readonly linvel: Vec3;
  /** Angular velocity, rad/s. */
  readonly angvel: Vec3;
}

/** A prop value: small typed data attached to an entity. */
export type PropValue = number | boolean | string;

/** An entity's props, keyed by name. */
export type Props = Readonly<Record<string, PropValue>>;

/** A complete entity: what a tile needs to create it, what migrates, what a snapshot lists. */
export interface EntityDesc {
  /** Unique id in the world. */
  readonly id: EntityId;
  /** Names the behaviour (`KindDef.name`). */
  readonly kind: string;
  /** Its rigid body and collider (fixed for its life). */
  readonly body: BodyDesc;
  /** Its physical state. */
  readonly state: DynamicState;
  /** Its props (typed by the kind's `PropSpec`s). */
  readonly props: Props;
}

/** Shorthand to build an `EntityDesc`: rotation and velocities default to rest, props to `{}`. */
export function entityDesc(spec: {
  id: EntityId;
  kind: string;
  body: BodyDesc;
  position: Vec3;
  rotation?: Quat;
  linvel?: Vec3;
  angvel?: Vec3;
  props?: Props;
}): EntityDesc {
  return {
    id: spec.id,
    kind: spec.kind,
    body: spec.body,
    state: {
      position: spec.position,
      rotation: spec.rotation ?? IDENTITY,
      linvel: spec.linvel ?? ZERO,
      angvel: spec.angvel ?? ZERO,
    },
    props: spec.props ?? {},
  };
}

/** Checks an id is a non-negative safe integer. */
export function checkEntityId(id: unknown): asserts id is EntityId {
  assert(typeof id === 'number' && Number.isSafeInteger(id) && id >= 0, ErrorCode.BadInput, () => `entity id must be a non-negative safe integer, got ${String(id)}`);
}

/** Validates a body description; throws `bad-input` naming the first problem. */
export function checkBodyDesc(body: BodyDesc, where: string): void {
  assert(body.type === 'dynamic' || body.type === 'fixed' || body.type === 'kinematic', ErrorCode.BadInput, () => `${where}: body type ${String(body.type)} is not dynamic|fixed|kinematic`);
  const s = body.shape;
  const positive = (v: number, what: string): void =>
    assert(Number.isFinite(v) && v > 0, ErrorCode.BadInput, () => `${where}: ${what} must be a positive number of metres, got ${v}`);
  switch (s.type) {
    case 'box':
      positive(s.halfExtents.x, 'box half extent x');
      positive(s.halfExtents.y, 'box half extent y');
      positive(s.halfExtents.z, 'box half extent z');
      break;
    case 'ball':
      positive(s.radius, 'ball radius');
      break;
    case 'capsule':
      positive(s.halfHeight, 'capsule half height');
      positive(s.radius, 'capsule radius');
      break;
    default:
      assert(false, ErrorCode.BadInput, () => `${where}: unknown shape ${JSON.stringify(s)}`);
  }
  for (const [k, v] of [
    ['density', body.density],
    ['friction', body.friction],
    ['restitution', body.restitution],
    ['linearDamping', body.linearDamping],
    ['angularDamping', body.angularDamping],
  ] as const) {
    if (v !== undefined) assert(Number.isFinite(v) && v >= 0, ErrorCode.BadInput, () => `${where}: ${k} must be ≥ 0, got ${v}`);
  }
}

/** Validates a dynamic state (finite numbers, non-zero rotation). */
export function checkDynamicState(s: DynamicState, where: string): void {
  assert(isFiniteVec(s.position) && isFiniteVec(s.linvel) && isFiniteVec(s.angvel), ErrorCode.BadInput, () => `${where}: position and velocities must be finite`);
  const q = s.rotation;
  const n = q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w;
  assert(Number.isFinite(n) && n > 1e-6, ErrorCode.BadInput, () => `${where}: rotation must be a non-zero finite quaternion`);
}

/** Radius (m) of a sphere around the body's centre that contains its shape in any rotation. */
export function boundingRadius(shape: ShapeDesc): number {
  switch (shape.type) {
    case 'box': {
      const h = shape.halfExtents; // not Math.hypot: its rounding differs between engines
      return Math.sqrt(h.x * h.x + h.y * h.y + h.z * h.z);
    }
    case 'ball':
      return shape.radius;
    case 'capsule':
      return shape.halfHeight + shape.radius;
  }
}
