import * as Y from 'yjs';
import { DELETED_ROOT, ENTITY_IDS_ROOT, TILE_ROOT_PREFIX } from '../../src/index.js';

import type { MemberRole } from '../../src/index.js';

/** What a join token lets a player do to the world's document. */
export type DocRole = MemberRole;

/** What an update would write, found before it is applied. */
export interface UpdateFootprint {
  /** Root types it adds to or deletes from (`?` when a parent could not be resolved). */
  readonly roots: ReadonlySet<string>;
  /** New items, by their Yjs client: what the writer's document wrote. */
  readonly clients: ReadonlySet<number>;
  /** A rule the items break (a profile written under another client's key, a chat line in another's name). */
  readonly forged: string | undefined;
}

type Struct = ReturnType<typeof Y.decodeUpdate>['structs'][number];

/**
 * Works out, without applying it, which root types an update touches and which clients wrote
 * its new items: each item's parent is a root name, a parent item (in the update or the
 * document), or implied by its neighbours (origin / right origin); deletions are looked up in
 * the document. Cost: proportional to the update, not to the document.
 */
export function footprintOf(doc: Y.Doc, update: Uint8Array): UpdateFootprint {
  const { structs, ds } = Y.decodeUpdate(update);
  const sv = Y.decodeStateVector(Y.encodeStateVector(doc));
  const inUpdate = new Map<number, Y.Item[]>();
  for (const s of structs) {
    if (!(s instanceof Y.Item)) continue;
    const list = inUpdate.get(s.id.client) ?? [];
    list.push(s);
    inUpdate.set(s.id.client, list);
  }
  const findLocal = (id: Y.ID): Y.Item | undefined => inUpdate.get(id.client)?.find((i) => id.clock >= i.id.clock && id.clock < i.id.clock + i.length);
  const findInDoc = (id: Y.ID): Y.Item | undefined => {
    try {
      const s = Y.getItem(doc.store, id) as Struct;
      return s instanceof Y.Item ? s : undefined;
    } catch {
      return undefined;
    }
  };
  const rootOfType = (t: Y.AbstractType<unknown>): string => {
    let type = t;
    for (let depth = 0; type._item && depth < 64; depth++) type = type._item.parent as Y.AbstractType<unknown>;
    try {
      return Y.findRootTypeKey(type);
    } catch {
      return '?';
    }
  };
  const rootOfItem = (item: Y.Item, depth = 0): string => {
    if (depth > 64) return '?';
    const p = item.parent as unknown;
    if (typeof p === 'string') return p;
    if (p instanceof Y.AbstractType) return rootOfType(p);
    if (p instanceof Y.ID) {
      const local = findLocal(p);
      if (local) return rootOfItem(local, depth + 1);
      const inDoc = findInDoc(p);
      const content = inDoc?.content as { type?: Y.AbstractType<unknown> } | undefined;
      return content?.type ? rootOfType(content.type) : '?';
    }
    // No parent written: it sits next to its origin (or right origin), under the same parent.
    for (const o of [item.origin, item.rightOrigin]) {
      if (!o) continue;
      const local = findLocal(o);
      if (local && local !== item) return rootOfItem(local, depth + 1);
      const inDoc = findInDoc(o);
      if (inDoc) return inDoc.parent instanceof Y.AbstractType ? rootOfType(inDoc.parent) : '?';
    }
    return '?';
  };
  const roots = new Set<string>();
  const clients = new Set<number>();
  let forged: string | undefined;
  for (const list of inUpdate.values()) {
    for (const item of list) {
      if (item.id.clock + item.length <= (sv.get(item.id.client) ?? 0)) continue; // known already: changes nothing
      clients.add(item.id.client);
      const root = rootOfItem(item);
      roots.add(root);
      if (root === 'players' && item.parentSub !== null && item.parentSub !== String(item.id.client)) forged ??= `a profile written under client ${item.parentSub} by client ${item.id.client}`;
      if (root === 'chat' && item.content instanceof Y.ContentAny) {
        for (const line of item.content.arr as unknown[]) {
          const from = (line as { from?: unknown } | null)?.from;
          if (from !== item.id.client) forged ??= `a chat line in the name of client ${String(from)} written by client ${item.id.client}`;
        }
      }
    }
  }
  for (const [client, ranges] of ds.clients) {
    for (const r of ranges) {
      let clock = r.clock;
      while (clock < r.clock + r.len) {
        const item = findInDoc(Y.createID(client, clock));
        if (!item) {
          roots.add('?');
          break;
        }
        roots.add(item.parent instanceof Y.AbstractType ? rootOfType(item.parent) : '?');
        clock = item.id.clock + Math.max(1, item.length);
      }
    }
  }
  return { roots, clients, forged };
}

/** True when a root holds the authored layout (tiles' objects, deletions, entity ids). */
export function isLayoutRoot(root: string): boolean {
  return root.startsWith(TILE_ROOT_PREFIX) || root === DELETED_ROOT || root === ENTITY_IDS_ROOT;
}

/**
 * Why a peer with `role` may not apply an update of this footprint (undefined when it may).
 * Creators edit the layout; players and viewers may not. Everyone writes only their own profile
 * and chat lines; roots outside the world's schema, or unresolvable parents, are refused for
 * non-creators.
 */
export function refuseUpdate(role: DocRole, f: UpdateFootprint): string | undefined {
  if (f.forged) return f.forged;
  if (role === 'creator') return undefined;
  for (const root of f.roots) {
    if (isLayoutRoot(root)) return `a ${role} may not edit the world's layout (${root})`;
    if (root !== 'players' && root !== 'chat') return `a ${role} may not write '${root}' in the world's document`;
  }
  return undefined;
}
