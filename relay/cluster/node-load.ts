/** What a relay node reports of its work in its membership key (the assignment weighs it). */
export interface NodeLoad {
  /** Players connected to the node. */
  readonly players: number;
  /** Tiles the node simulates itself (no player owns them). */
  readonly tiles: number;
  /** Share of one core the node's process used over its last heartbeat period (0..1, may exceed 1 with worker threads). */
  readonly cpu: number;
}

/** One live node of the cluster and its last reported load. */
export interface ClusterMember {
  /** The node's id. */
  readonly node: string;
  /** Its load at its last heartbeat. */
  readonly load: NodeLoad;
}

/** A membership key's value, parsed; undefined when it is not a load. */
export function parseLoad(text: string): NodeLoad | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined; // not JSON: not a member's key
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { players, tiles, cpu } = v as Record<string, unknown>;
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  return ok(players) && ok(tiles) && ok(cpu) ? { players, tiles, cpu } : undefined;
}
