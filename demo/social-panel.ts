// The demo's social panel: who is online (and where, and who is editing) and the world's chat,
// both from the shared document (`handle.world.social`), so they survive reconnects.
import { tileOf, tileKey, type WorldHandle } from '../src/index.js';

const SHOWN_LINES = 8;

/** Fills `root` with the online list and the chat box; returns a refresh for the online list. */
export function createSocialPanel(root: HTMLElement, handle: WorldHandle, tileEdge: number): () => void {
  const social = handle.world.social;
  root.innerHTML = '';
  const online = document.createElement('div');
  online.className = 'online';
  const lines = document.createElement('div');
  lines.className = 'lines';
  const form = document.createElement('form');
  const input = document.createElement('input');
  // On a phone the field is narrow and has no Enter key to mention.
  input.placeholder = document.body.classList.contains('touch') ? 'say something' : 'say something (Enter)';
  input.maxLength = 500;
  input.dataset['testid'] = 'chat-input';
  const error = document.createElement('div');
  error.className = 'error';
  form.append(input);
  root.append(online, lines, form, error);

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    try {
      social.say(input.value);
      input.value = '';
      error.textContent = '';
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err);
    }
  });

  const drawChat = (): void => {
    lines.replaceChildren(
      ...social.messages().slice(-SHOWN_LINES).map((m) => {
        const line = document.createElement('div');
        const who = document.createElement('b');
        who.textContent = `${m.name}: `;
        who.style.color = m.color;
        line.append(who, document.createTextNode(m.text));
        return line;
      }),
    );
  };
  social.onChat(drawChat);
  drawChat();

  let last = '';
  return () => {
    const people = social.online();
    const rows = people.map((p) => {
      const where = p.position ? tileKey(tileOf(p.position, tileEdge)) : '–';
      return { p, who: `${p.name}${p.client === handle.world.doc.clientID ? ' (you)' : ''}`, text: ` · tile ${where}${p.editing ? ' · ✎ editing' : ''}` };
    });
    const sig = rows.map((r) => r.who + r.text + r.p.color).join('|');
    if (sig === last) return;
    last = sig;
    const title = document.createElement('div');
    title.className = 'title';
    title.textContent = `online (${people.length})`;
    online.replaceChildren(
      title,
      ...rows.map(({ p, who, text }) => {
        const row = document.createElement('div');
        const dot = document.createElement('span');
        dot.className = 'dot';
        dot.style.background = p.color;
        const name = document.createElement('b');
        name.textContent = who;
        name.style.color = p.color;
        row.append(dot, name, document.createTextNode(text));
        return row;
      }),
    );
  };
}
