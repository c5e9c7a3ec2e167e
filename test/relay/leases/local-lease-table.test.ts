import { describe, expect, it } from 'vitest';
import { RELAY_PEER } from '../../../src/index.js';
import { LocalLeaseTable } from '../../../relay/leases/local-lease-table.js';
import type { LeaseDecision } from '../../../relay/leases/lease-table.js';

/** The in-process table decides before the call returns: the relay core relies on that. */
function now(start: (decided: (d: LeaseDecision) => void) => void): LeaseDecision {
  let out: LeaseDecision | undefined;
  start((d) => (out = d));
  if (!out) throw new Error('not decided at once');
  return out;
}

describe('LocalLeaseTable', () => {
  it('grants a new tile at epoch 1 to the node, and refuses a second grant', () => {
    const t = new LocalLeaseTable('a');
    expect(now((d) => t.grant('0,0,0', RELAY_PEER, d))).toEqual({ granted: true, entry: { node: 'a', owner: RELAY_PEER, epoch: 1 } });
    expect(t.get('0,0,0')).toEqual({ node: 'a', owner: RELAY_PEER, epoch: 1 });
    expect(now((d) => t.grant('0,0,0', 7, d))).toEqual({ granted: false, reason: 'held', current: { node: 'a', owner: RELAY_PEER, epoch: 1 } });
    expect(t.get('1,0,0')).toBeUndefined();
  });

  it('transfers only from the current epoch, and only to a greater one', () => {
    const t = new LocalLeaseTable('a');
    now((d) => t.grant('0,0,0', RELAY_PEER, d));
    expect(now((d) => t.transfer('0,0,0', 1, 5, 2, d))).toEqual({ granted: true, entry: { node: 'a', owner: 5, epoch: 2 } });
    // A change based on epoch 1 comes too late.
    expect(now((d) => t.transfer('0,0,0', 1, 6, 3, d))).toMatchObject({ granted: false, reason: 'stale-epoch', current: { owner: 5, epoch: 2 } });
    // Epochs never go back or stay.
    expect(now((d) => t.transfer('0,0,0', 2, 6, 2, d))).toMatchObject({ granted: false, reason: 'stale-epoch' });
    expect(now((d) => t.transfer('0,0,0', 2, 6, 4, d))).toEqual({ granted: true, entry: { node: 'a', owner: 6, epoch: 4 } });
    expect(t.get('0,0,0')?.epoch).toBe(4);
  });

  it('renews and releases only for the holder at its epoch; a released tile is granted at a newer epoch', () => {
    const t = new LocalLeaseTable('a');
    now((d) => t.grant('0,0,0', 3, d));
    expect(now((d) => t.renew('0,0,0', 3, 1, d)).granted).toBe(true);
    expect(now((d) => t.renew('0,0,0', 4, 1, d))).toMatchObject({ granted: false, reason: 'not-holder' });
    expect(now((d) => t.renew('0,0,0', 3, 2, d))).toMatchObject({ granted: false, reason: 'not-holder' });
    expect(now((d) => t.release('0,0,0', 4, 1, d))).toMatchObject({ granted: false, reason: 'not-holder' });
    expect(now((d) => t.release('0,0,0', 3, 1, d)).granted).toBe(true);
    expect(t.get('0,0,0')).toBeUndefined();
    expect(now((d) => t.renew('0,0,0', 3, 1, d))).toMatchObject({ granted: false, reason: 'not-holder', current: undefined });
    expect(now((d) => t.grant('0,0,0', 9, d))).toEqual({ granted: true, entry: { node: 'a', owner: 9, epoch: 2 } });
  });

  it('renewAll decides each renewal at once, in order, as renew would', () => {
    const t = new LocalLeaseTable('a');
    now((d) => t.grant('0,0,0', 3, d));
    now((d) => t.grant('1,0,0', 4, d));
    const got: [number, boolean][] = [];
    t.renewAll(
      [
        { tile: '0,0,0', owner: 3, epoch: 1 },
        { tile: '1,0,0', owner: 3, epoch: 1 },
        { tile: '1,0,0', owner: 4, epoch: 1 },
      ],
      (i, d) => got.push([i, d.granted]),
    );
    expect(got).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ]);
  });
});
