import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { messageYjsSyncStep1, readSyncMessage, writeSyncStep1, writeUpdate } from 'y-protocols/sync';
import type { WorldDocument } from '../authoring/world-document.js';
import type { DocMessage, PlayerClient } from '../client/player-client.js';
import { MsgType, RELAY_PEER, type PeerId } from '../protocol/messages.js';

/** Origin of changes that came from elsewhere (they are not sent on again). */
export const REMOTE_ORIGIN = Symbol('remote');

/**
 * Keeps a player's `WorldDocument` in sync through a `PlayerClient`: y-protocols sync steps
 * with the relay on every (re)join and with each peer when a direct path opens; every local
 * update goes to the relay (which stores, acknowledges and forwards it) and straight to the
 * peers on direct paths; presence the same way. Survives reconnection: `attach` the new client.
 */
export class DocSync {
  private client: PlayerClient | undefined;
  private detachClient: (() => void)[] = [];
  /**
   * Updates sent to the relay on the current connection, and how many it acknowledged: it
   * answers each one it stored, in order (a deletion does not move the state vector, so
   * acknowledgements are counted, not compared by clock).
   */
  private sentToRelay = 0;
  private ackedByRelay = 0;
  /** The relay's state vector at its last acknowledgement. */
  relayStateVector = new Map<number, number>();
  private readonly ackWaiters = new Set<() => void>();
  private readonly stop: (() => void)[] = [];
  /** Document messages received from the relay and straight from peers (direct paths). */
  readonly received = {
    /** Messages that came through the relay. */
    relay: 0,
    /** Messages that came straight from peers. */
    direct: 0,
  };
  /** Document messages refused (bad updates); see `lastRefusal`. */
  refused = 0;
  /** Why the last document message was refused, readable (empty when none was). */
  lastRefusal = '';

  constructor(
    /** The local copy of the world's document this sync keeps in step. */
    readonly world: WorldDocument,
  ) {
    const onUpdate = (update: Uint8Array, origin: unknown): void => {
      if (origin === REMOTE_ORIGIN) return;
      const e = encoding.createEncoder();
      writeUpdate(e, update);
      this.broadcast({ type: MsgType.DocSync, payload: encoding.toUint8Array(e) });
    };
    world.doc.on('update', onUpdate);
    this.stop.push(() => world.doc.off('update', onUpdate));
    const awareness = world.social.awareness;
    const onAwareness = (c: { added: number[]; updated: number[]; removed: number[] }, origin: unknown): void => {
      if (origin === REMOTE_ORIGIN) return;
      const changed = [...c.added, ...c.updated, ...c.removed];
      this.broadcast({ type: MsgType.Presence, payload: encodeAwarenessUpdate(awareness, changed) });
    };
    awareness.on('update', onAwareness);
    this.stop.push(() => awareness.off('update', onAwareness));
  }

  /** Starts syncing through a joined client (the previous one, if any, is let go). */
  attach(client: PlayerClient): void {
    for (const f of this.detachClient) f();
    this.client = client;
    // Whatever the old relay connection had not acknowledged is re-sent by the sync steps.
    this.sentToRelay = 0;
    this.ackedByRelay = 0;
    this.detachClient = [
      client.on('doc', (e) => this.onMessage(e.from, e.message)),
      // The relay tells why it refused an update or a presence (that update is never acknowledged).
      client.on('error', (e) => {
        if (/^relay: .*(document|presence|sync message|state vector)/.test(e.reason)) this.refuse(RELAY_PEER, e.reason.slice('relay: '.length));
      }),
      client.on('peerOpen', (e) => this.greet(e.peer)),
    ];
    this.world.social.updatePresence({ peer: client.peerId, avatar: client.avatar });
    this.greet(RELAY_PEER);
  }

  /** True when the relay has stored every edit this player made. */
  get acknowledged(): boolean {
    return this.client !== undefined && this.client.joined && this.ackedByRelay >= this.sentToRelay && this.greeted;
  }

  /** The relay answered our first sync step on this connection (it has everything we had then). */
  private greeted = false;

  /** Resolves once the relay has stored every edit made so far. */
  whenAcknowledged(): Promise<void> {
    if (this.acknowledged) return Promise.resolve();
    return new Promise((resolve) => {
      const f = (): void => {
        if (!this.acknowledged) return;
        this.ackWaiters.delete(f);
        resolve();
      };
      this.ackWaiters.add(f);
    });
  }

  /** Stops syncing (the document stays as it is). */
  close(): void {
    for (const f of this.detachClient) f();
    for (const f of this.stop) f();
    this.client = undefined;
  }

  /** Sync step 1 (our state vector) and our presence, to the relay or a peer. */
  private greet(to: PeerId): void {
    const c = this.client;
    if (!c) return;
    if (to === RELAY_PEER) this.greeted = false;
    const e = encoding.createEncoder();
    writeSyncStep1(e, this.world.doc);
    c.sendDoc(to, { type: MsgType.DocSync, payload: encoding.toUint8Array(e) });
    const awareness = this.world.social.awareness;
    if (awareness.getLocalState() !== null) c.sendDoc(to, { type: MsgType.Presence, payload: encodeAwarenessUpdate(awareness, [awareness.clientID]) });
  }

  private broadcast(m: DocMessage): void {
    const c = this.client;
    if (!c) return;
    if (c.sendDoc(RELAY_PEER, m) && m.type === MsgType.DocSync) this.sentToRelay++;
    for (const p of c.directPeers()) c.sendDoc(p, m);
  }

  private onMessage(from: PeerId, m: DocMessage): void {
    const c = this.client;
    if (!c) return;
    if (from === RELAY_PEER) this.received.relay++;
    else this.received.direct++;
    try {
      if (m.type === MsgType.DocSync) {
        const reply = encoding.createEncoder();
        const kind = readSyncMessage(decoding.createDecoder(m.payload), reply, this.world.doc, REMOTE_ORIGIN, (err) => this.refuse(from, err.message));
        // Our step 2 to the relay is an update it acknowledges like any other.
        if (encoding.length(reply) > 0 && c.sendDoc(from, { type: MsgType.DocSync, payload: encoding.toUint8Array(reply) }) && from === RELAY_PEER) this.sentToRelay++;
        if (from === RELAY_PEER && kind === messageYjsSyncStep1) {
          this.greeted = true;
          this.notifyAck();
        }
      } else if (m.type === MsgType.Presence) {
        applyAwarenessUpdate(this.world.social.awareness, m.payload, REMOTE_ORIGIN);
      } else if (from === RELAY_PEER) {
        this.ackedByRelay++;
        this.relayStateVector = Y.decodeStateVector(m.stateVector);
        this.notifyAck();
      }
    } catch (e) {
      this.refuse(from, e instanceof Error ? e.message : String(e));
    }
  }

  private notifyAck(): void {
    for (const f of [...this.ackWaiters]) f();
  }

  private refuse(from: PeerId, reason: string): void {
    this.refused++;
    this.lastRefusal = from === RELAY_PEER && reason.length > 0 ? `the relay refused an edit: ${reason}` : `document message from peer ${from}: ${reason}`;
  }
}
