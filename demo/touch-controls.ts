// Touch controls for phones and tablets: a virtual stick at the bottom left (walk: how far the
// thumb is pushed is how fast) and buttons at the bottom right (jump, throw). Built into
// `#touch`, shown only on touch devices (the page's `touch` class). Touch events, each finger
// followed by its identifier, so a thumb can walk while the other one jumps.

export interface TouchActions {
  /** The stick moved: `moveX` right, `moveZ` towards the camera, each in [-1, 1]. */
  onMove(moveX: number, moveZ: number): void;
  onJump(): void;
  /** Absent: no throw button (the offline mode has no throw). */
  onThrow?: () => void;
}

/** Radius the knob travels, CSS pixels; pushed this far is full speed. */
const REACH = 48;
/** Below this fraction of the reach the stick is at rest. */
const DEAD = 0.18;

export function createTouchControls(root: HTMLElement, actions: TouchActions): void {
  root.innerHTML = '';
  const stick = document.createElement('div');
  stick.className = 'stick';
  stick.dataset['testid'] = 'stick';
  const knob = document.createElement('div');
  knob.className = 'knob';
  stick.append(knob);
  const buttons = document.createElement('div');
  buttons.className = 'buttons';
  const button = (id: string, text: string, act: () => void): HTMLButtonElement => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = id;
    b.dataset['testid'] = id;
    b.textContent = text;
    b.addEventListener('touchstart', (e) => {
      e.preventDefault(); // no mouse events after, no double-tap zoom
      b.classList.add('down');
      act();
    }, { passive: false });
    const up = (): void => b.classList.remove('down');
    b.addEventListener('touchend', up);
    b.addEventListener('touchcancel', up);
    // A mouse (`?touch` on a desktop) clicks.
    b.addEventListener('click', () => act());
    return b;
  };
  if (actions.onThrow) buttons.append(button('throw', '● Throw', actions.onThrow));
  buttons.append(button('jump', '⤒ Jump', actions.onJump));
  root.append(stick, buttons);

  let finger: number | undefined;
  let centre = { x: 0, y: 0 };
  let sent = '0,0';
  const send = (x: number, z: number): void => {
    // Quantised, so a trembling thumb does not send an input every frame.
    const qx = Math.round(x * 20) / 20;
    const qz = Math.round(z * 20) / 20;
    const key = `${qx},${qz}`;
    if (key === sent) return;
    sent = key;
    actions.onMove(qx, qz);
  };
  const moveTo = (clientX: number, clientY: number): void => {
    let dx = clientX - centre.x;
    let dy = clientY - centre.y;
    const d = Math.hypot(dx, dy);
    if (d > REACH) {
      dx = (dx / d) * REACH;
      dy = (dy / d) * REACH;
    }
    knob.style.transform = `translate(${dx}px, ${dy}px)`;
    const f = Math.min(1, d / REACH);
    if (f < DEAD) return send(0, 0);
    send(dx / REACH, dy / REACH);
  };
  const release = (): void => {
    finger = undefined;
    stick.classList.remove('active');
    knob.style.transform = '';
    send(0, 0);
  };
  const touchOf = (list: TouchList): Touch | undefined => Array.from(list).find((t) => t.identifier === finger);

  stick.addEventListener('touchstart', (e) => {
    e.preventDefault();
    if (finger !== undefined) return;
    const t = e.changedTouches[0]!;
    finger = t.identifier;
    const r = stick.getBoundingClientRect();
    centre = { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    stick.classList.add('active');
    moveTo(t.clientX, t.clientY);
  }, { passive: false });
  // Moves and ends are followed on the window: the thumb may slide off the stick.
  window.addEventListener('touchmove', (e) => {
    const t = touchOf(e.changedTouches);
    if (!t) return;
    e.preventDefault();
    moveTo(t.clientX, t.clientY);
  }, { passive: false });
  const end = (e: TouchEvent): void => {
    if (touchOf(e.changedTouches)) release();
  };
  window.addEventListener('touchend', end);
  window.addEventListener('touchcancel', end);
  window.addEventListener('blur', () => {
    if (finger !== undefined) release();
  });
}
