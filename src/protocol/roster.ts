import { MsgType, type PeerId, type RosterEntry } from './messages.js';

/** A `Roster` or a `RosterDelta` message. */
export type RosterMessage =
  | {
      /** Tag: `MsgType.Roster` (the whole roster, replacing the copy). */
      readonly type: typeof MsgType.Roster;
      /** Players now joined, ascending by peer id. */
      readonly players: readonly RosterEntry[];
    }
  | {
      /** Tag: `MsgType.RosterDelta` (changes since the last roster message, applied in order). */
      readonly type: typeof MsgType.RosterDelta;
      /** Players who joined, or whose entry changed. */
      readonly added: readonly RosterEntry[];
      /** Peer ids of players who left. */
      readonly removed: readonly PeerId[];
    };

/**
 * A client's copy of the world's players, kept from the relay's `Roster` (which replaces it) and
 * `RosterDelta` messages (applied in order). The relay sends one full roster when a player joins,
 * then only what changed, at most once per relay tick.
 */
export class RosterView {
  private readonly byPeer = new Map<PeerId, RosterEntry>();
  private sorted: readonly RosterEntry[] | undefined = [];

  /** Applies a `Roster` (the list anew) or a `RosterDelta` (adds and changes, then removals). */
  apply(m: RosterMessage): void {
    if (m.type === MsgType.Roster) this.byPeer.clear();
    const added = m.type === MsgType.Roster ? m.players : m.added;
    for (const p of added) this.byPeer.set(p.peer, { peer: p.peer, name: p.name, avatar: p.avatar });
    if (m.type === MsgType.RosterDelta) for (const id of m.removed) this.byPeer.delete(id);
    this.sorted = undefined;
  }

  /** The player with this peer id, if listed. */
  get(peer: PeerId): RosterEntry | undefined {
    return this.byPeer.get(peer);
  }

  /** How many players are listed. */
  get size(): number {
    return this.byPeer.size;
  }

  /** Every listed player, ascending by peer id (the same array until the next change). */
  players(): readonly RosterEntry[] {
    return (this.sorted ??= [...this.byPeer.values()].sort((a, b) => a.peer - b.peer));
  }
}
