// Test-side document updates for the store tests: each writer's update sets its own key, so a
// test can check that every acknowledged update is in what a store gives back.
import * as Y from 'yjs';

/** `n` document updates of one writer: each sets its own key `<name>-<i>` of map `m`. */
export function updatesOf(name: string, n: number): Uint8Array[] {
  const doc = new Y.Doc();
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  for (let i = 0; i < n; i++) doc.getMap('m').set(`${name}-${i}`, i);
  doc.destroy();
  return out;
}

/** The keys of map `m` once `updates` (after an optional template) are applied, sorted. */
export function keysOf(updates: readonly Uint8Array[], template?: Uint8Array): string[] {
  const doc = new Y.Doc();
  if (template) Y.applyUpdate(doc, template);
  for (const u of updates) Y.applyUpdate(doc, u);
  const keys = [...doc.getMap('m').keys()].sort();
  doc.destroy();
  return keys;
}
