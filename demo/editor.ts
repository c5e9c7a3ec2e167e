// The demo's edit mode: a toolbar to place, select, move (buttons or drag), turn, recolour and
// delete objects of the world's layout (the shared Yjs document), and undo / redo one's own edits. Edits go through `handle.world.layout`; the relay
// turns them into entities, so what the toolbar changes is what every tab then simulates.
import * as THREE from 'three';
import { KIND_COLOURS, type AuthoredKind, type Vec3, type WorldHandle } from '../src/index.js';
import { pendingEdits } from './pending-edits.js';

/** What the editor needs from the page around it. */
export interface EditorDeps {
  readonly handle: WorldHandle;
  readonly camera: THREE.Camera;
  /** Where the selection outline is drawn. */
  readonly scene: THREE.Scene;
  readonly canvas: HTMLCanvasElement;
  /** Meshes by entity id (what a click can hit). */
  readonly meshes: ReadonlyMap<number, THREE.Object3D>;
  /** Where the player's avatar is, and which way it last walked. */
  readonly avatar: () => { position: Vec3; facing: { x: number; z: number } } | undefined;
}

/** The editor's per-frame hooks. */
export interface Editor {
  /** Edit mode on? */
  readonly active: boolean;
  /** Key of the selected object, if any. */
  readonly selected: string | undefined;
  /** Refreshes the selection highlight and the saved / saving status (call once a frame). */
  update(): void;
}

const SWATCHES = ['#e5484d', '#f5a524', '#46a758', '#3e63dd', '#8e4ec6', '#f2f2f2'];
const HEIGHT: Record<AuthoredKind, number> = { box: 1.5, ball: 1.5, ramp: 1.3, cannon: 1.4 };
const STEP_M = 1;

export function createEditor(root: HTMLElement, deps: EditorDeps): Editor {
  const { handle } = deps;
  const layout = handle.world.layout;
  let active = false;
  let selected: string | undefined;
  let highlighted: THREE.Mesh | undefined;
  const outline = new THREE.BoxHelper(new THREE.Object3D(), 0xffd23f);
  outline.visible = false;
  deps.scene.add(outline);
  let problem = '';
  const waiting = pendingEdits(handle);

  root.innerHTML = '';
  const bar = el('div', 'bar');
  const toggle = button('✎ Edit ', () => setActive(!active));
  toggle.dataset['testid'] = 'edit-toggle';
  // The key's hint, hidden on a touch screen (no keyboard).
  toggle.append(Object.assign(el('span', 'key'), { textContent: '(E)' }));
  bar.append(toggle);
  const tools = el('div', 'tools');
  for (const kind of ['box', 'ball', 'ramp', 'cannon'] as const) {
    const b = button(`+ ${kind}`, () => place(kind));
    b.dataset['place'] = kind;
    tools.append(b);
  }
  tools.append(el('span', 'sep'));
  const moves: [string, string, number, number][] = [
    ['←', 'move-left', -STEP_M, 0],
    ['→', 'move-right', STEP_M, 0],
    ['↑', 'move-back', 0, -STEP_M],
    ['↓', 'move-front', 0, STEP_M],
  ];
  for (const [label, id, dx, dz] of moves) tools.append(withId(button(label, () => nudge(dx, dz)), id));
  tools.append(withId(button('⟳ 45°', () => turn()), 'turn'));
  tools.append(withId(button('delete', () => remove()), 'delete'));
  tools.append(el('span', 'sep'));
  const undoButton = withId(button('↶ undo', () => run('undo', () => layout.undo())), 'undo');
  const redoButton = withId(button('↷ redo', () => run('redo', () => layout.redo())), 'redo');
  undoButton.title = 'Undo your last edit (Ctrl+Z)';
  redoButton.title = 'Redo (Ctrl+Shift+Z)';
  tools.append(undoButton, redoButton);
  tools.append(el('span', 'sep'));
  for (const c of SWATCHES) {
    const s = button('', () => recolour(c));
    s.className = 'swatch';
    s.style.background = c;
    s.dataset['colour'] = c;
    s.title = c;
    tools.append(s);
  }
  const status = el('div', 'status');
  status.dataset['testid'] = 'edit-status';
  root.append(bar, tools, status);

  const setActive = (on: boolean): void => {
    active = on;
    root.classList.toggle('on', on);
    toggle.classList.toggle('on', on);
    handle.world.social.updatePresence({ editing: on });
    if (!on) select(undefined);
  };

  const run = (what: string, f: () => void): void => {
    try {
      f();
      problem = '';
    } catch (e) {
      problem = `${what}: ${e instanceof Error ? e.message : String(e)}`;
    }
  };

  const place = (kind: AuthoredKind): void => {
    const me = deps.avatar();
    if (!me) return;
    const len = Math.hypot(me.facing.x, me.facing.z) || 1;
    const position = { x: round(me.position.x + (me.facing.x / len) * 3), y: HEIGHT[kind], z: round(me.position.z + (me.facing.z / len) * 3) };
    run(`place ${kind}`, () => select(layout.place({ kind, position, yaw: 0, color: KIND_COLOURS[kind] })));
  };
  const nudge = (dx: number, dz: number): void => {
    const o = selected ? layout.get(selected) : undefined;
    if (!o) return;
    run('move', () => layout.move(o.key, { x: o.position.x + dx, y: o.position.y, z: o.position.z + dz }));
  };
  const turn = (): void => {
    const o = selected ? layout.get(selected) : undefined;
    if (o) run('turn', () => layout.configure(o.key, { yaw: round(o.yaw + Math.PI / 4) }));
  };
  const remove = (): void => {
    if (!selected) return;
    const key = selected;
    select(undefined);
    run('delete', () => layout.remove(key));
  };
  const recolour = (color: string): void => {
    if (selected) run('colour', () => layout.configure(selected!, { color }));
  };
  const select = (key: string | undefined): void => {
    selected = key;
    root.dataset['selected'] = key ?? '';
  };

  // Click an object (edit mode) to select it: the ray hits a mesh → its entity → its object.
  // Hold the button and drag to move it over the ground: a yellow ghost shows where it will go,
  // and one edit is made when the button is let go.
  const ray = new THREE.Raycaster();
  const aim = (e: PointerEvent): void => {
    const r = deps.canvas.getBoundingClientRect();
    ray.setFromCamera(new THREE.Vector2(((e.clientX - r.left) / r.width) * 2 - 1, -((e.clientY - r.top) / r.height) * 2 + 1), deps.camera);
  };
  let drag: { key: string; pointer: number; plane: THREE.Plane; from: THREE.Vector3; origin: Vec3; to: Vec3; ghost: THREE.Object3D; base: THREE.Vector3 } | undefined;
  const endDrag = (commit: boolean): void => {
    if (!drag) return;
    const d = drag;
    drag = undefined;
    deps.scene.remove(d.ghost);
    if (deps.canvas.hasPointerCapture(d.pointer)) deps.canvas.releasePointerCapture(d.pointer);
    if (commit && (d.to.x !== d.origin.x || d.to.z !== d.origin.z)) run('move', () => layout.move(d.key, d.to));
  };
  deps.canvas.addEventListener('pointerdown', (e) => {
    if (!active) return;
    aim(e);
    const hits = ray.intersectObjects([...deps.meshes.values()], false);
    for (const h of hits) {
      const id = Number(h.object.userData['entity']);
      const key = Number.isFinite(id) ? layout.objectOfEntity(id) : undefined;
      if (!key) continue;
      select(key);
      const o = layout.get(key);
      const from = new THREE.Vector3();
      const plane = new THREE.Plane(new THREE.Vector3(0, 1, 0), -(o?.position.y ?? 0));
      if (o && ray.ray.intersectPlane(plane, from)) {
        endDrag(false);
        const ghost = ghostOf(h.object);
        ghost.visible = false;
        deps.scene.add(ghost);
        drag = { key, pointer: e.pointerId, plane, from, origin: o.position, to: o.position, ghost, base: h.object.position.clone() };
        deps.canvas.setPointerCapture(e.pointerId);
      }
      return;
    }
    select(undefined);
  });
  deps.canvas.addEventListener('pointermove', (e) => {
    if (!drag || e.pointerId !== drag.pointer) return;
    aim(e);
    const at = new THREE.Vector3();
    if (!ray.ray.intersectPlane(drag.plane, at)) return;
    // Snapped to a quarter metre, at the object's height.
    const to = { x: snap(drag.origin.x + at.x - drag.from.x), y: drag.origin.y, z: snap(drag.origin.z + at.z - drag.from.z) };
    drag.to = to;
    drag.ghost.visible = to.x !== drag.origin.x || to.z !== drag.origin.z;
    drag.ghost.position.set(drag.base.x + to.x - drag.origin.x, drag.base.y, drag.base.z + to.z - drag.origin.z);
  });
  deps.canvas.addEventListener('pointerup', () => endDrag(true));
  deps.canvas.addEventListener('pointercancel', () => endDrag(false));
  window.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.repeat) return;
    if ((e.ctrlKey || e.metaKey) && (e.code === 'KeyZ' || e.code === 'KeyY')) {
      if (!active) return;
      e.preventDefault();
      const redo = e.code === 'KeyY' || e.shiftKey;
      run(redo ? 'redo' : 'undo', () => (redo ? layout.redo() : layout.undo()));
      return;
    }
    if (e.code === 'KeyE') setActive(!active);
    else if (active && e.code === 'Escape') endDrag(false);
    else if (active && (e.code === 'Delete' || e.code === 'Backspace')) remove();
  });

  return {
    get active() {
      return active;
    },
    get selected() {
      return selected;
    },
    update() {
      const o = selected ? layout.get(selected) : undefined;
      if (selected && !o) select(undefined); // deleted by someone else
      const mesh = o?.entity !== undefined ? (deps.meshes.get(o.entity) as THREE.Mesh | undefined) : undefined;
      if (mesh !== highlighted) {
        if (highlighted) (highlighted.material as THREE.MeshStandardMaterial).emissive.setHex(0x000000);
        if (mesh) (mesh.material as THREE.MeshStandardMaterial).emissive.setHex(0x333333);
        highlighted = mesh;
      }
      // A yellow box around the selection, following it as it moves.
      outline.visible = mesh !== undefined;
      if (mesh) outline.setFromObject(mesh);
      undoButton.disabled = !layout.canUndo;
      redoButton.disabled = !layout.canRedo;
      const saved = handle.acknowledged;
      const unsaved = waiting();
      if (root.dataset['saved'] !== String(saved)) root.dataset['saved'] = String(saved);
      if (root.dataset['pending'] !== String(unsaved)) root.dataset['pending'] = String(unsaved);
      const what = o ? `${o.kind} at ${o.position.x.toFixed(1)}, ${o.position.z.toFixed(1)}` : active ? 'click an object to select it' : '';
      const text = [saved ? '✓ all edits saved' : `… saving${unsaved > 0 ? ` ${unsaved} edit${unsaved === 1 ? '' : 's'}` : ''}`, `${layout.size} objects`, what, problem, handle.docRefusal ?? ''].filter(Boolean).join(' · ');
      // Called every frame: writing the same text would still lay the page out again each frame.
      if (status.textContent !== text) status.textContent = text;
    },
  };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

function snap(v: number): number {
  return Math.round(v * 4) / 4;
}

/** A see-through yellow copy of an object's mesh: where a drag will put it. */
function ghostOf(object: THREE.Object3D): THREE.Object3D {
  const ghost = object.clone(true);
  const material = new THREE.MeshBasicMaterial({ color: 0xffd23f, transparent: true, opacity: 0.45, depthWrite: false });
  ghost.traverse((o) => {
    if (o instanceof THREE.Mesh) o.material = material;
  });
  return ghost;
}

function el(tag: string, cls: string): HTMLElement {
  const e = document.createElement(tag);
  e.className = cls;
  return e;
}

function button(text: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.textContent = text;
  b.addEventListener('click', (e) => {
    e.stopPropagation();
    onClick();
  });
  return b;
}

function withId(b: HTMLButtonElement, id: string): HTMLButtonElement {
  b.dataset['action'] = id;
  return b;
}
