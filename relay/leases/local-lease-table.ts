import type { PeerId } from '../../src/index.js';
import { LeaseRefusal, type LeaseDecided, type LeaseEntry, type LeaseRenewal, type LeaseTable, type RenewalsDecided } from './lease-table.js';

/**
 * The lease table of a single relay process (the default): a map in memory, every change
 * decided before the call returns.
 */
export class LocalLeaseTable implements LeaseTable {
  /** This node's id (`local` unless named). */
  readonly node: string;
  /** Held tiles' leases. */
  private readonly held = new Map<string, LeaseEntry>();
  /** The last epoch of tiles released and held by nobody (a later grant must be newer). */
  private readonly releasedAt = new Map<string, number>();

  /** A table whose leases name `node`. */
  constructor(node = 'local') {
    this.node = node;
  }

  /** The tile's lease, if someone holds it. */
  get(tile: string): LeaseEntry | undefined {
    return this.held.get(tile);
  }

  /** Grants a tile nobody holds to `owner`, at its last epoch + 1; decided at once. */
  grant(tile: string, owner: PeerId, decided: LeaseDecided): void {
    const current = this.held.get(tile);
    if (current) return decided({ granted: false, reason: LeaseRefusal.Held, current });
    this.set(tile, owner, (this.releasedAt.get(tile) ?? 0) + 1, decided);
  }

  /** Moves the tile from `fromEpoch` to `owner` at `epoch`; decided at once. */
  transfer(tile: string, fromEpoch: number, owner: PeerId, epoch: number, decided: LeaseDecided): void {
    const current = this.held.get(tile);
    const at = current?.epoch ?? this.releasedAt.get(tile) ?? 0;
    if (at !== fromEpoch || epoch <= at) return decided({ granted: false, reason: LeaseRefusal.StaleEpoch, current });
    this.set(tile, owner, epoch, decided);
  }

  /** Confirms the holder; decided at once. */
  renew(tile: string, owner: PeerId, epoch: number, decided: LeaseDecided): void {
    const current = this.held.get(tile);
    if (!this.holds(current, owner, epoch)) return decided({ granted: false, reason: LeaseRefusal.NotHolder, current });
    decided({ granted: true, entry: current! });
  }

  /** Confirms every holder; each decided at once, in order. */
  renewAll(renewals: readonly LeaseRenewal[], decided: RenewalsDecided): void {
    renewals.forEach((r, i) => this.renew(r.tile, r.owner, r.epoch, (d) => decided(i, d)));
  }

  /** The holder gives the tile up; decided at once. */
  release(tile: string, owner: PeerId, epoch: number, decided: LeaseDecided): void {
    const current = this.held.get(tile);
    if (!this.holds(current, owner, epoch)) return decided({ granted: false, reason: LeaseRefusal.NotHolder, current });
    this.held.delete(tile);
    this.releasedAt.set(tile, epoch);
    decided({ granted: true, entry: current! });
  }

  private holds(e: LeaseEntry | undefined, owner: PeerId, epoch: number): boolean {
    return e !== undefined && e.node === this.node && e.owner === owner && e.epoch === epoch;
  }

  private set(tile: string, owner: PeerId, epoch: number, decided: LeaseDecided): void {
    const entry: LeaseEntry = { node: this.node, owner, epoch };
    this.held.set(tile, entry);
    this.releasedAt.delete(tile);
    decided({ granted: true, entry });
  }
}
