// A modified browser, over the seeded harness: the honest client code with hooks a cheater
// would add — between its simulation and its log (record forgery), on its own tiles' state and
// physics, and on the wire (any message it likes, to the relay or to a peer). The attack suite
// (attack-campaign.ts) drives it; every cheat must end in an incident or a refusal.
import {
  decodeMessage,
  encodeForWire,
  MsgType,
  WorldClient,
  type EntityDesc,
  type EntityId,
  type EntityInput,
  type EntityMessage,
  type Link,
  type Message,
  type PeerId,
  type PropValue,
  type TileAuthority,
  type TileId,
  type TileWorld,
  type Vec3,
} from '../../src/index.js';
import type { Harness } from './harness.js';

/** What the client keeps private and a modified browser reaches anyway. */
interface ClientInternals {
  authority: TileAuthority | undefined;
}

/**
 * A player whose browser was modified. It joins like any player (same `WorldClient`), then can:
 * change its owned tiles' state and physics (`afterStep`), forge what its records say entered a
 * step (drop, repeat or invent inputs; invent arrivals, removals, messages), and send any message
 * (to the relay, or to a peer directly) — including ones the protocol never lets it send.
 */
export class MaliciousClient {
  readonly client: WorldClient;
  /** Outgoing bytes pass here: return undefined to drop, or other bytes. */
  outgoing: ((bytes: Uint8Array, decoded: Message) => Uint8Array | undefined) | undefined;
  private readonly wire: { send(bytes: Uint8Array, reliable: boolean): void };
  private afterStepHooks: ((world: TileWorld, tick: number) => void)[] = [];
  private inputFilter: ((tick: number, inputs: readonly EntityInput[]) => { tick: number; inputs: EntityInput[] }[]) | undefined;
  private chunkId = 1_000_000;

  constructor(
    private readonly h: Harness,
    readonly name: string,
  ) {
    const edge = (): number => h.relay.config.tileEdge;
    const { link, wire, relayEnd } = tamperedLink(h, (bytes) => {
      const hook = this.outgoing;
      if (!hook) return bytes;
      let decoded: Message;
      try {
        decoded = decodeWire(bytes, edge());
      } catch {
        return bytes;
      }
      return hook(bytes, decoded);
    });
    this.wire = wire;
    this.client = new WorldClient({ relay: link, world: 'test', name, transport: 'relay', now: () => h.scheduler.now() });
    h.clients.push({ client: this.client, name, crash: () => relayEnd.close() });
    this.client.on('joined', () => this.install());
  }

  private get authority(): TileAuthority | undefined {
    return (this.client as unknown as ClientInternals).authority;
  }

  /** Hooks into the owner role once the client has one. */
  private install(): void {
    const a = this.authority;
    if (!a) return;
    // Its cheats act after each step; a late input's rewind would replay the tile without them.
    a.rewindTicks = 0;
    const honestAfter = a.afterStep;
    a.afterStep = (world, tick) => {
      honestAfter?.(world, tick);
      for (const f of this.afterStepHooks) {
        try {
          f(world, tick);
        } catch {
          // the target left the owned tiles: a cheat with nothing to act on
        }
      }
    };
    const honestAdd = a.addInputs.bind(a);
    a.addInputs = (tick, inputs) => {
      const f = this.inputFilter;
      if (!f) return honestAdd(tick, inputs);
      let ok = true;
      for (const x of f(tick, inputs)) ok = honestAdd(x.tick, x.inputs) && ok;
      return ok;
    };
  }

  // ---- state and physics of owned tiles ----------------------------------------------------

  /** Runs `f` after every step of its owned tiles, before the commitment (anything goes). */
  everyStep(f: (world: TileWorld, tick: number) => void): void {
    this.afterStepHooks.push(f);
  }

  /** Keeps gravity at `g` in the tile holding `entity` (its physics, and every snapshot it hands over). */
  gravity(entity: EntityId, g: Vec3): void {
    this.everyStep((w) => simOf(w, entity)?.tamperGravity(g));
  }

  /** Keeps props of an entity in its tiles at these values, every tick (a rewind cannot wash it out). */
  keepProp(entity: EntityId, props: Readonly<Record<string, PropValue>>): void {
    this.everyStep((w) => simOf(w, entity)?.tamper(entity, { props }));
  }

  // ---- record forgery ----------------------------------------------------------------------

  /** Never applies the inputs of `victim` (its player cannot move). */
  dropInputsOf(victim: EntityId): void {
    this.inputFilter = (tick, inputs) => [{ tick, inputs: inputs.filter((i) => i.entity !== victim) }];
  }

  /** Applies each input of `victim` `times` times (again every 20 ticks). */
  repeatInputsOf(victim: EntityId, times: number): void {
    this.inputFilter = (tick, inputs) => {
      const out = [{ tick, inputs: [...inputs] }];
      for (const i of inputs.filter((x) => x.entity === victim)) for (let k = 1; k < times; k++) out.push({ tick: tick + 20 * k, inputs: [i] });
      return out;
    };
  }

  /** Applies an input for `victim` that its player never sent. */
  inventInput(victim: EntityId, data: Readonly<Record<string, PropValue>>): void {
    const a = this.authority;
    a?.addInputs(a.tick + 1, [{ entity: victim, seq: 900_000 + this.chunkId++, data: { ...data } }]);
  }

  /** Puts an entity into the tile at its position after the next step (logged as an arrival). */
  inventArrival(entity: EntityDesc): void {
    let done = false;
    this.everyStep((w) => {
      if (done) return;
      const sim = w.tileList().find((t) => t.tile.x === Math.floor(entity.state.position.x / w.config.tileEdge) && t.tile.z === Math.floor(entity.state.position.z / w.config.tileEdge));
      if (!sim) return;
      sim.receiveImmigrants([entity]);
      sim.applyInbound();
      done = true;
    });
  }

  /** Removes an entity of its tiles after the next step (logged as a removal). */
  inventRemoval(id: EntityId): void {
    let done = false;
    this.everyStep((w) => {
      if (done) return;
      const sim = simOf(w, id);
      if (!sim) return;
      sim.receiveRemovals([id]);
      sim.applyInbound();
      done = true;
    });
  }

  /** Drops a message into the mailbox of the tile holding `to` every 10 ticks (logged as a message that came in). */
  inventMessage(message: EntityMessage): void {
    let n = 0;
    this.everyStep((w, tick) => {
      if (tick % 10 !== 0) return;
      simOf(w, message.to)?.receiveMessages([{ ...message, seq: message.seq + n++, dueTick: tick + 5 }]);
    });
  }

  // ---- the wire ----------------------------------------------------------------------------

  /** Sends any message to the relay, as it is. */
  sendRelay(m: Message, reliable = true): void {
    for (const b of encodeForWire(m, this.chunkId++, this.h.relay.config.tileEdge)) this.wire.send(b, reliable);
  }

  /** Sends any message to a peer (over the relay's forwarding: a direct path would carry the same bytes). */
  sendPeer(peer: PeerId, m: Message): void {
    this.client.sendRaw(peer, m, true);
  }

  /** Claims the avatar is at `p`. */
  claimPosition(p: Vec3): void {
    this.sendRelay({ type: MsgType.Pose, tick: this.h.relay.currentTick, x: p.x, y: p.y, z: p.z }, false);
  }

  /** Tiles it owns now, by key. */
  owned(): string[] {
    return this.client.stats().ownedTiles.map((t: TileId) => `${t.x},${t.y},${t.z}`);
  }
}

/**
 * A link to the relay whose outgoing messages pass through `rewrite` (return undefined to drop):
 * a modified browser's socket. `wire` sends past the rewrite; closing `relayEnd` is a crash.
 */
export function tamperedLink(h: Harness, rewrite: (bytes: Uint8Array) => Uint8Array | undefined): { link: Link; wire: Link; relayEnd: Link } {
  const [clientEnd, relayEnd] = h.net.pair();
  h.connectToRelay(relayEnd);
  const link: Link = {
    get open() {
      return clientEnd.open;
    },
    onMessage: undefined,
    onClose: undefined,
    send(bytes, reliable) {
      const out = rewrite(bytes);
      if (out) clientEnd.send(out, reliable);
    },
    close: () => clientEnd.close(),
  };
  clientEnd.onMessage = (b) => link.onMessage?.(b);
  clientEnd.onClose = () => link.onClose?.();
  return { link, wire: clientEnd, relayEnd };
}

function decodeWire(bytes: Uint8Array, edge: number): Message {
  return decodeMessage(bytes, edge, Number.MAX_SAFE_INTEGER);
}

function simOf(world: TileWorld, entity: EntityId): ReturnType<TileWorld['tileAt']> {
  const tile = world.tileOfEntity(entity);
  return tile ? world.tileAt(tile) : undefined;
}
