// A light player of the swarm: speaks the real protocol to the real relay (hello, pings, poses,
// inputs, commitments with their input records, keyframes, handoff states, migrations, audit
// answers: every message encoded as a browser's client encodes it), but does not step its tiles.
// Where its avatar and the avatars in its tiles are comes from the world model; a state it must
// send (keyframe, audit answer, handoff) is a real tile snapshot built from the model at that
// tick, and its commitment for that tick is that snapshot's hash. Its traffic on direct paths
// (state deltas and full states to its tiles' subscribers, inputs to the owner of its avatar's
// tile) is not sent anywhere: its real encoded size is counted at both ends.
import {
  AVATAR_BODY as AVATAR,
  entityEvidenceKey as entityKey,
  ChunkAssembler,
  COMMIT_BATCH_TICKS,
  decodeMessage,
  DEFAULT_REPLICATION,
  encodeForWire,
  encodeMessage,
  MsgType,
  PROTOCOL_VERSION,
  RELAY_PEER,
  tileKey,
  type EntityDesc,
  type EntityInput,
  type TileContinuity,
  type Link,
  type Message,
  type PeerId,
  type TileId,
} from '../../src/index.js';

/** A tile's state built from the model at a tick: what an owner sends as keyframe, audit answer, handoff or full state. */
export interface ModelState {
  readonly snapshot: Uint8Array;
  readonly words: [number, number, number];
  readonly entities: EntityDesc[];
  readonly continuity: TileContinuity;
}

/** What a light player needs from the swarm around it. */
export interface SwarmHost {
  readonly tickRate: number;
  readonly edge: number;
  /** The current shared tick. */
  tick(): number;
  /** Player `i`'s avatar position and velocity at `tick`. */
  position(i: number, tick: number): { x: number; y: number; z: number };
  velocity(i: number, tick: number): { x: number; y: number; z: number };
  /** Whether the walk has started (avatars stand still at their spawn before). */
  walking(tick: number): boolean;
  /** Keys pressed one way then the other (the server-authoritative run: the relay moves avatars, and they must stay in their tiles). */
  readonly rockingKeys?: boolean;
  /** A real snapshot of `tile` at `tick` built from the model, its commitment, entities and continuity. */
  snapshotAt(tile: TileId, tick: number): ModelState;
  /** Players whose avatars are in tile `key` now. */
  playersIn(key: string): readonly number[];
  /** The light player whose peer id this is. */
  player(peer: PeerId): LightPlayer | undefined;
  /** Bytes one player sent another on a direct path (counted at both ends). */
  direct(from: LightPlayer, to: PeerId, bytes: number): void;
  /** An emigrant an owner reported: what a re-execution of that tile would produce (the model auditor reads it). */
  produced(tile: TileId, tick: number, key: string): void;
  /** A player-side event worth counting (errors, incidents). */
  note(what: string): void;
}

interface Owned {
  readonly tile: TileId;
  readonly key: string;
  epoch: number;
  /** Last tick committed. */
  committed: number;
  words: [number, number, number];
  subscribers: PeerId[];
  /** Inputs applied in the step ending at each tick (the records). */
  readonly inputs: Map<number, EntityInput[]>;
  handoff: { atTick: number; epoch: number } | undefined;
  deltaSeq: number;
}

/** One modelled player (see the file's comment). */
export class LightPlayer {
  peer: PeerId | undefined;
  avatar = 0;
  private readonly owned = new Map<string, Owned>();
  /** Owner of each tile this player was told about (the relay's directory of its area of interest). */
  private readonly owners = new Map<string, PeerId>();
  private readonly assembler = new ChunkAssembler({ maxPending: 64 });
  private chunkId = 1;
  private inputSeq = 0;
  private pings = 0;
  private lastPingTick = -1e9;
  private lastPoseTick = -1e9;
  private lastInputTick = -1e9;
  /** Avatars in each owned tile at the last step (to find emigrants). */
  private readonly residents = new Map<string, Set<number>>();

  constructor(
    readonly index: number,
    private readonly host: SwarmHost,
    private readonly link: Link,
  ) {
    link.onMessage = (b) => this.onBytes(b);
  }

  /** Sends the hello (the relay answers with a welcome). */
  join(): void {
    this.sendRelay({ type: MsgType.Hello, version: PROTOCOL_VERSION, world: 'swarm', name: `p${this.index}`, token: '' }, true);
  }

  /** Subscribers of the tiles this player owns (updates it sends per round of deltas). */
  get subscriberCount(): number {
    let n = 0;
    for (const o of this.owned.values()) n += o.subscribers.filter((s) => s !== this.peer).length;
    return n;
  }

  /** Tiles this player owns now. */
  get ownedCount(): number {
    return this.owned.size;
  }

  private sendRelay(m: Message, reliable: boolean): void {
    for (const b of encodeForWire(m, this.chunkId++, this.host.edge)) this.link.send(b, reliable);
  }

  private onBytes(bytes: Uint8Array): void {
    let m: Message;
    // What a light player has no use for is counted (by the link) but not decoded: the roster and stats.
    if (bytes[0] === MsgType.Roster || bytes[0] === MsgType.RosterDelta || bytes[0] === MsgType.AuditStats || bytes[0] === MsgType.Pong || bytes[0] === MsgType.TileState || bytes[0] === MsgType.StateDelta) return;
    try {
      m = decodeMessage(bytes, this.host.edge, Number.MAX_SAFE_INTEGER);
      if (m.type === MsgType.Chunk) {
        const whole = this.assembler.add(m);
        if (!whole) return;
        if (whole[0] === MsgType.Roster || whole[0] === MsgType.RosterDelta) return;
        m = decodeMessage(whole, this.host.edge, Number.MAX_SAFE_INTEGER);
      }
    } catch {
      this.host.note('undecodable');
      return;
    }
    this.onMessage(m);
  }

  private onMessage(m: Message): void {
    const now = this.host.tick();
    switch (m.type) {
      case MsgType.Welcome:
        this.peer = m.peer;
        this.avatar = m.avatar;
        return;
      case MsgType.Directory:
        for (const e of m.entries) this.owners.set(tileKey(e.tile), e.owner);
        return;
      case MsgType.Lease: {
        const key = tileKey(m.lease.tile);
        this.owners.set(key, m.lease.owner);
        return;
      }
      case MsgType.HandoffState: {
        // The tile is ours from its state's tick: its first commitment is of that tick.
        const key = tileKey(m.tile);
        const s = this.host.snapshotAt(m.tile, m.tick);
        this.owned.set(key, { tile: m.tile, key, epoch: m.epoch, committed: m.tick - 1, words: s.words, subscribers: [], inputs: new Map(), handoff: undefined, deltaSeq: 0 });
        this.owners.set(key, this.peer!);
        this.residents.set(key, new Set(this.host.playersIn(key)));
        return;
      }
      case MsgType.Subscribers: {
        const o = this.owned.get(tileKey(m.tile));
        if (o) o.subscribers = m.peers;
        return;
      }
      case MsgType.HandoffRequest: {
        const o = this.owned.get(tileKey(m.tile));
        if (o) o.handoff = { atTick: Math.max(m.atTick, now), epoch: m.epoch };
        return;
      }
      case MsgType.AuditRequest: {
        const o = this.owned.get(tileKey(m.tile));
        if (!o || o.epoch !== m.epoch) return;
        this.sendRelay({ type: MsgType.Keyframe, tile: m.tile, epoch: m.epoch, tick: m.tick, snapshot: this.host.snapshotAt(m.tile, m.tick).snapshot }, true);
        return;
      }
      case MsgType.Incident:
        this.host.note(`incident:${m.incident.reason}`);
        return;
      case MsgType.Error:
        this.host.note(`error:${m.reason.slice(0, 60)}`);
        return;
      case MsgType.Input:
        this.host.note('relay-input-fallback');
        for (const i of m.inputs) this.acceptInput(m.tick, i);
        return;
      default:
        return;
    }
  }

  /** An input for an avatar in one of this player's tiles (over a direct path, or the relay's copy): into the record of the next step not yet committed. */
  acceptInput(tick: number, input: EntityInput): boolean {
    for (const o of this.owned.values()) {
      if (!this.host.playersIn(o.key).some((i) => this.host.player(i + 1)?.avatar === input.entity)) continue;
      const at = Math.max(tick + 1, o.committed + 1);
      const list = o.inputs.get(at) ?? [];
      if (list.some((x) => x.entity === input.entity && x.seq === input.seq)) return true;
      list.push(input);
      o.inputs.set(at, list);
      return true;
    }
    return false;
  }

  /** One tick of the player: pings, pose, inputs, and for each tile it owns commitments, keyframes, deltas, migrations, handoffs. */
  step(): void {
    if (this.peer === undefined) return;
    const now = this.host.tick();
    const rate = this.host.tickRate;
    const pingEvery = this.pings < 5 ? rate / 10 : rate;
    if (now - this.lastPingTick >= pingEvery) {
      this.lastPingTick = now;
      this.pings++;
      this.sendRelay({ type: MsgType.Ping, clientTimeMs: (now * 1000) / rate }, false);
    }
    if (now - this.lastPoseTick >= 6) {
      this.lastPoseTick = now;
      const p = this.host.position(this.index, now);
      this.sendRelay({ type: MsgType.Pose, tick: now, x: p.x, y: p.y, z: p.z }, false);
    }
    // A walking player changes its keys about twice a second (a circle walked with a keyboard).
    if (this.host.walking(now) && now - this.lastInputTick >= rate / 2) {
      this.lastInputTick = now;
      const v = this.host.velocity(this.index, now);
      const rock = Math.floor(now / (rate / 2)) % 2 === 0 ? 1 : -1;
      const data = this.host.rockingKeys ? { moveX: rock, moveZ: 0 } : { moveX: Math.sign(Math.round(v.x)), moveZ: Math.sign(Math.round(v.z)) };
      const input: EntityInput = { entity: this.avatar, seq: this.inputSeq++, data };
      this.sendRelay({ type: MsgType.Input, tick: now, inputs: [input] }, true);
      const key = tileKey(this.tileNow(now));
      const owner = this.owners.get(key);
      if (owner === this.peer) this.acceptInput(now, input);
      else if (owner !== undefined && owner !== RELAY_PEER) {
        this.host.direct(this, owner, encodeMessage({ type: MsgType.Input, tick: now, inputs: [input] }, this.host.edge).length);
        this.host.player(owner)?.acceptInput(now, input);
      }
    }
    for (const o of [...this.owned.values()]) this.stepOwned(o, now);
  }

  private tileNow(now: number): TileId {
    const p = this.host.position(this.index, now);
    return { x: Math.floor(p.x / this.host.edge), y: Math.floor(p.y / this.host.edge), z: Math.floor(p.z / this.host.edge) };
  }

  private stepOwned(o: Owned, now: number): void {
    this.migrants(o, now);
    const until = o.handoff ? Math.min(o.handoff.atTick, now - 1) : now - 1;
    if (until - o.committed >= COMMIT_BATCH_TICKS || (o.handoff && until >= o.handoff.atTick && until > o.committed)) this.commit(o, until);
    if (o.handoff && o.committed >= o.handoff.atTick) {
      const s = this.host.snapshotAt(o.tile, o.handoff.atTick);
      this.sendRelay({ type: MsgType.HandoffState, tile: o.tile, epoch: o.handoff.epoch, tick: o.handoff.atTick, snapshot: s.snapshot }, true);
      this.owned.delete(o.key);
      this.residents.delete(o.key);
      return;
    }
    // State deltas to the tile's subscribers every few ticks (direct paths): real encoded size.
    if (now % DEFAULT_REPLICATION.sendEveryTicks === 0 && o.subscribers.length > 0) {
      const poses = this.host.playersIn(o.key).map((i) => {
        const p = this.host.position(i, now);
        const v = this.host.velocity(i, now);
        return { id: this.host.player(i + 1)?.avatar ?? 0, x: p.x, y: p.y, z: p.z, rotation: undefined, vx: v.x, vy: v.y, vz: v.z };
      });
      const bytes = encodeMessage({ type: MsgType.StateDelta, tile: o.tile, epoch: o.epoch, tick: now, seq: o.deltaSeq++, poses, removed: [], departed: [] }, this.host.edge).length;
      for (const s of o.subscribers) if (s !== this.peer) this.host.direct(this, s, bytes);
    }
  }

  /** Avatars that left an owned tile since the last step: reported to the relay as migrants (unless into another tile of this player). */
  private migrants(o: Owned, now: number): void {
    const before = this.residents.get(o.key) ?? new Set<number>();
    const after = new Set(this.host.playersIn(o.key));
    for (const i of before) {
      if (after.has(i)) continue;
      const p = this.host.player(i + 1);
      if (!p) continue;
      const to = p.tileNow(now);
      if (this.owners.get(tileKey(to)) === this.peer) continue;
      const entity = { id: p.avatar, kind: 'avatar', body: AVATAR, state: { position: this.host.position(i, now), rotation: { x: 0, y: 0, z: 0, w: 1 }, linvel: this.host.velocity(i, now), angvel: { x: 0, y: 0, z: 0 } }, props: { name: `p${i}` } };
      this.host.produced(o.tile, now, entityKey(entity));
      this.sendRelay({ type: MsgType.Migrate, from: o.tile, to, epoch: o.epoch, tick: now, entity }, true);
    }
    this.residents.set(o.key, after);
  }

  private commit(o: Owned, until: number): void {
    const first = o.committed + 1;
    const hashes: [number, number, number][] = [];
    const records = [];
    const kf = DEFAULT_REPLICATION.keyframeEveryTicks;
    let keyframe: ({ tick: number } & ModelState) | undefined;
    for (let t = first; t <= until; t++) {
      // A keyframe tick: the commitment is the hash of the real state sent.
      if (t % kf === 0) {
        const s = this.host.snapshotAt(o.tile, t);
        o.words = s.words;
        if (t % kf === 0) keyframe = { tick: t, ...s };
      }
      hashes.push(o.words);
      records.push({ inbound: [], messages: [], inputs: o.inputs.get(t) ?? [], after: [] });
      o.inputs.delete(t);
    }
    o.committed = until;
    this.sendRelay({ type: MsgType.Commits, tile: o.tile, epoch: o.epoch, firstTick: first, hashes, records }, true);
    if (keyframe) {
      const m: Message = { type: MsgType.Keyframe, tile: o.tile, epoch: o.epoch, tick: keyframe.tick, snapshot: keyframe.snapshot };
      this.sendRelay(m, true);
      // The full state to every subscriber too, at its own cadence (`fullStateEveryTicks`), on direct paths: entities and continuity, as `TileAuthority` sends it.
      if (keyframe.tick % (DEFAULT_REPLICATION.fullStateEveryTicks ?? kf) === 0) {
        const bytes = encodeMessage({ type: MsgType.TileState, tile: o.tile, epoch: o.epoch, tick: keyframe.tick, entities: keyframe.entities, continuity: keyframe.continuity }, this.host.edge, Number.MAX_SAFE_INTEGER).length;
        for (const s of o.subscribers) if (s !== this.peer) this.host.direct(this, s, bytes);
      }
    }
  }
}
