import { describe, expect, it } from 'vitest';
import { entityDesc, entitiesDigest, ReplicaStore, resolveWorldConfig, type EntityDesc } from '../../src/index.js';

// Full states travel on the reliable path, deltas on the unreliable one: a delta sent after a
// full state may arrive first. Refused as older than that delta, the full state was lost to the
// replica until the next one — once a second, that was a short wait; with full states sent only
// where needed (a request, a join; every 10 s otherwise) it left a replica unrepaired for 10 s.

const config = resolveWorldConfig({ tileEdge: 16 });
const tile = { x: 0, y: 0, z: 0 };
const box = (id: number, x: number): EntityDesc => entityDesc({ id, kind: 'box', body: { type: 'dynamic', shape: { type: 'box', halfExtents: { x: 0.25, y: 0.25, z: 0.25 } } }, position: { x, y: 1, z: 1 } });

describe('a full state overtaken by a newer delta', () => {
  it('is taken (it is newer than the last full state); entities the newer delta placed keep that pose', () => {
    const r = new ReplicaStore(config);
    expect(r.applyKeyframe(tile, 1, 100, [box(1, 1), box(2, 2)])).toBe('applied');
    // The delta of tick 160 arrives before the full state of tick 150.
    expect(r.applyDelta(tile, 1, 160, [{ id: 1, x: 5, y: 1, z: 1, rotation: undefined, vx: 0, vy: 0, vz: 0 }], [])).toBe('applied');
    const late = [box(1, 4), box(2, 3)];
    expect(r.applyKeyframe(tile, 1, 150, late)).toBe('applied');
    expect(r.keyframeDigest(tile)).toEqual({ tick: 150, digest: entitiesDigest(late) });
    expect(r.get(1)!.position.x).toBe(5);
    expect(r.get(1)!.tick).toBe(160);
    expect(r.get(2)!.position.x).toBe(3);
    // Still refused: a full state older than the last full state, and one of an older epoch.
    expect(r.applyKeyframe(tile, 1, 140, [box(1, 0)])).toBe('old-tick');
    expect(r.applyKeyframe(tile, 0, 170, [box(1, 0)])).toBe('stale-epoch');
    expect(r.get(1)!.position.x).toBe(5);
  });
});
