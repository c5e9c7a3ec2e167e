import type { PeerId } from '../../src/index.js';

/**
 * Who holds one tile, and at which epoch. A node holds a tile for one of its players, or for
 * itself (`owner` is then `RELAY_PEER`: the node simulates the tile).
 */
export interface LeaseEntry {
  /** The relay node that granted the lease (`LeaseTable.node`). */
  readonly node: string;
  /** The holder: a player of that node, or `RELAY_PEER` when the node simulates the tile itself. */
  readonly owner: PeerId;
  /** Grows with every change of holder, whichever node makes it; never reused for a tile. */
  readonly epoch: number;
}

/** Why a lease change was refused. */
export const LeaseRefusal = {
  /** The tile's epoch is not the one the change was based on (another change came first). */
  StaleEpoch: 'stale-epoch',
  /** A grant for a tile someone already holds. */
  Held: 'held',
  /** A renewal or release by someone who is not the tile's holder at that epoch. */
  NotHolder: 'not-holder',
  /** The table could not be asked (its store is unreachable): nothing changed. */
  Unreachable: 'unreachable',
} as const;
/** Why a lease change was refused (`LeaseRefusal`). */
export type LeaseRefusal = (typeof LeaseRefusal)[keyof typeof LeaseRefusal];

/** The answer to a lease change. Only a granted change takes effect. */
export type LeaseDecision =
  | {
      /** The change happened. */
      readonly granted: true;
      /** The tile's lease after it. */
      readonly entry: LeaseEntry;
    }
  | {
      /** Nothing changed. */
      readonly granted: false;
      /** Why. */
      readonly reason: LeaseRefusal;
      /** The tile's lease as the table knows it (undefined: nobody holds it, or unknown when unreachable). */
      readonly current: LeaseEntry | undefined;
    };

/** Receives a lease change's decision. */
export type LeaseDecided = (decision: LeaseDecision) => void;

/** One holder to confirm in `LeaseTable.renewAll`. */
export interface LeaseRenewal {
  /** The tile's key. */
  readonly tile: string;
  /** Its holder on this node. */
  readonly owner: PeerId;
  /** The epoch it holds the tile at. */
  readonly epoch: number;
}

/** Receives the decision on `renewals[index]` of a `renewAll`. */
export type RenewalsDecided = (index: number, decision: LeaseDecision) => void;

/**
 * The lease table: who holds each tile (by tile key) at which epoch. Every change is a
 * compare-and-set on the tile's epoch, so a tile has at most one holder per epoch and epochs
 * only grow. Reads are synchronous (this node's view); a change is decided by the table and
 * reported to `decided`: at once, before the call returns, by the in-process table
 * (`LocalLeaseTable`), when the store answers by a shared one (`RedisLeaseTable`). The caller
 * acts on a change only in `decided`, and only when it was granted.
 */
export interface LeaseTable {
  /** This node's id: every lease it grants names it. */
  readonly node: string;
  /** The tile's lease in this node's view; undefined when nobody holds it (as far as this node knows). */
  get(tile: string): LeaseEntry | undefined;
  /**
   * First lease of a tile nobody holds, to `owner` of this node, at the tile's last epoch + 1
   * (1 for a tile never leased). Refused (`held`) when someone holds it.
   */
  grant(tile: string, owner: PeerId, decided: LeaseDecided): void;
  /**
   * Hands the tile, whose epoch must still be `fromEpoch`, to `owner` of this node at `epoch`
   * (greater than `fromEpoch`). Refused (`stale-epoch`) when the tile's epoch is no longer
   * `fromEpoch` or `epoch` does not grow it.
   */
  transfer(tile: string, fromEpoch: number, owner: PeerId, epoch: number, decided: LeaseDecided): void;
  /** Confirms `owner` of this node still holds the tile at `epoch` (before its lease is signed again). Refused (`not-holder`) otherwise. */
  renew(tile: string, owner: PeerId, epoch: number, decided: LeaseDecided): void;
  /**
   * `renew` for many tiles in one step (one script call for a shared store, however many tiles):
   * `decided(i, d)` for each renewal, in order. While the store is unreachable, every one is refused.
   */
  renewAll(renewals: readonly LeaseRenewal[], decided: RenewalsDecided): void;
  /** `owner` of this node gives the tile up: nobody holds it; its epoch stays, so the next grant is newer. Refused (`not-holder`) unless it holds it at `epoch`. */
  release(tile: string, owner: PeerId, epoch: number, decided: LeaseDecided): void;
}

/** Awaits one lease change of a table (tests, tools): `decision((d) => table.grant('0,0,0', 1, d))`. */
export function decision(start: (decided: LeaseDecided) => void): Promise<LeaseDecision> {
  return new Promise((resolve) => start(resolve));
}
