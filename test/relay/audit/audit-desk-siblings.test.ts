import { describe, expect, it } from 'vitest';
import { entityDesc, groundBody, initPhysics, resolveWorldConfig, standardKinds, tileId, TileSimulation, type EntityDesc, type TileId } from '../../../src/index.js';
import type { TickRecord } from '../../../src/sim/tick-record.js';
import { AuditDesk, DEFAULT_AUDIT_CONFIG, type Finding } from '../../../relay/audit/audit-desk.js';
import { InlineAuditor } from '../../../relay/audit/auditor.js';
import { InputLedger } from '../../../relay/audit/input-ledger.js';
import { RoutedEvidence } from '../../../relay/audit/routed-evidence.js';

const A = tileId(0, 0, 0);
const B = tileId(1, 0, 0);
const FAR = tileId(5, 0, 5);
const EMPTY: TickRecord = { inbound: [], messages: [], inputs: [], after: [] };

/** An audit desk on its own (no relay), with the owner holding the tiles given; every window sampled never, so only record checks speak. */
async function desk(tiles: { tile: TileId; owner: number }[]): Promise<{ desk: AuditDesk; findings: Finding[] }> {
  await initPhysics();
  const config = resolveWorldConfig({ tileEdge: 16, seed: 1 });
  const registry = standardKinds();
  const findings: Finding[] = [];
  const d = new AuditDesk(
    { config, registry, now: () => 0, currentTick: () => 100, requestState: () => {}, isSuspect: () => false, found: (f) => findings.push(f) },
    new InlineAuditor(config, registry),
    new InputLedger(),
    new RoutedEvidence(config.tickRate),
    { ...DEFAULT_AUDIT_CONFIG, sampleProbability: 0 },
    1,
  );
  for (const { tile, owner } of tiles) {
    const sim = TileSimulation.create(tile, config, registry, [], 0);
    d.onLease(tile, owner, 2, 0, sim.snapshot());
    sim.dispose();
  }
  return { desk: d, findings };
}

const crate = (id: number): EntityDesc => entityDesc({ id, kind: 'box', body: { ...groundBody(0.2, 0.2, 0.2), type: 'dynamic' }, position: { x: 15.5, y: 2, z: 8 } });
const commit = (d: AuditDesk, tile: TileId, owner: number, tick: number, record: TickRecord): string | undefined => d.onCommits(tile, owner, 2, tick, [[1, 2, 3]], [record], 10);

describe("the audit desk's record checks against the owner's other tiles", () => {
  it('takes an arrival nobody routed when the owner holds a neighbouring tile (it may have come from there), and convicts one with no such tile', async () => {
    const arrival: TickRecord = { ...EMPTY, after: [{ ghosts: [], removals: [], immigrants: [crate(9001)] }] };
    const withSibling = await desk([{ tile: A, owner: 7 }, { tile: B, owner: 7 }]);
    expect(commit(withSibling.desk, A, 7, 10, arrival)).toBeUndefined();
    expect(withSibling.findings).toEqual([]);
    const farSibling = await desk([{ tile: A, owner: 7 }, { tile: FAR, owner: 7 }, { tile: B, owner: 8 }]);
    expect(commit(farSibling.desk, A, 7, 10, arrival)).toBeUndefined();
    expect(farSibling.findings.map((f) => f.reason)).toEqual(['invented-arrival']);
  });

  it('convicts mail nobody forwarded when the owner holds no other tile, and waits for its sender tile when it does', async () => {
    const mail: TickRecord = { ...EMPTY, messages: [{ from: 5000, to: 5001, topic: 'open', data: {}, dueTick: 12, seq: 1 }] };
    const alone = await desk([{ tile: A, owner: 7 }, { tile: B, owner: 8 }]);
    commit(alone.desk, A, 7, 10, mail);
    expect(alone.findings.map((f) => f.reason)).toEqual(['invented-message']);
    const two = await desk([{ tile: A, owner: 7 }, { tile: FAR, owner: 7 }]);
    commit(two.desk, A, 7, 10, mail);
    expect(two.findings).toEqual([]);
  });

  it('checks records with nothing in them, tick after tick, finding nothing (the owner\'s other tiles are not looked up for them)', async () => {
    const many = await desk([{ tile: A, owner: 7 }, { tile: B, owner: 7 }, { tile: FAR, owner: 9 }]);
    for (let t = 1; t <= 200; t++) expect(commit(many.desk, A, 7, t, EMPTY)).toBeUndefined();
    expect(many.findings).toEqual([]);
    // …and a record with an arrival after them is still matched against them.
    commit(many.desk, A, 7, 201, { ...EMPTY, inbound: [{ ghosts: [], removals: [], immigrants: [crate(9002)] }] });
    expect(many.findings).toEqual([]);
  });
});
