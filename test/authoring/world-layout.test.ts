import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { WorldLayout } from '../../src/index.js';

const pair = (): [WorldLayout, WorldLayout, () => void] => {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.clientID = 1;
  b.clientID = 2;
  const sync = (): void => {
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
  };
  return [new WorldLayout(a, 16), new WorldLayout(b, 16), sync];
};

describe('WorldLayout (the authored layout in a Yjs document)', () => {
  it('refuses bad objects with a message naming the field', () => {
    const [l] = pair();
    expect(() => l.place({ kind: 'dragon' as 'box', position: { x: 0, y: 0, z: 0 } })).toThrow(/kind "dragon" cannot be placed/);
    expect(() => l.place({ kind: 'box', position: { x: Number.NaN, y: 0, z: 0 } })).toThrow(/position/);
    expect(() => l.place({ kind: 'box', position: { x: 0, y: 0, z: 0 }, color: 'red' })).toThrow(/colour "red"/);
    expect(() => l.move('nope', { x: 0, y: 0, z: 0 })).toThrow(/no object "nope"/);
    expect(l.size).toBe(0);
  });

  it('moves an object to another tile under the same key; tells listeners of layout changes only', () => {
    const [l] = pair();
    let changes = 0;
    l.onChange(() => changes++);
    const key = l.place({ kind: 'ramp', position: { x: 1, y: 2, z: 3 }, color: '#112233' });
    l.move(key, { x: 40, y: 2, z: 3 }, 1);
    l.doc.getArray('chat').push(['not a layout change']);
    const o = l.get(key)!;
    expect(o.tile).toEqual({ x: 2, y: 0, z: 0 });
    expect([o.position, o.yaw, o.color]).toEqual([{ x: 40, y: 2, z: 3 }, 1, '#112233']);
    expect(l.tilesHolding(key)).toEqual([{ x: 2, y: 0, z: 0 }]);
    expect(changes).toBe(2);
  });

  it('merges concurrent edits of different fields; a delete wins over a concurrent move', () => {
    const [a, b, sync] = pair();
    const one = a.place({ kind: 'box', position: { x: 1, y: 2, z: 1 } });
    const two = a.place({ kind: 'ball', position: { x: 2, y: 2, z: 2 } });
    sync();
    a.move(one, { x: 5, y: 2, z: 5 });
    b.configure(one, { color: '#ff0000' });
    a.remove(two);
    b.move(two, { x: 40, y: 2, z: 40 }); // to another tile: re-created there
    sync();
    for (const l of [a, b]) {
      expect(l.objects().map((o) => [o.key, o.position, o.color])).toEqual([[one, { x: 5, y: 2, z: 5 }, '#ff0000']]);
      expect(l.get(two)).toBeUndefined();
    }
  });
  it('undoes and redoes this creator\'s own edits, one call a step, across tiles and through a delete', () => {
    const [l] = pair();
    let told = 0;
    l.onHistory(() => told++);
    expect([l.canUndo, l.undo()]).toEqual([false, false]);
    const key = l.place({ kind: 'box', position: { x: 1, y: 1, z: 1 } });
    l.move(key, { x: 40, y: 1, z: 1 }, 0.5); // into tile 2,0,0
    l.configure(key, { color: '#abcdef' });
    l.remove(key);
    expect(l.get(key)).toBeUndefined();
    const seen: (string | undefined)[] = [];
    const look = (): void => {
      const o = l.get(key);
      seen.push(o ? `${o.position.x}@${o.tile.x} ${o.color} ${l.tilesHolding(key).length}` : undefined);
    };
    while (l.undo()) look();
    expect(seen).toEqual(['40@2 #abcdef 1', '40@2 #d98c3f 1', '1@0 #d98c3f 1', undefined]);
    expect([l.canUndo, l.canRedo]).toEqual([false, true]);
    seen.length = 0;
    while (l.redo()) look();
    expect(seen).toEqual(['1@0 #d98c3f 1', '40@2 #d98c3f 1', '40@2 #abcdef 1', undefined]);
    // A delete undone: the object is back under its key and the tombstone is gone.
    expect(l.undo()).toBe(true);
    expect(l.get(key)?.color).toBe('#abcdef');
    expect(l.doc.getMap('deleted').has(key)).toBe(false);
    // A new edit clears what could be redone.
    l.configure(key, { yaw: 2 });
    expect(l.canRedo).toBe(false);
    expect(told).toBeGreaterThan(8);
  });

  it('never undoes another creator\'s edits: an undone recolour keeps the other\'s concurrent move', () => {
    const [a, b, sync] = pair();
    const key = a.place({ kind: 'ball', position: { x: 2, y: 1, z: 2 } });
    sync();
    b.move(key, { x: 5, y: 1, z: 5 });
    a.configure(key, { color: '#ff0000' });
    const mine = b.place({ kind: 'box', position: { x: 3, y: 1, z: 3 } });
    sync();
    expect(a.undo()).toBe(true); // the recolour
    sync();
    for (const l of [a, b]) {
      expect(l.get(key)?.color).toBe('#3f7fd9');
      expect(l.get(key)?.position).toEqual({ x: 5, y: 1, z: 5 });
      expect(l.get(mine)).toBeDefined();
    }
    expect(a.undo()).toBe(true); // the placement: the object goes, for both
    expect(a.undo()).toBe(false); // b's edits are not a's to undo
    sync();
    expect([a.get(key), b.get(key)]).toEqual([undefined, undefined]);
    expect(b.objects().map((o) => o.key)).toEqual([mine]);
  });
});
