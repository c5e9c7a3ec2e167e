import type { BodyDesc, EntityId, PropValue } from './entity.js';
import { assert, ErrorCode, TesseraError } from './errors.js';
import type { SeededRng } from './rng.js';
import type { TileId } from './tile.js';
import type { Quat, Vec3 } from './vec.js';

/** Type of a declared prop. `entity` holds an `EntityId` (a number). */
export type PropType = 'number' | 'boolean' | 'string' | 'entity';

/** Declaration of one prop of a kind. Writes to a `critical` prop are always audited. */
export interface PropSpec {
  /** The value type every write is checked against. */
  readonly type: PropType;
  /** Value of the prop on entities that do not set it (must fit `type`). */
  readonly default: PropValue;
  /** When true, every write to the prop is reported to the relay and audited (default false). */
  readonly critical?: boolean;
}

/** What a player's input carries: small named values, e.g. `{ moveX: 1, jump: true }`. */
export type InputData = Readonly<Record<string, PropValue>>;

/** One input addressed to an entity, for a tick. `seq` orders several inputs to one entity in one tick. */
export interface EntityInput {
  /** The entity the input is for (usually a player's avatar). */
  readonly entity: EntityId;
  /** Sender's sequence number: orders inputs to one entity within a tick; replays are refused. */
  readonly seq: number;
  /** The input values, passed to the kind's `onInput`. */
  readonly data: InputData;
}

/** A message from one entity to another, delivered at `dueTick` (always later than it was sent). */
export interface EntityMessage {
  /** The sending entity. */
  readonly from: EntityId;
  /** The receiving entity. */
  readonly to: EntityId;
  /** Application-chosen name telling the receiver what the message means. */
  readonly topic: string;
  /** The message's payload. */
  readonly data: InputData;
  /** Tick at which the receiver's `onMessage` runs. */
  readonly dueTick: number;
  /** Sender tile's message counter: orders messages due on the same tick. */
  readonly seq: number;
}

/** What `TileContext.spawn` takes. Missing body/props come from the kind; rotation and velocities default to rest. */
export interface SpawnSpec {
  /** Kind of the new entity (must be registered). */
  readonly kind: string;
  /** Where it appears, world metres. */
  readonly position: Vec3;
  /** Initial orientation (default identity). */
  readonly rotation?: Quat;
  /** Initial linear velocity, m/s (default zero). */
  readonly linvel?: Vec3;
  /** Initial angular velocity, rad/s (default zero). */
  readonly angvel?: Vec3;
  /** Body and collider (default: the kind's `body`). */
  readonly body?: BodyDesc;
  /** Initial props, over the kind's defaults. */
  readonly props?: Readonly<Record<string, PropValue>>;
}

/**
 * The only door a behaviour has to the world: its own tile, read-only ghosts of neighbours'
 * border bodies, and messages. Everything here is deterministic.
 */
export interface TileContext {
  /** The tick being simulated. */
  readonly tick: number;
  /** Seconds per tick. */
  readonly dt: number;
  /** The tile this code runs in. */
  readonly tile: TileId;
  /** The tile's seeded RNG (part of the tile's state). */
  readonly rng: SeededRng;
  /** True when `id` is an entity of this tile or a ghost visible from it. */
  exists(id: EntityId): boolean;
  /** True when `id` is a read-only ghost of a neighbour tile's entity. */
  isGhost(id: EntityId): boolean;
  /** The kind name of an entity or ghost. */
  kindOf(id: EntityId): string;
  /** Position, metres. */
  position(id: EntityId): Vec3;
  /** Orientation of an entity or ghost, a unit quaternion. */
  rotation(id: EntityId): Quat;
  /** Linear velocity, m/s. */
  linvel(id: EntityId): Vec3;
  /** Angular velocity of an entity or ghost, rad/s (about its centre of mass). */
  angvel(id: EntityId): Vec3;
  /**
   * The kinematic body (an entity of this tile or a ghost) that `id` stands on: in contact with
   * it at the end of the last step, below it (contact normal within 45° of vertical); the lowest
   * id when several. Undefined when none. Read from simulated state only, so every runtime agrees.
   */
  support(id: EntityId): EntityId | undefined;
  /** Mass, kg. */
  mass(id: EntityId): number;
  /** A prop of an entity of this tile. */
  prop(id: EntityId, key: string): PropValue;
  /** Sets a prop (type-checked against the kind's declaration). */
  setProp(id: EntityId, key: string, value: PropValue): void;
  /** Adds an impulse (N·s) at the centre of mass; impulses from several behaviours add up. */
  applyImpulse(id: EntityId, impulse: Vec3): void;
  /** Adds an angular impulse (N·m·s). */
  applyTorqueImpulse(id: EntityId, impulse: Vec3): void;
  /** Where a kinematic body of this tile will be at the end of this tick (it sweeps there, pushing what is in the way). */
  moveKinematic(id: EntityId, position: Vec3, rotation?: Quat): void;
  /**
   * Puts a dynamic entity of this tile at `position`, at rest (no velocity), before this tick's
   * physics step. A position in another tile moves the entity there at the end of the step, as
   * any body that leaves its tile.
   */
  teleport(id: EntityId, position: Vec3): void;
  /** The world's gravity, m/s². */
  readonly gravity: Vec3;
  /** The world's spawn point (`WorldConfig.spawnPoint`). */
  readonly spawnPoint: Vec3;
  /** Entities below this height are removed (`WorldConfig.floorY`). */
  readonly floorY: number;
  /** Creates an entity now (its body exists at once); returns its new id. */
  spawn(spec: SpawnSpec): EntityId;
  /** Removes an entity at the end of this tick. */
  despawn(id: EntityId): void;
  /** Sends a message to any entity, in this tile or not, delivered `delayTicks` (≥ 1) ticks later. */
  send(to: EntityId, topic: string, data?: InputData, delayTicks?: number): void;
}

/**
 * A kind of entity and its behaviour: a creator's deterministic script. Handlers run in entity
 * id order and act only through the context.
 */
export interface KindDef {
  /** Unique kind name: a letter, then up to 63 letters, digits, `_`, `.` or `-`. */
  readonly name: string;
  /** Body used when a spawn does not give one. */
  readonly body?: BodyDesc;
  /** Declared props with defaults; entities of the kind may hold only these. */
  readonly props?: Readonly<Record<string, PropSpec>>;
  /** Every tick, before physics. */
  readonly onStep?: (ctx: TileContext, self: EntityId) => void;
  /** When this entity starts touching another (entity or ghost), after physics. */
  readonly onContact?: (ctx: TileContext, self: EntityId, other: EntityId) => void;
  /** When a player's input addressed to this entity is applied, before `onStep`. */
  readonly onInput?: (ctx: TileContext, self: EntityId, input: InputData) => void;
  /** When a message sent to this entity falls due, before inputs. */
  readonly onMessage?: (ctx: TileContext, self: EntityId, message: EntityMessage) => void;
}

/** A registered kind with its prop keys in a fixed (sorted) order, for hashing and encoding. */
export interface RegisteredKind {
  /** The kind as defined. */
  readonly def: KindDef;
  /** Its declared prop names, sorted. */
  readonly propKeys: readonly string[];
}

/** Identity helper that types a kind definition. */
export function defineKind(def: KindDef): KindDef {
  return def;
}

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** The kinds a world knows. Every entity's kind must be registered before it is created. */
export class BehaviourRegistry {
  private readonly kinds = new Map<string, RegisteredKind>();

  /** Registers kinds; throws on a bad or duplicate name or a default that does not fit its type. */
  define(...defs: KindDef[]): this {
    for (const def of defs) {
      assert(NAME.test(def.name), ErrorCode.BadInput, `kind name ${JSON.stringify(def.name)} must match ${NAME}`);
      assert(!this.kinds.has(def.name), ErrorCode.BadInput, `kind ${def.name} is already defined`);
      const props = def.props ?? {};
      const propKeys = Object.keys(props).sort();
      for (const key of propKeys) {
        assert(NAME.test(key), ErrorCode.BadInput, `kind ${def.name}: prop name ${JSON.stringify(key)} must match ${NAME}`);
        const spec = props[key]!;
        checkPropValue(def.name, key, spec, spec.default);
      }
      this.kinds.set(def.name, { def, propKeys });
    }
    return this;
  }

  /** The registered kind named `name`; throws `unknown-kind` otherwise. */
  get(name: string): RegisteredKind {
    const k = this.kinds.get(name);
    if (!k) throw new TesseraError(ErrorCode.UnknownKind, `kind ${JSON.stringify(name)} is not registered`);
    return k;
  }

  /** True when `name` is registered. */
  has(name: string): boolean {
    return this.kinds.has(name);
  }

  /** Registered kind names, sorted. */
  names(): string[] {
    return [...this.kinds.keys()].sort();
  }
}

/** Throws `bad-input` unless `value` fits the prop's declared type. */
export function checkPropValue(kind: string, key: string, spec: PropSpec, value: unknown): asserts value is PropValue {
  let ok: boolean;
  switch (spec.type) {
    case 'number':
      ok = typeof value === 'number' && Number.isFinite(value);
      break;
    case 'entity':
      ok = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
      break;
    case 'boolean':
      ok = typeof value === 'boolean';
      break;
    case 'string':
      ok = typeof value === 'string' && value.length <= 256;
      break;
    default:
      ok = false;
  }
  assert(ok, ErrorCode.BadInput, () => `kind ${kind}: prop ${key} expects ${spec.type}, got ${JSON.stringify(value)}`);
}

/** Fills a kind's defaults under the given props and type-checks every value; unknown keys are refused. */
export function resolveProps(kind: RegisteredKind, given: Readonly<Record<string, PropValue>> | undefined): Record<string, PropValue> {
  const specs = kind.def.props ?? {};
  const out: Record<string, PropValue> = {};
  for (const key of kind.propKeys) out[key] = specs[key]!.default;
  if (given) {
    for (const key of Object.keys(given)) {
      const spec = specs[key];
      assert(spec !== undefined, ErrorCode.BadInput, `kind ${kind.def.name} has no prop ${JSON.stringify(key)}`);
      const v = given[key];
      checkPropValue(kind.def.name, key, spec, v);
      out[key] = v;
    }
  }
  return out;
}
