import * as Y from 'yjs';

/**
 * Folds a world's own document updates into one: the document's state over its template, with
 * deleted content garbage-collected (what compaction stores in place of the updates).
 */
export function foldUpdates(template: Uint8Array | undefined, updates: readonly Uint8Array[]): Uint8Array {
  const base = new Y.Doc();
  if (template) Y.applyUpdate(base, template);
  const full = new Y.Doc();
  if (template) Y.applyUpdate(full, template);
  for (const u of updates) Y.applyUpdate(full, u);
  const merged = Y.encodeStateAsUpdate(full, Y.encodeStateVector(base));
  base.destroy();
  full.destroy();
  return merged;
}
