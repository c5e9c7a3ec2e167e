import { describe, expect, it } from 'vitest';
import { AVATAR_BODY, entityDesc, groundBody, initPhysics, MsgType, resolveWorldConfig, standardKinds, TileAuthority, TileSimulation, type Message } from '../../src/index.js';

// A peer's deltas go over an unreliable channel. A start that is lost leaves every subscriber
// extrapolating a standing avatar, and nothing else is sent until the once-a-second refresh:
// so a change of velocity, and a changed prop, ride the next two deltas too.

const config = resolveWorldConfig({ tileEdge: 16 });
const tile = { x: 0, y: 0, z: 0 };
const AVATAR = 1_000_001;
const SUBSCRIBER = 9;

const WANDERER = 5;

function owner(self: number, sent: { to: number; m: Message }[]): TileAuthority {
  const registry = standardKinds();
  const sim = TileSimulation.create(tile, config, registry, [
    entityDesc({ id: 1, kind: 'ground', body: groundBody(8, 0.5, 8), position: { x: 8, y: 0.5, z: 8 } }),
    entityDesc({ id: AVATAR, kind: 'avatar', body: AVATAR_BODY, position: { x: 4, y: 1.81, z: 8 } }),
    // Turns by the tile's seeded RNG every 10 ticks: nobody steers it.
    entityDesc({ id: WANDERER, kind: 'wanderer', body: AVATAR_BODY, position: { x: 10, y: 1.81, z: 10 }, props: { turnEvery: 10 } }),
  ]);
  const snapshot = sim.snapshot();
  sim.dispose();
  const a = new TileAuthority(config, registry, self, { send: (to, m) => sent.push({ to, m }), ownerOf: () => undefined, tileOfEntity: () => undefined, dropped: () => {} }, { sendEveryTicks: 3, keyframeEveryTicks: 600 }, 0);
  a.adopt(tile, 1, snapshot, [SUBSCRIBER]);
  return a;
}

const deltasAfter = (sent: { to: number; m: Message }[], tick: number) =>
  sent.flatMap(({ to, m }) => (to === SUBSCRIBER && m.type === MsgType.StateDelta && m.tick > tick ? [m] : []));

describe('changes in deltas are repeated', () => {
  it('a peer owner sends a start in three consecutive deltas, its prop change too', async () => {
    await initPhysics();
    const sent: { to: number; m: Message }[] = [];
    const a = owner(7, sent);
    a.stepTo(30); // the avatar settles on the ground
    a.addInputs(30, [{ entity: AVATAR, seq: 0, data: { moveX: 1 } }]);
    a.stepTo(50);
    const deltas = deltasAfter(sent, 30);
    const first = deltas.findIndex((d) => d.poses.some((p) => p.id === AVATAR && p.vx > 4));
    expect(first).toBeGreaterThanOrEqual(0);
    for (const d of deltas.slice(first, first + 3)) expect(d.poses.some((p) => p.id === AVATAR)).toBe(true);
    const withProps = deltas.filter((d) => d.props?.some((u) => u.id === AVATAR && u.props['moveX'] === 1));
    expect(withProps.length).toBe(3);
    // The wanderer's own turns (a behaviour's, predicted by speculative replicas) go once each.
    const turns = deltasAfter(sent, 0).flatMap((d) => (d.props ?? []).filter((u) => u.id === WANDERER).map((u) => JSON.stringify(u.props)));
    expect(turns.length).toBeGreaterThan(2);
    expect(new Set(turns).size).toBe(turns.length);
  });

  it('the relay (reliable links only) sends each change once', async () => {
    await initPhysics();
    const sent: { to: number; m: Message }[] = [];
    const a = owner(0, sent);
    a.stepTo(30);
    a.addInputs(30, [{ entity: AVATAR, seq: 0, data: { moveX: 1 } }]);
    a.stepTo(50);
    const withProps = deltasAfter(sent, 30).filter((d) => d.props?.some((u) => u.id === AVATAR));
    expect(withProps.length).toBe(1);
  });
});
