import * as Y from 'yjs';
import type { EntityId, Props, PropValue } from '../core/entity.js';
import { ErrorCode, TesseraError } from '../core/errors.js';
import { compareTiles, parseTileKey, tileKey, tileOf, type TileId } from '../core/tile.js';
import type { Vec3 } from '../core/vec.js';

/** Kinds a creator can place from the editor. */
export type AuthoredKind = 'box' | 'ball' | 'ramp' | 'cannon';
/** The kinds a creator may place in the layout editor. */
export const AUTHORED_KINDS: readonly AuthoredKind[] = ['box', 'ball', 'ramp', 'cannon'];

/**
 * Entity ids of authored objects: objects of a world's template carry theirs (from
 * `TEMPLATE_ENTITY_BASE` up); the relay gives every other object one from
 * `CREATED_ENTITY_BASE` up. Scenes use small ids, avatars 10^6 and up, tiles mint ids ≥ 2^32.
 */
export const TEMPLATE_ENTITY_BASE = 2 ** 31;
/** First entity id the relay gives to objects created in a world (not from its template); see `TEMPLATE_ENTITY_BASE`. */
export const CREATED_ENTITY_BASE = 2 ** 31 + 2 ** 29;

/** Root type holding, per object key, the entity id the relay gave it (only the relay writes it). */
export const ENTITY_IDS_ROOT = 'entityIds';
/** Root map of deleted object keys: a delete wins over a concurrent move (which re-creates the object in another tile). */
export const DELETED_ROOT = 'deleted';
/** Root types of objects are named by tile, so an edit touches one tile's map only. */
export const TILE_ROOT_PREFIX = 'tile:';
/** Origin of this creator's layout edits (what undo and redo act on). */
export const LAYOUT_EDIT_ORIGIN = 'layout-edit';
/** Undo steps a creator keeps (older ones are forgotten). */
export const UNDO_STEPS_KEPT = 200;

/** An object as a creator places it. */
export interface ObjectSpec {
  /** What to place (one of `AUTHORED_KINDS`). */
  readonly kind: AuthoredKind;
  /** Centre, metres. */
  readonly position: Vec3;
  /** Turn about the vertical axis, radians (default 0). */
  readonly yaw?: number;
  /** `#rrggbb` (default: the kind's colour). */
  readonly color?: string;
  /** Initial props of the kind (e.g. a cannon's `speed`); unknown names are ignored by the relay. */
  readonly props?: Props;
}

/** An object of the world's layout, as the document holds it. */
export interface AuthoredObject {
  /** Unique in the world; stays the same when the object moves. */
  readonly key: string;
  /** The tile whose map holds it (from its position). */
  readonly tile: TileId;
  /** What it is. */
  readonly kind: AuthoredKind;
  /** Centre, world metres. */
  readonly position: Vec3;
  /** Turn about the vertical axis, radians. */
  readonly yaw: number;
  /** Colour, `#rrggbb`. */
  readonly color: string;
  /** Props of the kind set by the creator. */
  readonly props: Props;
  /** The simulated entity, once the relay gave the object one (`entityIds`, else the template's). */
  readonly entity: EntityId | undefined;
}

/** Default colours of authored kinds (what the demo draws them with). */
export const KIND_COLOURS: Readonly<Record<AuthoredKind, string>> = { box: '#d98c3f', ball: '#3f7fd9', ramp: '#8c8c8c', cannon: '#3a3f47' };

const COLOUR = /^#[0-9a-f]{6}$/;
const MAX_COORD = 100_000;
const MAX_PROPS = 16;

/** Checks an object spec; throws `bad-input` naming what is wrong. */
export function checkObjectSpec(spec: ObjectSpec): void {
  const bad = objectSpecProblem(spec);
  if (bad) throw new TesseraError(ErrorCode.BadInput, bad);
}

/** What is wrong with an object spec, or undefined (also used on objects received from others). */
export function objectSpecProblem(spec: { kind: unknown; position: unknown; yaw?: unknown; color?: unknown; props?: unknown }): string | undefined {
  if (!AUTHORED_KINDS.includes(spec.kind as AuthoredKind)) return `kind ${JSON.stringify(spec.kind)} cannot be placed (one of ${AUTHORED_KINDS.join(', ')})`;
  const p = spec.position as Vec3 | undefined;
  if (!p || ![p.x, p.y, p.z].every((v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_COORD)) return `position ${JSON.stringify(p)} is not three finite numbers within ±${MAX_COORD} m`;
  if (spec.yaw !== undefined && (typeof spec.yaw !== 'number' || !Number.isFinite(spec.yaw))) return `yaw ${String(spec.yaw)} is not a finite number`;
  if (spec.color !== undefined && (typeof spec.color !== 'string' || !COLOUR.test(spec.color))) return `colour ${JSON.stringify(spec.color)} is not #rrggbb (lower case)`;
  if (spec.props !== undefined) {
    if (typeof spec.props !== 'object' || spec.props === null || Array.isArray(spec.props)) return 'props must be an object';
    const entries = Object.entries(spec.props as Record<string, unknown>);
    if (entries.length > MAX_PROPS) return `more than ${MAX_PROPS} props`;
    for (const [k, v] of entries) {
      const ok = (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || (typeof v === 'string' && v.length <= 64);
      if (!ok || k.length > 32) return `prop ${JSON.stringify(k)} = ${JSON.stringify(v)} is not a number, boolean or short string`;
    }
  }
  return undefined;
}

/** Reads one object's map; undefined when its fields are not a valid object (written by a faulty or hostile peer). */
export function readObject(key: string, tile: TileId, m: Y.Map<unknown>): AuthoredObject | undefined {
  const position = { x: m.get('x') as number, y: m.get('y') as number, z: m.get('z') as number };
  const spec = { kind: m.get('kind'), position, yaw: m.get('yaw') ?? 0, color: m.get('color'), props: m.get('props') ?? {} };
  if (objectSpecProblem(spec)) return undefined;
  const kind = spec.kind as AuthoredKind;
  const eid = m.get('eid');
  return {
    key,
    tile,
    kind,
    position,
    yaw: spec.yaw as number,
    color: (spec.color as string | undefined) ?? KIND_COLOURS[kind],
    props: spec.props as Props,
    entity: typeof eid === 'number' && Number.isSafeInteger(eid) ? eid : undefined,
  };
}

/**
 * The authored layout of a world in its Yjs document: objects placed by creators (and by the
 * world's template), one root map per tile keyed by object key, each object a map of fields —
 * so concurrent edits of different objects, or of different fields of one object (a move and
 * a recolour), all survive. Entity ids are given by the relay (`entityIds`). Pure: no network.
 */
export class WorldLayout {
  private counter = 0;
  private undoManager: Y.UndoManager | undefined;
  private readonly historyListeners = new Set<() => void>();

  constructor(
    /** The world's Yjs document holding the layout. */
    readonly doc: Y.Doc,
    /** Tile edge, metres: decides which tile map holds each object. */
    readonly tileEdge: number,
  ) {}

  /**
   * Why this member may not edit the layout (its role is not `creator`), or undefined when it
   * may. Set by `joinWorld` from the relay's welcome: the relay refuses such edits anyway, and
   * an edit it refused would hold back this document's later updates.
   */
  readOnly: string | undefined;

  private checkEditable(): void {
    if (this.readOnly !== undefined) throw new TesseraError(ErrorCode.Forbidden, `the layout is read-only here: ${this.readOnly}`);
  }

  /** Places an object; returns its key. Throws `bad-input` on a bad spec, `forbidden` when this member may not edit. */
  place(spec: ObjectSpec): string {
    this.checkEditable();
    checkObjectSpec(spec);
    const key = `${this.doc.clientID.toString(36)}-${(this.counter++).toString(36)}`;
    this.history();
    this.doc.transact(() => {
      this.tileMap(tileOf(spec.position, this.tileEdge)).set(key, objectMap(spec));
    }, LAYOUT_EDIT_ORIGIN);
    return key;
  }

  /** Moves an object (to another tile too); throws `not-found` for an unknown key. */
  move(key: string, position: Vec3, yaw?: number): void {
    this.checkEditable();
    const found = this.require(key);
    const spec: ObjectSpec = { kind: found.obj.kind, position, yaw: yaw ?? found.obj.yaw, color: found.obj.color, props: found.obj.props };
    checkObjectSpec(spec);
    const to = tileOf(position, this.tileEdge);
    this.history();
    this.doc.transact(() => {
      if (tileKey(to) === tileKey(found.obj.tile)) {
        found.map.set('x', position.x);
        found.map.set('y', position.y);
        found.map.set('z', position.z);
        if (yaw !== undefined) found.map.set('yaw', yaw);
        return;
      }
      // Another tile's map: the object moves over whole, keeping its key (and so its entity).
      const eid = found.map.get('eid');
      this.tileMap(found.obj.tile).delete(key);
      const m = objectMap(spec);
      if (typeof eid === 'number') m.set('eid', eid);
      this.tileMap(to).set(key, m);
    }, LAYOUT_EDIT_ORIGIN);
  }

  /** Changes an object's colour, turn or props. */
  configure(key: string, change: { color?: string; yaw?: number; props?: Props }): void {
    this.checkEditable();
    const found = this.require(key);
    checkObjectSpec({ ...found.obj, ...change });
    this.history();
    this.doc.transact(() => {
      if (change.color !== undefined) found.map.set('color', change.color);
      if (change.yaw !== undefined) found.map.set('yaw', change.yaw);
      if (change.props !== undefined) found.map.set('props', { ...change.props });
    }, LAYOUT_EDIT_ORIGIN);
  }

  /** Deletes an object; false when there is no such object. */
  remove(key: string): boolean {
    this.checkEditable();
    const found = this.find(key);
    if (!found) return false;
    this.history();
    this.doc.transact(() => {
      // Keys are never reused, so the tombstone is safe to keep; it hides copies a concurrent move makes.
      this.doc.getMap<boolean>(DELETED_ROOT).set(key, true);
      for (const t of this.tilesHolding(key)) this.tileMap(t).delete(key);
    }, LAYOUT_EDIT_ORIGIN);
    return true;
  }

  /**
   * Takes back this creator's last edit still in effect (a place, move, configure or remove —
   * one call of those is one step). Edits by others are never undone, and merge as usual with
   * what the undo changes. False when there is nothing to undo.
   */
  undo(): boolean {
    this.checkEditable();
    return this.undoManager?.undo() != null;
  }

  /** Makes the last undone edit again; false when there is none (a new edit clears the redo steps). */
  redo(): boolean {
    this.checkEditable();
    return this.undoManager?.redo() != null;
  }

  /** Whether `undo` / `redo` have a step to take. */
  get canUndo(): boolean {
    return this.undoManager?.canUndo() ?? false;
  }

  /** Whether `redo` has a step to take. */
  get canRedo(): boolean {
    return this.undoManager?.canRedo() ?? false;
  }

  /** Calls `listener` whenever `canUndo` or `canRedo` may have changed; returns the unsubscribe. */
  onHistory(listener: () => void): () => void {
    this.historyListeners.add(listener);
    return () => this.historyListeners.delete(listener);
  }

  /** One object, or undefined. */
  get(key: string): AuthoredObject | undefined {
    return this.find(key)?.obj;
  }

  /**
   * Every valid object, sorted by key. An object two creators moved to two different tiles at
   * once is in both tiles' maps; the copy in the first tile (by tile order) is the object.
   */
  objects(): AuthoredObject[] {
    const ids = this.doc.getMap<number>(ENTITY_IDS_ROOT);
    const deleted = this.doc.getMap<boolean>(DELETED_ROOT);
    const out = new Map<string, AuthoredObject>();
    for (const tile of this.tiles()) {
      for (const [key, m] of this.tileMap(tile).entries()) {
        if (out.has(key) || !(m instanceof Y.Map) || deleted.has(key)) continue;
        const obj = readObject(key, tile, m);
        if (obj) out.set(key, ids.has(key) ? { ...obj, entity: ids.get(key) } : obj);
      }
    }
    return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Number of objects (valid ones). */
  get size(): number {
    return this.objects().length;
  }

  /** The key of the object an entity stands for, if any. */
  objectOfEntity(id: EntityId): string | undefined {
    for (const o of this.objects()) if (o.entity === id) return o.key;
    return undefined;
  }

  /** Tiles that have an object map, in tile order. */
  tiles(): TileId[] {
    const out: TileId[] = [];
    for (const name of this.doc.share.keys()) {
      if (!name.startsWith(TILE_ROOT_PREFIX)) continue;
      try {
        out.push(parseTileKey(name.slice(TILE_ROOT_PREFIX.length)));
      } catch {
        // a root type with a malformed name: not an object map
      }
    }
    return out.sort(compareTiles);
  }

  /** The object map of one tile (created empty on first use). */
  tileMap(tile: TileId): Y.Map<Y.Map<unknown>> {
    return this.doc.getMap(TILE_ROOT_PREFIX + tileKey(tile));
  }

  /** Tiles whose map holds `key` (more than one only after concurrent moves). */
  tilesHolding(key: string): TileId[] {
    return this.tiles().filter((t) => this.tileMap(t).has(key));
  }

  /** Calls `listener` after every change of the layout (local or remote); returns the unsubscribe. */
  onChange(listener: (origin: unknown) => void): () => void {
    const f = (tr: Y.Transaction): void => {
      for (const type of tr.changed.keys()) {
        const root = rootName(type);
        if (root !== undefined && (root.startsWith(TILE_ROOT_PREFIX) || root === ENTITY_IDS_ROOT || root === DELETED_ROOT)) return listener(tr.origin);
      }
    };
    this.doc.on('afterTransaction', f);
    return () => this.doc.off('afterTransaction', f);
  }

  /**
   * The undo history of this creator's edits, started by its first edit (a relay, which never
   * edits through these methods, keeps none). Each edit call is its own step.
   */
  private history(): Y.UndoManager {
    if (this.undoManager) return this.undoManager;
    const um = new Y.UndoManager(this.doc, { trackedOrigins: new Set([LAYOUT_EDIT_ORIGIN]), captureTimeout: 0 });
    const changed = (): void => {
      for (const l of this.historyListeners) l();
    };
    um.on('stack-item-added', () => {
      // Bounded: the oldest steps are forgotten.
      if (um.undoStack.length > UNDO_STEPS_KEPT) um.undoStack.splice(0, um.undoStack.length - UNDO_STEPS_KEPT);
      changed();
    });
    um.on('stack-item-popped', changed);
    um.on('stack-cleared', changed);
    this.undoManager = um;
    return um;
  }

  private find(key: string): { obj: AuthoredObject; map: Y.Map<unknown> } | undefined {
    if (this.doc.getMap<boolean>(DELETED_ROOT).has(key)) return undefined;
    const ids = this.doc.getMap<number>(ENTITY_IDS_ROOT);
    for (const tile of this.tiles()) {
      const m = this.tileMap(tile).get(key);
      if (!(m instanceof Y.Map)) continue;
      const obj = readObject(key, tile, m);
      if (obj) return { obj: ids.has(key) ? { ...obj, entity: ids.get(key) } : obj, map: m };
    }
    return undefined;
  }

  private require(key: string): { obj: AuthoredObject; map: Y.Map<unknown> } {
    const found = this.find(key);
    if (!found) throw new TesseraError(ErrorCode.UnknownEntity, `no object ${JSON.stringify(key)} in this world`);
    return found;
  }
}

/** A new object map holding a spec's fields. */
export function objectMap(spec: ObjectSpec): Y.Map<unknown> {
  const m = new Y.Map<unknown>();
  m.set('kind', spec.kind);
  m.set('x', spec.position.x);
  m.set('y', spec.position.y);
  m.set('z', spec.position.z);
  m.set('yaw', spec.yaw ?? 0);
  if (spec.color !== undefined) m.set('color', spec.color);
  if (spec.props !== undefined && Object.keys(spec.props).length > 0) m.set('props', { ...spec.props } as Record<string, PropValue>);
  return m;
}

/** A shared type as far as finding its root goes (Yjs types its parents loosely). */
interface TypeInDoc {
  readonly _item: { readonly parent: unknown } | null;
  readonly doc: Y.Doc | null;
}

/** Name of the root type a shared type belongs to (undefined for detached types). */
export function rootName(type: TypeInDoc): string | undefined {
  let t = type;
  while (t._item) t = t._item.parent as TypeInDoc;
  const doc = t.doc;
  if (!doc) return undefined;
  for (const [name, root] of doc.share) if ((root as unknown) === t) return name;
  return undefined;
}
