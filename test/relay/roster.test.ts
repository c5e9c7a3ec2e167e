import { describe, expect, it } from 'vitest';
import { ChunkAssembler, decodeMessage, encodeMessage, initPhysics, MAX_ROSTER_ENTRIES, MemoryNetwork, MsgType, PROTOCOL_VERSION, RosterView, standardKinds, VirtualScheduler, type Link, type Message } from '../../src/index.js';
import { RelayCore } from '../../relay/relay-core.js';
import { ed25519Signer } from '../../relay/lease-signer.js';
import { SCENES } from '../../relay/server.js';

const EDGE = 16;

interface Raw {
  readonly link: Link;
  /** Every roster message received, with the relay tick count when it arrived. */
  readonly rosters: { at: number; m: Extract<Message, { type: typeof MsgType.Roster | typeof MsgType.RosterDelta }> }[];
  peer: number | undefined;
}

/** A relay with raw players (no simulation on their side), ticked every 4 ms of virtual time. */
async function world(rosterPageEntries?: number): Promise<{ join(name: string): Raw; run(ms: number): void; ticks(): number }> {
  await initPhysics();
  const scheduler = new VirtualScheduler();
  const net = new MemoryNetwork(7, scheduler, { delayMs: 0, jitterMs: 0 });
  const relay = new RelayCore({ world: 'test', scene: SCENES['demo']!(), registry: standardKinds(), now: () => scheduler.now(), signer: ed25519Signer(), log: () => {}, checkToken: () => undefined, ...(rosterPageEntries !== undefined ? { rosterPageEntries } : {}) });
  let ticks = 0;
  return {
    join(name) {
      const [me, relayEnd] = net.pair();
      const raw: Raw = { link: me, rosters: [], peer: undefined };
      const assembler = new ChunkAssembler();
      me.onMessage = (b) => {
        let m = decodeMessage(b, EDGE);
        if (m.type === MsgType.Chunk) {
          const whole = assembler.add(m);
          if (!whole) return;
          m = decodeMessage(whole, EDGE, Number.MAX_SAFE_INTEGER);
        }
        if (m.type === MsgType.Welcome) raw.peer = m.peer;
        if (m.type === MsgType.Roster || m.type === MsgType.RosterDelta) raw.rosters.push({ at: ticks, m });
      };
      relay.connect(relayEnd);
      me.send(encodeMessage({ type: MsgType.Hello, version: PROTOCOL_VERSION, world: 'test', name, token: '' }, EDGE), true);
      return raw;
    },
    run(ms) {
      for (let t = 0; t < ms; t += 4) {
        scheduler.advance(4);
        relay.tick();
        ticks++;
      }
    },
    ticks: () => ticks,
  };
}

const namesOf = (r: Raw): string[] => {
  const view = new RosterView();
  for (const { m } of r.rosters) view.apply(m);
  return view.players().map((p) => p.name);
};

describe('the roster', () => {
  it('gives a joining player the whole roster once, then only what changed, at most once per relay tick', async () => {
    const w = await world();
    const ann = w.join('ann');
    const ben = w.join('ben');
    w.run(40);
    expect(namesOf(ann)).toEqual(['ann', 'ben']);
    expect(namesOf(ben)).toEqual(['ann', 'ben']);
    // Two joins before the same tick: one full roster each, no delta besides.
    expect(ann.rosters.map((r) => r.m.type)).toEqual([MsgType.Roster]);
    const cal = w.join('cal');
    const dan = w.join('dan');
    w.run(40);
    expect(namesOf(cal)).toEqual(['ann', 'ben', 'cal', 'dan']);
    expect(cal.rosters.map((r) => r.m.type)).toEqual([MsgType.Roster]);
    // ann heard of cal and dan in one delta, not the whole list again.
    expect(ann.rosters.map((r) => r.m)).toEqual([
      { type: MsgType.Roster, players: expect.any(Array) },
      { type: MsgType.RosterDelta, added: [expect.objectContaining({ name: 'cal', peer: cal.peer }), expect.objectContaining({ name: 'dan', peer: dan.peer })], removed: [] },
    ]);
    ben.link.close();
    w.run(40);
    expect(namesOf(ann)).toEqual(['ann', 'cal', 'dan']);
    expect(ann.rosters.at(-1)!.m).toEqual({ type: MsgType.RosterDelta, added: [], removed: [ben.peer] });
    // Nothing changed: nothing sent.
    const before = ann.rosters.length;
    w.run(200);
    expect(ann.rosters.length).toBe(before);
    // At most one roster message per tick for every player.
    for (const r of [ann, cal, dan]) expect(new Set(r.rosters.map((x) => x.at)).size).toBe(r.rosters.length);
  });

  it('tells nobody of a player who joined and left between two ticks', async () => {
    const w = await world();
    const ann = w.join('ann');
    w.run(20);
    const eve = w.join('eve');
    eve.link.close();
    w.run(20);
    expect(ann.rosters.map((r) => r.m.type)).toEqual([MsgType.Roster]);
    expect(namesOf(ann)).toEqual(['ann']);
  });

  it('pages a roster longer than a page (MAX_ROSTER_ENTRIES on the wire; 4 here): a Roster, then RosterDeltas', async () => {
    const w = await world(4);
    const players: Raw[] = [];
    for (let i = 0; i < 10; i++) players.push(w.join(`p${i}`));
    w.run(8);
    expect(players.every((p) => p.peer !== undefined)).toBe(true);
    const last = players.at(-1)!;
    expect(last.rosters.map((r) => r.m.type)).toEqual([MsgType.Roster, MsgType.RosterDelta, MsgType.RosterDelta]);
    expect(last.rosters.map((r) => (r.m.type === MsgType.Roster ? r.m.players : r.m.added).length)).toEqual([4, 4, 2]);
    expect(namesOf(last)).toEqual(players.map((_, i) => `p${i}`));
    // Six join and five leave before one tick: the others' deltas are paged too.
    const more: Raw[] = [];
    for (let i = 0; i < 6; i++) more.push(w.join(`q${i}`));
    for (const p of players.slice(1, 6)) p.link.close();
    w.run(8);
    const expected = ['p0', 'p6', 'p7', 'p8', 'p9', 'q0', 'q1', 'q2', 'q3', 'q4', 'q5'];
    expect(namesOf(players[0]!)).toEqual(expected);
    expect(players[0]!.rosters.slice(3).map((r) => r.m.type === MsgType.RosterDelta && [r.m.added.length, r.m.removed.length])).toEqual([[4, 4], [2, 1]]);
    expect(namesOf(more[5]!)).toEqual(expected);
    expect(MAX_ROSTER_ENTRIES).toBe(4096);
  });
});
