// The demo's heads-up display around the view: a small badge (who you are, who is online, the
// connection), and the debug panel (`#stats`, `#debug`) folded away until asked for — with the
// backquote key (`) or F3, a tap on the badge's ⚙ button, or `?debug` in the URL. Folded, the
// panel is still in the page and kept up to date (tests and tools read it), only not shown.

export interface Hud {
  /** Is the debug panel open? */
  readonly debug: boolean;
  /** Calls `f` (now and) whenever the debug panel opens or folds. */
  onDebug(f: (open: boolean) => void): void;
  /** The badge's text: the world and who is in it. */
  setBadge(text: string, status?: 'connected' | 'reconnecting' | 'offline'): void;
  /** A notice everyone should see, debug panel open or not (an audit incident); '' hides it. */
  setNotice(text: string): void;
}

export function createHud(params: URLSearchParams): Hud {
  const body = document.body;
  const badge = document.getElementById('badge')!;
  const text = badge.querySelector<HTMLElement>('.text')!;
  const dot = badge.querySelector<HTMLElement>('.dot')!;
  const toggle = badge.querySelector<HTMLButtonElement>('[data-testid=debug-toggle]')!;
  const listeners: ((open: boolean) => void)[] = [];
  let debug = false;
  const set = (open: boolean): void => {
    debug = open;
    body.classList.toggle('debug', open);
    toggle.classList.toggle('on', open);
    toggle.setAttribute('aria-pressed', String(open));
    for (const f of listeners) f(open);
  };
  set(params.has('debug'));
  toggle.addEventListener('click', (e) => {
    e.stopPropagation();
    set(!debug);
    toggle.blur(); // so Space (jump) does not press it again
  });
  window.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.repeat) return;
    if (e.code === 'Backquote' || e.code === 'F3') {
      e.preventDefault(); // F3 is the browser's "find next"
      set(!debug);
    }
  });
  const notice = document.getElementById('notice')!;
  let lastBadge = '';
  return {
    get debug() {
      return debug;
    },
    onDebug(f) {
      listeners.push(f);
      f(debug);
    },
    setBadge(t, status = 'connected') {
      const sig = `${t}|${status}`;
      if (sig === lastBadge) return;
      lastBadge = sig;
      text.textContent = t;
      dot.dataset['status'] = status;
    },
    setNotice(t) {
      if (notice.textContent !== t) notice.textContent = t;
    },
  };
}

/** Is this a touch device (a phone or a tablet)? `?touch` forces the touch controls on, `?touch=0` off. */
export function isTouchDevice(params: URLSearchParams): boolean {
  if (params.has('touch')) return params.get('touch') !== '0';
  return window.matchMedia('(pointer: coarse)').matches || (navigator.maxTouchPoints > 0 && window.matchMedia('(hover: none)').matches);
}
