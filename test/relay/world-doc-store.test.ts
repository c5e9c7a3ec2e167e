import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { templateFromJson, WorldLayout, type ObjectSpec, type TemplateJson } from '../../src/index.js';
import { WorldStore } from '../../relay/store/world-store.js';

const EDGE = 16;

/** A template of `n` objects spread over a 3×3-tile world. */
function bigTemplate(n: number): TemplateJson {
  const kinds = ['box', 'ball', 'ramp', 'cannon'] as const;
  const objects: ObjectSpec[] = [];
  for (let i = 0; i < n; i++) objects.push({ kind: kinds[i % 4]!, position: { x: 1 + ((i * 7.3) % 46), y: 1.5, z: 1 + ((i * 3.1) % 46) }, yaw: (i % 8) * 0.25, color: '#aa8844' });
  return { format: 'tessera-template@1', objects };
}

/** The updates a creator's few edits on top of a template make. */
function edits(template: Uint8Array, clientId: number): Uint8Array[] {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  Y.applyUpdate(doc, template);
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  const layout = new WorldLayout(doc, EDGE);
  const key = layout.place({ kind: 'ramp', position: { x: 8, y: 1.3, z: 8 }, color: '#ff0000' });
  layout.move(key, { x: 20, y: 1.3, z: 8 });
  layout.configure('tpl-3', { color: '#00ff00' });
  layout.remove('tpl-4');
  doc.destroy();
  return out;
}

const layoutOf = (template: Uint8Array | undefined, updates: readonly Uint8Array[]): string => {
  const doc = new Y.Doc();
  if (template) Y.applyUpdate(doc, template);
  for (const u of updates) Y.applyUpdate(doc, u);
  const s = JSON.stringify(new WorldLayout(doc, EDGE).objects());
  doc.destroy();
  return s;
};

describe('world store: documents, templates, compaction', () => {
  it('two worlds made from one template store it once: the second world costs its delta, not the template', () => {
    const store = new WorldStore(join(mkdtempSync(join(tmpdir(), 'tessera-tpl-')), 'tessera.db'));
    const template = templateFromJson(bigTemplate(3000), EDGE);
    // The same JSON always gives the same bytes (so the same content address).
    expect(templateFromJson(bigTemplate(3000), EDGE)).toEqual(template);
    const empty = store.sizeBytes;
    const a = store.createWorld('a', template);
    for (const u of edits(template, 11)) store.appendUpdate('a', u);
    const afterA = store.sizeBytes;
    const b = store.createWorld('b', template);
    const deltaB = edits(template, 12);
    for (const u of deltaB) store.appendUpdate('b', u);
    const afterB = store.sizeBytes;
    const deltaBytes = deltaB.reduce((n, u) => n + u.length, 0);
    console.log(`template ${template.length} B; world a took ${afterA - empty} B of database, world b ${afterB - afterA} B (its delta: ${deltaBytes} B in ${deltaB.length} updates)`);
    expect(a).toEqual({ created: true, template: b.template });
    expect(afterA - empty).toBeGreaterThan(template.length * 0.9);
    expect(afterB - afterA).toBeLessThan(template.length * 0.1);
    // Both worlds load as template + their own edits.
    const docA = store.loadDocument('a')!;
    const docB = store.loadDocument('b')!;
    expect(docA.template).toEqual(template);
    expect(docB.template).toEqual(template);
    expect(layoutOf(docB.template, docB.updates)).toBe(layoutOf(template, deltaB));
    expect(JSON.parse(layoutOf(docB.template, docB.updates)).length).toBe(3000); // one placed, one deleted
    // A world that exists keeps its template.
    expect(store.createWorld('b', templateFromJson(bigTemplate(10), EDGE))).toEqual({ created: false, template: b.template });
    store.close();
  });

  it('keeps a bounded log: past the limit the updates fold into one, and the document is the same', () => {
    const store = new WorldStore(join(mkdtempSync(join(tmpdir(), 'tessera-log-')), 'tessera.db'), { maxUpdates: 100, maxBytes: 1 << 30 });
    store.createWorld('w');
    const doc = new Y.Doc();
    const layout = new WorldLayout(doc, EDGE);
    let appended = 0;
    let bytes = 0;
    doc.on('update', (u: Uint8Array) => {
      store.appendUpdate('w', u);
      appended++;
      bytes += u.length;
      expect(store.logSize('w').count).toBeLessThanOrEqual(101);
    });
    const keys = Array.from({ length: 20 }, (_, i) => layout.place({ kind: 'box', position: { x: i, y: 2, z: 3 } }));
    for (let round = 0; round < 30; round++) for (const k of keys.slice(0, 10)) layout.move(k, { x: round, y: 2, z: 5 + (round % 7) });
    for (const k of keys.slice(10)) layout.remove(k);
    const stored = store.loadDocument('w')!;
    const storedBytes = stored.updates.reduce((n, u) => n + u.length, 0);
    console.log(`${appended} updates (${bytes} B) kept as ${stored.updates.length} rows (${storedBytes} B)`);
    expect(appended).toBeGreaterThan(300);
    expect(stored.updates.length).toBeLessThanOrEqual(101);
    expect(storedBytes).toBeLessThan(bytes / 2);
    expect(layoutOf(undefined, stored.updates)).toBe(JSON.stringify(layout.objects()));
    doc.destroy();
    store.close();
  });
});
