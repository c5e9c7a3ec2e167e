import type { BehaviourRegistry } from '../core/behaviour.js';
import type { EntityId } from '../core/entity.js';
import { standardKinds } from '../kinds/standard-kinds.js';
import { conditionedLink, realTimeScheduler } from '../net/conditioned-link.js';
import { openWebSocketLink } from '../net/websocket-link.js';
import { initPhysics } from '../sim/physics.js';
import { loadKindsModule } from '../client/kinds-module.js';
import { WorldClient } from '../client/world-client.js';
import type { WorldClientEvents } from '../client/player-client.js';
import { BridgedPeerConnector } from './bridged-peer-connector.js';
import { encodePoseFrame } from './pose-frame.js';
import { ALWAYS_FORWARDED, type EntityLookEntry, type PageToWorker, type SessionOptions, type WorkerToPage } from './protocol.js';

/** How often the page's mirror of stats, tiles and paths is refreshed, ms. */
const STATUS_EVERY_MS = 100;

interface Session {
  client: WorldClient | undefined;
  readonly timers: ReturnType<typeof setInterval>[];
  readonly looks: Map<EntityId, string>;
  readonly listening: Set<keyof WorldClientEvents>;
  lastStatusMs: number;
  closed: boolean;
}

/**
 * The worker side of a player: runs each session's `WorldClient` — the relay connection, the
 * owned tiles' simulation, the replicas — on the worker's own timer, and publishes a pose frame
 * to the page every display frame. The page keeps only rendering and WebRTC.
 */
export class PlayerWorkerHost {
  private readonly sessions = new Map<number, Session>();
  private readonly connector: BridgedPeerConnector;
  private readonly registries = new Map<string, Promise<BehaviourRegistry>>();

  constructor(private readonly post: (m: WorkerToPage, transfer?: Transferable[]) => void) {
    this.connector = new BridgedPeerConnector(post);
  }

  /** Handles one message from the page. */
  onMessage(m: PageToWorker): void {
    switch (m.t) {
      case 'open':
        void this.open(m.session, m.options);
        return;
      case 'close': {
        const s = this.sessions.get(m.session);
        if (s) this.end(m.session, s);
        return;
      }
      case 'rtc-signal-out':
      case 'rtc-open':
      case 'rtc-data':
      case 'rtc-closed':
        this.connector.onPage(m);
        return;
    }
    const c = this.sessions.get(m.session)?.client;
    if (!c) return;
    switch (m.t) {
      case 'input':
        if (c.joined) c.send(m.data);
        return;
      case 'doc':
        c.sendDoc(m.to, m.message);
        return;
      case 'raw':
        c.sendRaw(m.peer, m.message, m.reliable);
        return;
      case 'listen':
        this.sessions.get(m.session)!.listening.add(m.event);
        return;
      case 'cheat': {
        const k = m.call;
        if (k.op === 'teleport') c.cheats.teleport(k.entity, k.position);
        else if (k.op === 'setProp') c.cheats.setProp(k.entity, k.props);
        else if (k.op === 'hold') c.cheats.hold(k.entity, k.position);
        else if (k.op === 'nudge') c.cheats.nudge(k.entity, k.metres);
        else if (k.op === 'speed') c.cheats.speed(k.entity, k.metresPerSecond);
        else c.cheats.stop();
        return;
      }
    }
  }

  private registry(url: string | undefined): Promise<BehaviourRegistry> {
    const key = url ?? '';
    let r = this.registries.get(key);
    if (!r) this.registries.set(key, (r = url ? loadKindsModule(url) : Promise.resolve(standardKinds())));
    return r;
  }

  private async open(id: number, o: SessionOptions): Promise<void> {
    const s: Session = { client: undefined, timers: [], looks: new Map(), listening: new Set(ALWAYS_FORWARDED), lastStatusMs: -1e9, closed: false };
    this.sessions.set(id, s);
    // The page's join decides from the reason whether to try again (a module that fails to load: no).
    const fail = (e: unknown): void => {
      this.post({ t: 'event', session: id, name: 'closed', e: { reason: e instanceof Error ? e.message : String(e) } });
      this.end(id, s);
    };
    let client: WorldClient;
    try {
      const [registry] = await Promise.all([this.registry(o.kinds), initPhysics()]);
      let link = await openWebSocketLink(o.relay, undefined, o.timeoutMs);
      if (o.conditions) link = conditionedLink(link, o.conditions, o.conditions.seed ?? 1, realTimeScheduler());
      if (s.closed) return link.close();
      client = new WorldClient({
        relay: link,
        world: o.world,
        transport: o.rtc ? o.transport : 'relay',
        now: () => performance.timeOrigin + performance.now(),
        registry,
        ...(o.name !== undefined ? { name: o.name } : {}),
        ...(o.token !== undefined ? { token: o.token } : {}),
        ...(o.replicaMode !== undefined ? { replicaMode: o.replicaMode } : {}),
        ...(o.speculation !== undefined ? { speculation: o.speculation } : {}),
        ...(o.replication ? { replication: o.replication } : {}),
        ...(o.rtc ? { connector: this.connector } : {}),
      });
    } catch (e) {
      return fail(e);
    }
    s.client = client;
    const names = Object.keys({ joined: 0, roster: 0, lease: 0, error: 0, closed: 0, deltaSent: 0, deltaApplied: 0, incident: 0, doc: 0, peerOpen: 0 } satisfies Record<keyof WorldClientEvents, 0>) as (keyof WorldClientEvents)[];
    for (const name of names) {
      client.on(name, (e) => {
        if (s.listening.has(name)) this.post({ t: 'event', session: id, name, e });
        if (name === 'joined') this.publish(id, s, true);
        if (name === 'closed') this.end(id, s);
      });
    }
    s.timers.push(setInterval(() => client.update(), o.updateEveryMs));
    s.timers.push(setInterval(() => this.publish(id, s, false), o.frameEveryMs));
  }

  /** Posts the session's pose frame (transferred), new looks, and the mirror's status when due. */
  private publish(id: number, s: Session, forceStatus: boolean): void {
    const c = s.client;
    if (!c || !c.joined || s.closed) return;
    const now = performance.timeOrigin + performance.now();
    const states = c.visibleState(now);
    const looks: EntityLookEntry[] = [];
    for (const st of states) {
      const e = st.entity;
      if (s.looks.get(e.id) !== e.kind) {
        s.looks.set(e.id, e.kind);
        looks.push([e.id, e.kind, e.body]);
      }
    }
    if (s.looks.size > 2 * states.length + 256) {
      const live = new Set(states.map((st) => st.entity.id));
      for (const k of s.looks.keys()) if (!live.has(k)) s.looks.delete(k);
    }
    const frame = encodePoseFrame(states, now, c.currentTickExact(now), c.simTick);
    const due = forceStatus || now - s.lastStatusMs >= STATUS_EVERY_MS;
    if (due) s.lastStatusMs = now;
    const status = due ? { stats: c.stats(), tiles: c.tiles(), directPeers: c.directPeers(), role: c.role } : undefined;
    this.post({ t: 'frame', session: id, frame, looks, status }, [frame.buffer]);
  }

  private end(id: number, s: Session): void {
    if (s.closed) return;
    s.closed = true;
    for (const t of s.timers) clearInterval(t);
    this.sessions.delete(id);
    s.client?.close();
    if (this.sessions.size === 0) this.connector.closeAll();
  }
}
