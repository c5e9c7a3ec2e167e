import type { InputData } from '../core/behaviour.js';
import type { BodyDesc, EntityId, PropValue } from '../core/entity.js';
import type { TileId } from '../core/tile.js';
import type { Vec3 } from '../core/vec.js';
import type { WorldConfig } from '../core/world-config.js';
import type { MemberRole, Message, PeerId, RosterEntry } from '../protocol/messages.js';
import { RELAY_PEER } from '../protocol/messages.js';
import type { CheatDrills, ClientStats, DocMessage, PlayerClient, RunningCheat, VisibleEntity, WorldClientEvents } from '../client/player-client.js';
import { ViewSmoother, type RawVisible } from '../client/view-smoothing.js';
import { walkIntentOf, walkOn } from '../client/own-avatar-walk.js';
import { POSE_HEADER, POSE_STRIDE, poseSlot } from './pose-frame.js';
import type { CheatCall, PageToWorker, SessionOptions, WorkerToPage } from './protocol.js';

/**
 * Longest a pose frame is carried forward along its velocities, ms; past it a stalled worker
 * shows still entities. At 250 ms, a worker starved for 600 ms (CI, two tabs on two cores) left
 * a walking avatar standing for 350 ms and then 2.2 m further on, past what blending eases in;
 * carried on, the next frame's correction is small (our own avatar follows our latest input).
 */
const MAX_CARRY_MS = 1000;

type Listener<T> = (e: T) => void;

const EMPTY_STATS: ClientStats = {
  peer: -1,
  tick: 0,
  rttMs: 0,
  clockOffsetMs: 0,
  clockErrorMs: 0,
  peers: [],
  bytesUpPerS: 0,
  bytesDownPerS: 0,
  ownedTiles: [],
  refused: 0,
  audit: { audits: 0, passed: 0, mismatches: 0, takeovers: 0, auditedTicks: 0 },
  incidents: 0,
  replicas: { mode: 'speculative', predictionErrorP50Cm: 0, predictionErrorP99Cm: 0, rollbacksPerS: 0, replayedTicksPerS: 0, ownerRewinds: 0, jumps: 0 },
};

/**
 * The page's handle on a player whose client runs in a Web Worker (`joinWorld`'s default in
 * browsers). Every query answers at once from the last pose frame and status the worker
 * published; inputs, document messages and cheat drills are posted to the worker. Nothing
 * here decodes the network or steps physics: the page's main thread only draws.
 */
export class WorkerClient implements PlayerClient {
  private readonly listeners = new Map<keyof WorldClientEvents, Set<Listener<never>>>();
  private readonly looks = new Map<EntityId, { kind: string; body: BodyDesc }>();
  private readonly smoother = new ViewSmoother();
  private frame: Float64Array = new Float64Array(POSE_HEADER);
  private index: Map<EntityId, number> | undefined;
  private status: { stats: ClientStats; tiles: { tile: TileId; owner: PeerId; epoch: number }[]; directPeers: PeerId[] } = { stats: EMPTY_STATS, tiles: [], directPeers: [] };
  private welcome: WorldClientEvents['joined'] | undefined;
  private memberRole: MemberRole | undefined;
  private roster: readonly RosterEntry[] = [];
  private closed = false;
  private running: RunningCheat | undefined;
  private readonly listened = new Set<keyof WorldClientEvents>();
  /** The player's latest walking input and when it was posted (page ms): the frame may be older. */
  private lastMove = { atMs: -Infinity, moveX: 0, moveZ: 0 };

  constructor(
    /** This session's number in its worker. */
    readonly session: number,
    private readonly post: (m: PageToWorker) => void,
    options: SessionOptions,
    private readonly now: () => number,
  ) {
    post({ t: 'open', session, options });
  }

  /** Handles what the worker sent for this session. */
  onWorker(m: Extract<WorkerToPage, { t: 'event' | 'frame' }>): void {
    if (m.t === 'frame') {
      this.frame = m.frame;
      this.index = undefined;
      for (const [id, kind, body] of m.looks) this.looks.set(id, { kind, body });
      if (m.status) {
        this.status = m.status;
        this.memberRole = m.status.role;
      }
      return;
    }
    if (m.name === 'joined') {
      this.welcome = m.e as WorldClientEvents['joined'];
      this.memberRole = this.welcome.role;
    }
    if (m.name === 'roster') this.roster = (m.e as WorldClientEvents['roster']).players;
    if (m.name === 'closed') this.closed = true;
    for (const l of this.listeners.get(m.name) ?? []) (l as Listener<unknown>)(m.e);
  }

  on<K extends keyof WorldClientEvents>(event: K, listener: Listener<WorldClientEvents[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    if (!this.listened.has(event)) {
      this.listened.add(event);
      this.post({ t: 'listen', session: this.session, event });
    }
    return () => set.delete(listener as Listener<never>);
  }

  get joined(): boolean {
    return this.welcome !== undefined && !this.closed;
  }
  get peerId(): PeerId {
    return this.welcome?.peer ?? -1;
  }
  get avatar(): EntityId {
    return this.welcome?.avatar ?? -1;
  }
  get worldConfig(): WorldConfig | undefined {
    return this.welcome?.config;
  }
  get role(): MemberRole | undefined {
    return this.memberRole;
  }
  get simTick(): number {
    return this.frame[3] ?? 0;
  }

  players(): readonly RosterEntry[] {
    return this.roster;
  }

  currentTickExact(atMs?: number): number {
    const config = this.welcome?.config;
    if (!config || this.frame[0] === 0) return 0;
    const at = atMs ?? this.now();
    return Math.max(0, this.frame[2]! + ((at - this.frame[0]!) * config.tickRate) / 1000);
  }

  currentTick(): number {
    return Math.floor(this.currentTickExact());
  }

  send(data: InputData): void {
    if (!this.joined) return;
    const walk = walkIntentOf(data, this.lastMove);
    if (walk) this.lastMove = { atMs: this.now(), ...walk };
    this.post({ t: 'input', session: this.session, data });
  }

  entities(atMs?: number): VisibleEntity[] {
    const now = atMs ?? this.now();
    const f = this.frame;
    const count = f[1] ?? 0;
    const carry = Math.max(0, Math.min(MAX_CARRY_MS, now - (f[0] ?? now))) / 1000;
    const raw: RawVisible[] = [];
    for (let i = 0; i < count; i++) {
      const s = poseSlot(f, i);
      const look = this.looks.get(s.id);
      if (!look) continue;
      const o = s.offset;
      let v = { x: f[o + 11]!, y: f[o + 12]!, z: f[o + 13]! };
      const k = s.raw ? 0 : carry;
      let position = { x: f[o + 4]! + v.x * k, y: f[o + 5]! + v.y * k, z: f[o + 6]! + v.z * k };
      if (s.id === this.avatar && k > 0 && this.lastMove.atMs > f[0]!) {
        // A frame from before our latest walking input (the worker is busy): carry our avatar
        // the way we now walk, not on along the old velocity (we would overshoot a stop).
        const before = Math.min(k, (this.lastMove.atMs - f[0]!) / 1000);
        const walk = walkOn({ x: f[o + 4]!, y: f[o + 5]!, z: f[o + 6]! }, v, this.lastMove, before, k - before);
        position = { ...walk.position, y: position.y };
        v = walk.v;
      }
      raw.push({
        entity: {
          id: s.id,
          kind: look.kind,
          body: look.body,
          tile: { x: f[o + 1]!, y: f[o + 2]!, z: f[o + 3]! },
          position,
          rotation: { x: f[o + 7]!, y: f[o + 8]!, z: f[o + 9]!, w: f[o + 10]! },
          owner: f[o + 14]!,
        },
        v,
        ...(s.raw ? { raw: true } : {}),
      });
    }
    return this.smoother.apply(raw, now);
  }

  reportedPosition(id: EntityId): {
    /** Position as its owner last reported it, world metres. */
    position: Vec3;
    /** The tick that position is from. */
    tick: number;
  } | undefined {
    const f = this.frame;
    if (!this.index) {
      this.index = new Map();
      for (let i = 0; i < (f[1] ?? 0); i++) this.index.set(f[POSE_HEADER + i * POSE_STRIDE]!, i);
    }
    const i = this.index.get(id);
    if (i === undefined) return undefined;
    const s = poseSlot(f, i);
    if (!s.hasReported) return undefined;
    const o = s.offset;
    return { position: { x: f[o + 16]!, y: f[o + 17]!, z: f[o + 18]! }, tick: f[o + 19]! };
  }

  tiles(): {
    /** The tile. */
    tile: TileId;
    /** The peer leasing it (the relay is `RELAY_PEER`). */
    owner: PeerId;
    /** The lease epoch, raised on every change of owner. */
    epoch: number;
  }[] {
    return this.status.tiles;
  }

  stats(): ClientStats {
    return this.status.stats;
  }

  sendRaw(peer: PeerId, message: Message, reliable = true): void {
    this.post({ t: 'raw', session: this.session, peer, message, reliable });
  }

  sendDoc(to: PeerId, message: DocMessage): boolean {
    if (!this.joined) return false;
    if (to !== RELAY_PEER && !this.status.directPeers.includes(to)) return false;
    this.post({ t: 'doc', session: this.session, to, message });
    return true;
  }

  directPeers(): PeerId[] {
    return this.status.directPeers;
  }

  close(): void {
    this.post({ t: 'close', session: this.session });
    if (this.closed) return;
    this.closed = true;
    for (const l of this.listeners.get('closed') ?? []) (l as Listener<WorldClientEvents['closed']>)({ reason: 'closed by the application' });
  }

  readonly cheats: CheatDrills = ((): CheatDrills => {
    const call = (c: CheatCall): void => this.post({ t: 'cheat', session: this.session, call: c });
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      get active() {
        return self.running;
      },
      teleport: (entity: EntityId, position: Vec3) => call({ op: 'teleport', entity, position }),
      setProp: (entity: EntityId, props: Readonly<Record<string, PropValue>>) => call({ op: 'setProp', entity, props }),
      hold: (entity: EntityId, position: Vec3) => {
        self.running = { kind: 'hold', entity, position };
        call({ op: 'hold', entity, position });
      },
      nudge: (entity: EntityId, metres = 0.001) => {
        self.running = { kind: 'nudge', entity, metres };
        call({ op: 'nudge', entity, metres });
      },
      speed: (entity: EntityId, metresPerSecond: number) => {
        self.running = { kind: 'speed', entity, metresPerSecond };
        call({ op: 'speed', entity, metresPerSecond });
      },
      stop: () => {
        self.running = undefined;
        call({ op: 'stop' });
      },
    };
  })();
}
