import type { BodyDesc } from '../core/entity.js';
import { TesseraError, ErrorCode } from '../core/errors.js';
import type { WorldConfig } from '../core/world-config.js';
import type { Collider, RigidBody } from './body-builder.js';
import { RAPIER } from './physics.js';

type World = InstanceType<typeof RAPIER.World>;

/**
 * The world-wide solver parameters a Rapier snapshot carries with it. A snapshot is bytes an
 * owner hands over, so none of these may come from it: they must equal what the world's config
 * gives a fresh world (the evidence rule: parameters come from the config).
 */
function solverParameters(w: World): Record<string, number> {
  const p = w.integrationParameters;
  return {
    'gravity.x': w.gravity.x,
    'gravity.y': w.gravity.y,
    'gravity.z': w.gravity.z,
    lengthUnit: p.lengthUnit,
    numSolverIterations: p.numSolverIterations,
    numInternalPgsIterations: p.numInternalPgsIterations,
    maxCcdSubsteps: p.maxCcdSubsteps,
    normalizedAllowedLinearError: p.normalizedAllowedLinearError,
    normalizedPredictionDistance: p.normalizedPredictionDistance,
    contact_erp: p.contact_erp,
  };
}

const expectedByGravity = new Map<string, Record<string, number>>();

function expectedParameters(config: WorldConfig): Record<string, number> {
  const g = config.gravity;
  const key = `${g.x},${g.y},${g.z}`;
  let e = expectedByGravity.get(key);
  if (!e) {
    const fresh = new RAPIER.World({ x: g.x, y: g.y, z: g.z });
    try {
      e = solverParameters(fresh);
    } finally {
      fresh.free();
    }
    expectedByGravity.set(key, e);
  }
  return e;
}

/** Throws `bad-snapshot` when a restored physics world's solver parameters are not the config's. */
export function checkWorldParameters(world: World, config: WorldConfig): void {
  const want = expectedParameters(config);
  const got = solverParameters(world);
  for (const k of Object.keys(want)) {
    if (!Object.is(Math.fround(got[k]!), Math.fround(want[k]!))) throw new TesseraError(ErrorCode.BadSnapshot, `tile snapshot: physics parameter ${k} is ${got[k]}, the world's config gives ${want[k]}`);
  }
}

/** Throws `bad-snapshot` for a restored body that is not what its description builds (no closure per check: a restore checks every entity). */
function badBody(id: number, what: string, got: unknown, want: unknown): never {
  throw new TesseraError(ErrorCode.BadSnapshot, `tile snapshot: entity ${id}'s ${what} is ${String(got)}, its body description gives ${String(want)}`);
}

const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

/**
 * Throws `bad-snapshot` when an entity's restored body is not what its description builds (see
 * `createBody`): a snapshot that lightens a player, removes its gravity or its friction, or turns
 * a wall into a sensor is refused, whatever hash it carries.
 */
export function checkBodyParameters(id: number, body: BodyDesc, rb: RigidBody, collider: Collider): void {
  const type = body.type === 'fixed' ? RAPIER.RigidBodyType.Fixed : body.type === 'kinematic' ? RAPIER.RigidBodyType.KinematicPositionBased : RAPIER.RigidBodyType.Dynamic;
  if (rb.bodyType() !== type) badBody(id, 'body type', rb.bodyType(), type);
  if (rb.gravityScale() !== 1) badBody(id, 'gravity scale', rb.gravityScale(), 1);
  if (rb.dominanceGroup() !== 0) badBody(id, 'dominance group', rb.dominanceGroup(), 0);
  if (body.type === 'dynamic') {
    if (!near(rb.linearDamping(), body.linearDamping ?? 0)) badBody(id, 'linear damping', rb.linearDamping(), body.linearDamping ?? 0);
    if (!near(rb.angularDamping(), body.angularDamping ?? 0)) badBody(id, 'angular damping', rb.angularDamping(), body.angularDamping ?? 0);
    if (rb.isCcdEnabled() !== (body.ccd ?? false)) badBody(id, 'ccd', rb.isCcdEnabled(), body.ccd ?? false);
  }
  if (!near(collider.friction(), body.friction ?? 0.5)) badBody(id, 'friction', collider.friction(), body.friction ?? 0.5);
  if (!near(collider.restitution(), body.restitution ?? 0)) badBody(id, 'restitution', collider.restitution(), body.restitution ?? 0);
  if (!near(collider.density(), body.density ?? 1)) badBody(id, 'density', collider.density(), body.density ?? 1);
  if (collider.isSensor() !== (body.sensor ?? false)) badBody(id, 'sensor flag', collider.isSensor(), body.sensor ?? false);
  const s = body.shape;
  switch (s.type) {
    case 'box': {
      const h = collider.halfExtents();
      if (!h || collider.shapeType() !== RAPIER.ShapeType.Cuboid || !near(h.x, s.halfExtents.x) || !near(h.y, s.halfExtents.y) || !near(h.z, s.halfExtents.z)) badBody(id, 'shape', collider.shapeType(), 'its box');
      break;
    }
    case 'ball':
      if (collider.shapeType() !== RAPIER.ShapeType.Ball || !near(collider.radius(), s.radius)) badBody(id, 'shape', collider.shapeType(), 'its ball');
      break;
    case 'capsule':
      if (collider.shapeType() !== RAPIER.ShapeType.Capsule || !near(collider.radius(), s.radius) || !near(collider.halfHeight(), s.halfHeight)) badBody(id, 'shape', collider.shapeType(), 'its capsule');
      break;
  }
}
