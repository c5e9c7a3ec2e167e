// How a bot walks: a pure function of its pattern, its seeded RNG, where it is and where the
// others are. No clock and no I/O, so a bot's walk replays from its seed.
import { SeededRng } from '../core/rng.js';
import type { Vec3 } from '../core/vec.js';

/**
 * A bot's walk:
 * - `wander`: a new random direction (or a pause) every `everyMs`;
 * - `circle`: round a circle of `radiusM` about where it joined;
 * - `crowd`: towards `to`, then mills about within `radiusM` of it;
 * - `follow`: towards the avatar of the player named `name` (wanders while none is seen).
 */
export type BotPattern =
  | {
      /** Random walk with pauses. */
      readonly kind: 'wander';
    }
  | {
      /** Walk round a circle about the join point. */
      readonly kind: 'circle';
      /** Circle radius, metres (default 6). */
      readonly radiusM?: number;
    }
  | {
      /** Walk to a point, then mill about near it. */
      readonly kind: 'crowd';
      /** The gathering point, world metres (y is ignored). */
      readonly to: Vec3;
      /** Distance from `to` within which the bot wanders instead of heading in, metres (default 3). */
      readonly radiusM?: number;
    }
  | {
      /** Walk towards another player's avatar. */
      readonly kind: 'follow';
      /** Roster name of the player to follow. */
      readonly name: string;
    };

/** A move input: each axis −1, 0 or 1 (what a keyboard gives). */
export interface BotMove {
  /** Sideways input: −1 (−x), 0 or 1 (+x). */
  readonly moveX: number;
  /** Forward input: −1 (−z), 0 or 1 (+z). */
  readonly moveZ: number;
}

/** The parsed form of `--pattern wander|circle|crowd:x,z|follow:name` (the load test's flag). */
export function parseBotPattern(text: string): BotPattern {
  const [kind, arg] = text.split(':', 2) as [string, string | undefined];
  if (kind === 'wander') return { kind };
  if (kind === 'circle') return arg ? { kind, radiusM: positive(arg, 'circle radius') } : { kind };
  if (kind === 'crowd') {
    const [x, z] = (arg ?? '').split(',').map(Number);
    if (!Number.isFinite(x) || !Number.isFinite(z)) throw new Error(`bot pattern ${JSON.stringify(text)}: crowd needs a point, e.g. crowd:8,8`);
    return { kind, to: { x: x!, y: 0, z: z! } };
  }
  if (kind === 'follow') {
    if (!arg) throw new Error(`bot pattern ${JSON.stringify(text)}: follow needs a player's name, e.g. follow:alice`);
    return { kind, name: arg };
  }
  throw new Error(`bot pattern ${JSON.stringify(text)}: expected wander, circle[:radius], crowd:x,z or follow:name`);
}

function positive(s: string, what: string): number {
  const n = Number(s);
  if (!(n > 0)) throw new Error(`${what} must be a positive number, got ${JSON.stringify(s)}`);
  return n;
}

/** Steers one bot; `next` is called every `everyMs` with where things are. */
export class BotSteering {
  private readonly rng: SeededRng;
  private home: Vec3 | undefined;
  private angle = 0;

  constructor(
    /** The walk this steering follows. */
    readonly pattern: BotPattern,
    seed: number,
  ) {
    this.rng = new SeededRng(seed);
    this.angle = this.rng.next() * Math.PI * 2;
  }

  /** The move to make now, from the bot's position and (for `follow`) the target's. */
  next(at: Vec3 | undefined, target?: Vec3): BotMove {
    const p = this.pattern;
    if (at && !this.home) this.home = at;
    switch (p.kind) {
      case 'circle': {
        if (!at || !this.home) return this.wander();
        this.angle += 0.6;
        const r = p.radiusM ?? 6;
        return towards(at, { x: this.home.x + Math.cos(this.angle) * r, y: 0, z: this.home.z + Math.sin(this.angle) * r }, 0.5);
      }
      case 'crowd':
        if (!at) return this.wander();
        return dist2(at, p.to) > (p.radiusM ?? 3) ** 2 ? towards(at, p.to, 0.5) : this.wander();
      case 'follow':
        return at && target && dist2(at, target) > 4 ? towards(at, target, 0.5) : this.wander();
      case 'wander':
        return this.wander();
    }
  }

  private wander(): BotMove {
    if (this.rng.next() < 0.15) return { moveX: 0, moveZ: 0 };
    return { moveX: this.rng.int(3) - 1, moveZ: this.rng.int(3) - 1 };
  }
}

const dist2 = (a: Vec3, b: Vec3): number => (a.x - b.x) ** 2 + (a.z - b.z) ** 2;

/** The keyboard move that heads from `a` to `b` (an axis stays 0 within `deadM`). */
function towards(a: Vec3, b: Vec3, deadM: number): BotMove {
  const dx = b.x - a.x;
  const dz = b.z - a.z;
  return { moveX: Math.abs(dx) < deadM ? 0 : Math.sign(dx), moveZ: Math.abs(dz) < deadM ? 0 : Math.sign(dz) };
}
