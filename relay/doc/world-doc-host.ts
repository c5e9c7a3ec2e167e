import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import { messageYjsSyncStep1, messageYjsSyncStep2, messageYjsUpdate, writeSyncStep1, writeSyncStep2, writeUpdate } from 'y-protocols/sync';
import { footprintOf, refuseUpdate, type DocRole, type UpdateFootprint } from './update-rules.js';
import {
  authoredEntity,
  CHAT_KEPT,
  CREATED_ENTITY_BASE,
  DELETED_ROOT,
  ENTITY_IDS_ROOT,
  FIRST_SPAWNED_ID,
  MsgType,
  TEMPLATE_ENTITY_BASE,
  TILE_ROOT_PREFIX,
  WorldLayout,
  type AuthoredObject,
  type BehaviourRegistry,
  type EntityDesc,
  type EntityId,
  type Message,
  type PeerId,
} from '../../src/index.js';

/** A world's document as the store keeps it: the template it started from and its own updates. */
export interface StoredDocument {
  /** The template's bytes (a Yjs update), shared by every world made from it. */
  readonly template?: Uint8Array;
  /** The world's own updates (its delta over the template), oldest first. */
  readonly updates: readonly Uint8Array[];
  /** What the simulation held of each object at the last checkpoint (object key → `id|signature`). */
  readonly applied?: Readonly<Record<string, string>>;
}

/** What the document host needs from the relay around it. */
export interface DocHostHooks {
  /** Puts an authored object's entity into the world (at the owner of its tile). */
  place(e: EntityDesc): void;
  /** Takes an entity out of the world. */
  remove(id: EntityId): void;
  send(peer: PeerId, m: Message): void;
  /** Peers of the world, in id order. */
  peers(): PeerId[];
  /** Stores an update before it is acknowledged (throws when it could not be stored). */
  persist(update: Uint8Array): void;
  /** Hears that storing updates failed (`reason`), and that it works again (`undefined`); once per change. */
  storeFailed?(reason: string | undefined): void;
  refuse(peer: PeerId, reason: string): void;
  /** What the peer's join token lets it do to the document (default: creator, as without tokens). */
  role?(peer: PeerId): DocRole;
}

/** Largest document update the relay takes from a peer, bytes. */
export const MAX_DOC_UPDATE_BYTES = 1024 * 1024;

const LOADED = Symbol('loaded');
/** Changed keys past which a tick rescans the whole layout instead of looking key by key. */
const RESCAN_OVER_KEYS = 512;

/** A shared type as far as finding its root goes (Yjs types its parents loosely). */
interface TypeInDoc {
  readonly _item: { readonly parent: unknown; readonly parentSub: string | null } | null;
}
const RELAY = Symbol('relay');

/**
 * The relay's member of a world's document: it applies and stores every update players send,
 * acknowledges it (its state vector) and forwards it to everyone else; it turns the authored
 * layout into entities — each new, changed or deleted object becomes a spawn or despawn at the
 * owner of its tile (through the relay's placement path, so the owner's tick record logs it and
 * the audit holds) — and it gives objects their entity ids. Presence is passed on, never stored.
 */
export class WorldDocHost {
  /** The world's Yjs document (template plus the world's own updates). */
  readonly doc = new Y.Doc();
  /** The authored layout view over `doc` (objects by key, per tile). */
  readonly layout: WorldLayout;
  /** Presence of the players (y-protocols awareness); the relay's own state is null. */
  readonly awareness: Awareness;
  /** Objects as the simulation last received them: key → entity id and signature. */
  private readonly applied = new Map<string, { id: EntityId; sig: string }>();
  /** Objects of the template, with the entity ids it gave them. */
  private readonly templateKeys = new Map<string, EntityId | undefined>();
  /** Awareness client ids each peer announced (only it may update them). */
  private readonly claims = new Map<number, PeerId>();
  /** Which peer writes each Yjs client's new items (the first to send them; taken over once it leaves). */
  private readonly writers = new Map<number, PeerId>();
  private dirty = true;
  /** Object keys changed since the last tick (objects' fields, tile maps, tombstones). */
  private readonly dirtyKeys = new Set<string>();
  /** Set when more changed than is worth looking at key by key: the next tick rescans the layout. */
  private rescan = true;
  private chatChanged = false;
  /** Root types by identity → their names (roots are few; refreshed when a new one appears). */
  private rootNames = new Map<unknown, string>();
  /** The peer whose update last changed `entityIds` (only the relay may). */
  private idsTouchedBy: PeerId | undefined;
  private nextId = CREATED_ENTITY_BASE;
  /**
   * Updates applied here whose storing failed, oldest first: stored (in order, before any newer
   * one) at the next update or tick, and only then sent to the other players; meanwhile no
   * update is acknowledged.
   */
  private readonly unstored: { update: Uint8Array; origin: unknown }[] = [];
  /** Why the oldest unstored update could not be stored ('' when all are stored). */
  private storeError = '';
  /** Counters for metrics. */
  readonly counters = {
    /** Document updates applied, stored and forwarded. */
    updates: 0,
    /** Bytes of those updates. */
    updateBytes: 0,
    /** Document messages refused (too big, not allowed by the sender's role, malformed…). */
    refused: 0,
    /** Objects turned into new entities. */
    placed: 0,
    /** Objects whose entity was replaced because the object changed. */
    replaced: 0,
    /** Entities removed because their object was deleted. */
    removed: 0,
  };

  constructor(
    private readonly registry: BehaviourRegistry,
    tileEdge: number,
    stored: StoredDocument | undefined,
    private readonly hooks: DocHostHooks,
  ) {
    this.doc.gc = true;
    this.layout = new WorldLayout(this.doc, tileEdge);
    if (stored?.template) {
      Y.applyUpdate(this.doc, stored.template, LOADED);
      for (const o of this.layout.objects()) this.templateKeys.set(o.key, o.entity);
    }
    for (const u of stored?.updates ?? []) Y.applyUpdate(this.doc, u, LOADED);
    for (const [key, entry] of Object.entries(stored?.applied ?? {})) {
      const bar = entry.indexOf('|');
      const id = Number(entry.slice(0, bar));
      if (bar > 0 && Number.isSafeInteger(id)) this.applied.set(key, { id, sig: entry.slice(bar + 1) });
    }
    for (const id of this.doc.getMap<number>(ENTITY_IDS_ROOT).values()) if (typeof id === 'number' && id >= this.nextId) this.nextId = id + 1;
    for (const { id } of this.applied.values()) if (id >= this.nextId) this.nextId = id + 1;
    this.awareness = new Awareness(this.doc);
    this.awareness.setLocalState(null); // the relay is a member, not a player
    this.doc.on('update', (update: Uint8Array, origin: unknown) => this.onUpdate(update, origin));
    const ids = this.doc.getMap(ENTITY_IDS_ROOT);
    this.doc.on('afterTransaction', (tr: Y.Transaction) => {
      this.dirty = true;
      this.noteChanges(tr);
      if (typeof tr.origin === 'number' && [...tr.changed.keys()].some((t) => (t as unknown) === ids)) this.idsTouchedBy = tr.origin;
    });
  }

  /**
   * Brings the simulation in line with the document at start: objects whose entity is missing
   * (or differs from what was applied at the last checkpoint) are placed, entities of deleted
   * objects removed. `present` lists the authored entities the restored tiles hold.
   */
  reconcile(present: ReadonlySet<EntityId>): void {
    const wanted = new Set<EntityId>();
    for (const o of this.layout.objects()) {
      const sig = signature(o);
      const was = this.applied.get(o.key);
      if (was && present.has(was.id) && was.sig === sig) {
        wanted.add(was.id);
        continue;
      }
      // Nobody holds a replica yet at start: an object keeps its id even when its entity is
      // missing from (or older in) the restored tiles — a player-owned tile is saved as its last
      // verified state, which can predate the object.
      const id = was ? was.id : this.entityIdOf(o);
      if (!was && present.has(id)) {
        // A template object restored with its tile: the entity is the object as authored.
        this.applied.set(o.key, { id, sig });
        wanted.add(id);
        continue;
      }
      if (present.has(id)) this.hooks.remove(id);
      this.hooks.place(authoredEntity(o, id, this.registry));
      this.applied.set(o.key, { id, sig });
      wanted.add(id);
    }
    for (const id of [...present].sort((a, b) => a - b)) if (!wanted.has(id)) this.hooks.remove(id);
    for (const [key, a] of [...this.applied]) if (!wanted.has(a.id)) this.applied.delete(key);
    this.flushIds();
    this.dirty = false;
    this.dirtyKeys.clear();
    this.rescan = false;
  }

  /**
   * Applies layout changes to the simulation and tidies the document; call every relay tick.
   * Only objects whose keys changed are looked at (an edit costs the same in a world of ten or
   * ten thousand objects); a large burst (a creator's offline edits) rescans the whole layout.
   */
  tick(): void {
    if (this.unstored.length > 0) this.storeUnstored();
    if (!this.dirty) return;
    this.dirty = false;
    const full = this.rescan || this.dirtyKeys.size > RESCAN_OVER_KEYS;
    const keys = full ? undefined : [...this.dirtyKeys].sort();
    this.dirtyKeys.clear();
    this.rescan = false;
    const chat = this.chatChanged || full;
    this.chatChanged = false;
    // Objects as they are now: all of them, or those of the changed keys (in key order either way).
    const objects = keys ? keys.map((k) => this.layout.get(k)).filter((o): o is AuthoredObject => o !== undefined) : this.layout.objects();
    const seen = new Set<string>();
    for (const o of objects) {
      seen.add(o.key);
      const sig = signature(o);
      const was = this.applied.get(o.key);
      if (was?.sig === sig) continue;
      // A changed object is a new entity (new id): replicas see one leave and one arrive,
      // never one id in two places.
      if (was) {
        this.hooks.remove(was.id);
        this.counters.replaced++;
      } else this.counters.placed++;
      const id = was ? this.nextId++ : this.entityIdOf(o);
      this.hooks.place(authoredEntity(o, id, this.registry));
      this.applied.set(o.key, { id, sig });
    }
    const gone = keys ? keys.filter((k) => !seen.has(k) && this.applied.has(k)) : [...this.applied.keys()].filter((k) => !seen.has(k)).sort();
    for (const key of gone) {
      this.hooks.remove(this.applied.get(key)!.id);
      this.applied.delete(key);
      this.counters.removed++;
    }
    this.doc.transact(() => {
      this.flushIds(keys);
      // Two creators moved one object into two tiles at once: the copy in the first tile stays.
      for (const key of seen) {
        const holding = this.layout.tilesHolding(key);
        for (const t of holding.slice(1)) this.layout.tileMap(t).delete(key);
      }
      // A copy a concurrent move made of a deleted object goes too (the delete wins).
      const deleted = this.doc.getMap(DELETED_ROOT);
      for (const key of keys ?? [...deleted.keys()]) if (deleted.has(key)) for (const t of this.layout.tilesHolding(key)) this.layout.tileMap(t).delete(key);
      if (chat) {
        const lines = this.doc.getArray('chat');
        if (lines.length > CHAT_KEPT + 50) lines.delete(0, lines.length - CHAT_KEPT);
      }
    }, RELAY);
    this.dirty = false;
  }

  /** Remembers which object keys a transaction touched (and whether the chat grew). */
  private noteChanges(tr: Y.Transaction): void {
    for (const [type, changedKeys] of tr.changed) {
      // Up to the root: the key under the root names the object (a field edit is deeper down).
      let t: TypeInDoc = type as unknown as TypeInDoc;
      let sub: string | null = null;
      while (t._item) {
        sub = t._item.parentSub;
        t = t._item.parent as TypeInDoc;
      }
      let name = this.rootNames.get(t);
      if (name === undefined) {
        this.rootNames = new Map([...this.doc.share].map(([n, root]) => [root as unknown, n]));
        name = this.rootNames.get(t);
      }
      if (name === undefined) continue;
      if (name === 'chat') this.chatChanged = true;
      if (!name.startsWith(TILE_ROOT_PREFIX) && name !== DELETED_ROOT) continue;
      if (sub !== null) this.dirtyKeys.add(sub);
      else for (const k of changedKeys) if (k !== null) this.dirtyKeys.add(k);
      if (this.dirtyKeys.size > RESCAN_OVER_KEYS) this.rescan = true;
    }
  }

  /** How much the host holds besides the document itself (the fault simulator's memory check). */
  retained(): {
    /** Objects the simulation has received (key → entity id and signature). */
    docObjects: number;
    /** Awareness client ids claimed by peers. */
    docClaims: number;
    /** Yjs client ids with a known writing peer. */
    docWriters: number;
    /** Object keys changed since the last tick. */
    docDirty: number;
  } {
    return { docObjects: this.applied.size, docClaims: this.claims.size, docWriters: this.writers.size, docDirty: this.dirtyKeys.size };
  }

  /** Object key → `id|signature` of what the simulation holds, sorted by key, for the store's checkpoint (`StoredDocument.applied`). */
  appliedObjects(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, a] of [...this.applied].sort((x, y) => (x[0] < y[0] ? -1 : 1))) out[key] = `${a.id}|${a.sig}`;
    return out;
  }

  /** The entity an object's key stands for (after `tick`). */
  entityOf(key: string): EntityId | undefined {
    return this.applied.get(key)?.id;
  }

  /** A document message from a player. */
  onMessage(peer: PeerId, m: Message): void {
    if (m.type === MsgType.Presence) return this.onPresence(peer, m.payload);
    if (m.type !== MsgType.DocSync) return this.refuse(peer, `message type ${m.type} is not a document message a player may send`);
    let kind: number;
    let body: Uint8Array;
    try {
      const d = decoding.createDecoder(m.payload);
      kind = decoding.readVarUint(d);
      body = decoding.readVarUint8Array(d);
    } catch (e) {
      return this.refuse(peer, `malformed sync message: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (kind === messageYjsSyncStep1) {
      const reply = encoding.createEncoder();
      try {
        writeSyncStep2(reply, this.doc, body);
      } catch (e) {
        return this.refuse(peer, `bad state vector: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.hooks.send(peer, { type: MsgType.DocSync, payload: encoding.toUint8Array(reply) });
      // …and what the player has that the relay lacks (edits made while it was away).
      const ask = encoding.createEncoder();
      writeSyncStep1(ask, this.doc);
      this.hooks.send(peer, { type: MsgType.DocSync, payload: encoding.toUint8Array(ask) });
      // Everyone online, for the newcomer.
      const states = [...this.awareness.getStates().keys()];
      if (states.length > 0) this.hooks.send(peer, { type: MsgType.Presence, payload: encodeAwarenessUpdate(this.awareness, states) });
      return;
    }
    if (kind !== messageYjsSyncStep2 && kind !== messageYjsUpdate) return this.refuse(peer, `unknown sync message kind ${kind}`);
    if (body.length > MAX_DOC_UPDATE_BYTES) return this.refuse(peer, `document update of ${body.length} bytes (at most ${MAX_DOC_UPDATE_BYTES})`);
    let footprint: UpdateFootprint;
    try {
      footprint = footprintOf(this.doc, body); // well-formed, and what it writes, before it touches the document
    } catch (e) {
      return this.refuse(peer, `malformed document update: ${e instanceof Error ? e.message : String(e)}`);
    }
    // Write rules: the layout is the creators'; everyone writes only as their own document's client.
    const role = this.hooks.role?.(peer) ?? 'creator';
    const ruled = refuseUpdate(role, footprint);
    if (ruled) return this.refuse(peer, ruled);
    const online = new Set(this.hooks.peers());
    for (const c of footprint.clients) {
      const writer = this.writers.get(c);
      if (writer !== undefined && writer !== peer && online.has(writer)) return this.refuse(peer, `document update with new items of client ${c}, which peer ${writer} writes`);
    }
    for (const c of footprint.clients) this.writers.set(c, peer);
    this.idsTouchedBy = undefined;
    try {
      Y.applyUpdate(this.doc, body, peer);
    } catch (e) {
      return this.refuse(peer, `document update not applicable: ${e instanceof Error ? e.message : String(e)}`);
    }
    // Entity ids are the relay's to give: a player's change to them is undone at once.
    if (this.idsTouchedBy === peer) {
      this.refuse(peer, 'document update changed entity ids (only the relay gives them)');
      this.flushIds();
    }
    // Acknowledged only once stored (with every update before it): later, when the store takes it again.
    if (this.unstored.length > 0) return this.refuse(peer, `document update not stored, not acknowledged: ${this.storeError}`);
    this.hooks.send(peer, { type: MsgType.DocAck, stateVector: Y.encodeStateVector(this.doc) });
  }

  /** A player left: its presence goes, for everyone. */
  left(peer: PeerId): void {
    for (const [c, p] of [...this.writers]) if (p === peer) this.writers.delete(c);
    const gone = [...this.claims].filter(([, p]) => p === peer).map(([c]) => c);
    for (const c of gone) this.claims.delete(c);
    if (gone.length === 0) return;
    removeAwarenessStates(this.awareness, gone, RELAY);
    const payload = encodeAwarenessUpdate(this.awareness, gone);
    for (const p of this.hooks.peers()) this.hooks.send(p, { type: MsgType.Presence, payload });
  }

  /** Frees timers. */
  destroy(): void {
    this.awareness.destroy();
    this.doc.destroy();
  }

  private onPresence(peer: PeerId, payload: Uint8Array): void {
    // Each entry names an awareness client: a peer may speak only for clients it announced first.
    try {
      const d = decoding.createDecoder(payload);
      const n = decoding.readVarUint(d);
      if (n > 16) return this.refuse(peer, `presence update for ${n} clients`);
      for (let i = 0; i < n; i++) {
        const client = decoding.readVarUint(d);
        decoding.readVarUint(d); // clock
        const state = decoding.readVarString(d);
        if (state.length > 4096) return this.refuse(peer, 'presence state over 4096 characters');
        JSON.parse(state);
        const owner = this.claims.get(client);
        if (owner !== undefined && owner !== peer) return this.refuse(peer, `presence of client ${client}, announced by peer ${owner}`);
      }
      const d2 = decoding.createDecoder(payload);
      const m = decoding.readVarUint(d2);
      for (let i = 0; i < m; i++) {
        this.claims.set(decoding.readVarUint(d2), peer);
        decoding.readVarUint(d2);
        decoding.readVarString(d2);
      }
      applyAwarenessUpdate(this.awareness, payload, peer);
    } catch (e) {
      return this.refuse(peer, `malformed presence update: ${e instanceof Error ? e.message : String(e)}`);
    }
    for (const p of this.hooks.peers()) if (p !== peer) this.hooks.send(p, { type: MsgType.Presence, payload });
  }

  /** Every applied update: stored (so it survives a kill), then sent to every other player. */
  private onUpdate(update: Uint8Array, origin: unknown): void {
    if (origin === LOADED) return;
    // Never throws: Yjs, when an update handler throws, leaves the document's transaction
    // cleanup half done, and no later update would be heard.
    this.unstored.push({ update, origin });
    this.storeUnstored();
  }

  /**
   * Stores the unstored updates in order, sending each stored one to the other players; stops at
   * the first that fails. Once updates refused before are all stored, their senders are acknowledged.
   */
  private storeUnstored(): void {
    const refusedBefore = this.storeError !== '';
    const senders = new Set<PeerId>();
    while (this.unstored.length > 0) {
      const { update, origin } = this.unstored[0]!;
      try {
        this.hooks.persist(update);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        if (reason !== this.storeError) this.hooks.storeFailed?.(reason);
        this.storeError = reason;
        return;
      }
      this.unstored.shift();
      if (typeof origin === 'number') senders.add(origin);
      this.counters.updates++;
      this.counters.updateBytes += update.length;
      const e = encoding.createEncoder();
      writeUpdate(e, update);
      const payload = encoding.toUint8Array(e);
      for (const p of this.hooks.peers()) if (p !== origin) this.hooks.send(p, { type: MsgType.DocSync, payload });
    }
    this.storeError = '';
    if (!refusedBefore) return;
    this.hooks.storeFailed?.(undefined);
    const online = new Set(this.hooks.peers());
    const stateVector = Y.encodeStateVector(this.doc);
    for (const p of senders) if (online.has(p)) this.hooks.send(p, { type: MsgType.DocAck, stateVector });
  }

  private entityIdOf(o: AuthoredObject): EntityId {
    const given = this.applied.get(o.key)?.id;
    if (given !== undefined) return given;
    // Template objects carry their ids; anyone else's object gets the next free one.
    const fromTemplate = this.templateKeys.get(o.key);
    if (fromTemplate !== undefined && fromTemplate >= TEMPLATE_ENTITY_BASE && fromTemplate < CREATED_ENTITY_BASE && !this.idTaken(fromTemplate, o.key)) return fromTemplate;
    const listed = this.doc.getMap<number>(ENTITY_IDS_ROOT).get(o.key);
    if (typeof listed === 'number' && listed >= CREATED_ENTITY_BASE && listed < FIRST_SPAWNED_ID && !this.idTaken(listed, o.key)) return listed;
    return this.nextId++;
  }

  private idTaken(id: EntityId, key: string): boolean {
    for (const [k, a] of this.applied) if (a.id === id && k !== key) return true;
    return false;
  }

  /** Writes the ids of created objects into the document (for players: entity → object). */
  private flushIds(keys?: readonly string[]): void {
    const ids = this.doc.getMap<number>(ENTITY_IDS_ROOT);
    // Template objects keep the ids the template gave them until they change (nothing to write).
    const listed = (key: string): number | undefined => {
      const a = this.applied.get(key);
      return a && this.templateKeys.get(key) !== a.id ? a.id : undefined;
    };
    const write = (): void => {
      for (const key of keys ?? [...this.applied.keys(), ...ids.keys()]) {
        const want = listed(key);
        if (want === undefined) {
          if (ids.has(key)) ids.delete(key);
        } else if (ids.get(key) !== want) ids.set(key, want);
      }
    };
    this.doc.transact(write, RELAY);
  }

  private refuse(peer: PeerId, reason: string): void {
    this.counters.refused++;
    this.hooks.refuse(peer, reason);
  }
}

/** What of an object the simulation depends on. */
function signature(o: AuthoredObject): string {
  const p = o.position;
  return `${o.kind}|${p.x},${p.y},${p.z}|${o.yaw}|${JSON.stringify(Object.entries(o.props).sort())}`;
}
