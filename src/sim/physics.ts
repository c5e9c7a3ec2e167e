import RAPIER from '@dimforge/rapier3d-deterministic-compat';

let ready: Promise<void> | undefined;
let loaded = false;
const warmUps: (() => void)[] = [];

/**
 * Loads the deterministic Rapier WASM module once per realm (page, worker, Node process).
 * Await it before creating any tile simulation.
 */
export function initPhysics(): Promise<void> {
  ready ??= RAPIER.init().then(() => {
    warmUpSnapshots();
    loaded = true;
    for (const warmUp of warmUps.splice(0)) warmUp();
  });
  return ready;
}

/**
 * Registers code to run once while physics loads (at once when it has loaded already): a
 * module whose code paths run rarely (a tile restore) runs them there on a small world, so
 * that their first real use does not pay for compiling them. Nothing it builds may stay.
 */
export function addPhysicsWarmUp(warmUp: () => void): void {
  if (loaded) warmUp();
  else warmUps.push(warmUp);
}

/**
 * Runs Rapier's snapshot, restore and post-restore step once on a small world of every body
 * and shape kind, touching each other. The engine compiles WebAssembly functions lazily, on
 * their first call: without this, the first restore of a process (a handoff, an audit, a
 * replica's first rollback) pays for compiling the whole deserializer — tens of milliseconds
 * in the middle of a frame. Here it is paid once, while loading. Nothing of this world stays.
 */
function warmUpSnapshots(): void {
  const world = new RAPIER.World({ x: 0, y: -9.81, z: 0 });
  let restored: InstanceType<typeof RAPIER.World> | null = null;
  try {
    const ground = world.createRigidBody(RAPIER.RigidBodyDesc.fixed().setTranslation(0, -0.5, 0));
    world.createCollider(RAPIER.ColliderDesc.cuboid(4, 0.5, 4), ground);
    const shapes = [RAPIER.ColliderDesc.cuboid(0.25, 0.25, 0.25), RAPIER.ColliderDesc.ball(0.25), RAPIER.ColliderDesc.capsule(0.5, 0.3)];
    shapes.forEach((shape, i) => {
      const rb = world.createRigidBody(RAPIER.RigidBodyDesc.dynamic().setTranslation(i - 1, 0.3, 0).setLinvel(0.1, 0, 0));
      world.createCollider(shape.setActiveEvents(RAPIER.ActiveEvents.COLLISION_EVENTS), rb);
    });
    const mover = world.createRigidBody(RAPIER.RigidBodyDesc.kinematicPositionBased().setTranslation(0, 0.3, 1));
    world.createCollider(RAPIER.ColliderDesc.cuboid(0.3, 0.3, 0.3), mover);
    const events = new RAPIER.EventQueue(true);
    try {
      for (let i = 0; i < 3; i++) world.step(events);
      restored = RAPIER.World.restoreSnapshot(world.takeSnapshot());
      if (restored) {
        // What a restore checks and reads of every body (`checkBodyParameters`, `makeLive`).
        restored.forEachRigidBody((rb) => {
          rb.bodyType();
          rb.gravityScale();
          rb.dominanceGroup();
          rb.linearDamping();
          rb.angularDamping();
          rb.isCcdEnabled();
          rb.mass();
          rb.translation();
          rb.rotation();
          rb.linvel();
          rb.angvel();
        });
        restored.forEachCollider((c) => {
          c.friction();
          c.restitution();
          c.density();
          c.isSensor();
          const type = c.shapeType();
          if (type === RAPIER.ShapeType.Cuboid) c.halfExtents();
          else if (type === RAPIER.ShapeType.Ball) c.radius();
          else if (type === RAPIER.ShapeType.Capsule) {
            c.radius();
            c.halfHeight();
          }
        });
        restored.step(events);
      }
    } finally {
      events.free();
    }
  } finally {
    restored?.free();
    world.free();
  }
}

export { RAPIER };
