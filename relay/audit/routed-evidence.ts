import { entityEvidenceKey, messageEvidenceKey, migrantAfterTransit, MAX_TRANSIT_TICKS, type EntityDesc, type EntityId, type EntityMessage } from '../../src/index.js';

interface RoutedArrival {
  readonly at: number;
  readonly id: EntityId;
  /** Keys of the forms the arrival may take in the owner's record (moved along its velocity for 0..30 ticks of transit). */
  readonly keys: ReadonlySet<string>;
  used: boolean;
}

interface RoutedItem {
  readonly at: number;
  readonly key: string;
  used: boolean;
}

interface TileEvidence {
  arrivals: RoutedArrival[];
  removals: RoutedItem[];
  mail: RoutedItem[];
}

/**
 * What the relay itself put into each peer-owned tile — spawns and migrations it routed to the
 * owner, removals it ordered (despawns) or that the owner reported by migrating an entity away,
 * and mail it forwarded. The audit's evidence rule: an arrival, removal or message in an owner's
 * record that is not here must have been produced by a tile of the same owner (which a
 * re-execution then shows), or it is a finding. Each routed item vouches for one record item.
 */
export class RoutedEvidence {
  private readonly tiles = new Map<string, TileEvidence>();

  constructor(
    private readonly tickRate: number,
    /** Ticks an item stays usable (default 10 s). */
    private readonly keepTicks = tickRate * 10,
  ) {}

  /** Routed items kept (the fault simulator's memory check). */
  retained(): { routedItems: number } {
    let n = 0;
    for (const t of this.tiles.values()) n += t.arrivals.length + t.removals.length + t.mail.length;
    return { routedItems: n };
  }

  private of(tile: string): TileEvidence {
    let t = this.tiles.get(tile);
    if (!t) this.tiles.set(tile, (t = { arrivals: [], removals: [], mail: [] }));
    return t;
  }

  /** The relay sent `entity` to the owner of `tile`: a spawn (`fromTick` undefined) or a migration whose state is of `fromTick`. */
  arrival(tile: string, entity: EntityDesc, fromTick: number | undefined, atTick: number): void {
    const keys = new Set<string>([entityEvidenceKey(entity)]);
    if (fromTick !== undefined) for (let gap = 1; gap <= MAX_TRANSIT_TICKS; gap++) keys.add(entityEvidenceKey(migrantAfterTransit(entity, gap, this.tickRate)));
    this.of(tile).arrivals.push({ at: atTick, id: entity.id, keys, used: false });
  }

  /** `id` left `tile` with the relay's knowledge: a despawn it sent, or a migration out the owner reported. */
  removal(tile: string, id: EntityId, atTick: number): void {
    this.of(tile).removals.push({ at: atTick, key: String(id), used: false });
  }

  /** The relay forwarded `message` to the owner of `tile`. */
  mail(tile: string, message: EntityMessage, atTick: number): void {
    this.of(tile).mail.push({ at: atTick, key: messageEvidenceKey(message), used: false });
  }

  /** Takes the routed arrival a logged immigrant stands for; false when the relay routed none. */
  takeArrival(tile: string, entity: EntityDesc): boolean {
    const key = entityEvidenceKey(entity);
    const a = this.tiles.get(tile)?.arrivals.find((x) => !x.used && x.id === entity.id && x.keys.has(key));
    if (!a) return false;
    a.used = true;
    return true;
  }

  /** Takes the routed removal a logged removal stands for. */
  takeRemoval(tile: string, id: EntityId): boolean {
    return take(this.tiles.get(tile)?.removals, String(id));
  }

  /** Takes the forwarded mail a logged message stands for. */
  takeMail(tile: string, message: EntityMessage): boolean {
    return take(this.tiles.get(tile)?.mail, messageEvidenceKey(message));
  }

  /** Forgets items older than the keep time. */
  prune(nowTick: number): void {
    const oldest = nowTick - this.keepTicks;
    for (const [key, t] of this.tiles) {
      t.arrivals = t.arrivals.filter((x) => x.at >= oldest);
      t.removals = t.removals.filter((x) => x.at >= oldest);
      t.mail = t.mail.filter((x) => x.at >= oldest);
      if (t.arrivals.length + t.removals.length + t.mail.length === 0) this.tiles.delete(key);
    }
  }

  /** Items held (for metrics and the memory bound). */
  get size(): number {
    let n = 0;
    for (const t of this.tiles.values()) n += t.arrivals.length + t.removals.length + t.mail.length;
    return n;
  }
}

function take(list: RoutedItem[] | undefined, key: string): boolean {
  const x = list?.find((i) => !i.used && i.key === key);
  if (!x) return false;
  x.used = true;
  return true;
}
