import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { ErrorCode, TesseraError } from '../core/errors.js';
import type { Vec3 } from '../core/vec.js';

/** A line of the world's chat. */
export interface ChatMessage {
  /** Yjs client id of the writer's document. */
  readonly from: number;
  /** The writer's profile name when it wrote. */
  readonly name: string;
  /** The writer's profile colour when it wrote, `#rrggbb`. */
  readonly color: string;
  /** The message, at most `MAX_CHAT_CHARS` characters. */
  readonly text: string;
  /** Writer's wall clock, ms since 1970 (for display only). */
  readonly at: number;
}

/** Someone online, from their presence (ephemeral: gone when they leave). */
export interface Presence {
  /** Yjs client id of their document. */
  readonly client: number;
  /** Their profile name. */
  readonly name: string;
  /** Their profile colour, `#rrggbb`. */
  readonly color: string;
  /** Their peer id and avatar entity on the relay, once joined. */
  readonly peer: number | undefined;
  /** Entity id of their avatar, once joined. */
  readonly avatar: number | undefined;
  /** Where their avatar was last, metres. */
  readonly position: Vec3 | undefined;
  /** True when they have the editor open. */
  readonly editing: boolean;
}

/** Chat lines the world keeps (the relay trims older ones). */
export const CHAT_KEPT = 200;
/** Longest chat line, characters. */
export const MAX_CHAT_CHARS = 500;
const COLOUR = /^#[0-9a-f]{6}$/;

/**
 * The social side of a world's document: players' names and colours (`players`, kept), the
 * chat (`chat`, the last `CHAT_KEPT` lines kept) and presence (y-protocols awareness: who is
 * online, where, and whether they are editing; never stored).
 */
export class SocialState {
  /** Ephemeral presence (y-protocols awareness) of everyone online; synced by `DocSync`. */
  readonly awareness: Awareness;

  /** Builds the social view over the world document `doc` (profiles and chat live in it). */
  constructor(
    /** The world's Yjs document. */
    readonly doc: Y.Doc,
  ) {
    this.awareness = new Awareness(doc);
  }

  /** Sets this player's name and colour (kept in the world, shown to everyone). */
  setProfile(profile: { name: string; color: string }): void {
    const name = profile.name.trim();
    if (name.length === 0 || name.length > 32) throw new TesseraError(ErrorCode.BadInput, `name ${JSON.stringify(profile.name)} must be 1–32 characters`);
    if (!COLOUR.test(profile.color)) throw new TesseraError(ErrorCode.BadInput, `colour ${JSON.stringify(profile.color)} is not #rrggbb (lower case)`);
    this.doc.transact(() => this.players().set(String(this.doc.clientID), { name, color: profile.color }), 'local');
    this.updatePresence({ name, color: profile.color });
  }

  /** This player's profile, if set. */
  get profile(): {
    /** Display name, 1–32 characters. */
    name: string;
    /** Colour, `#rrggbb` (lower case). */
    color: string;
  } | undefined {
    return this.players().get(String(this.doc.clientID));
  }

  /** Every profile ever set in this world, by Yjs client id. */
  profiles(): Map<number, {
    /** Display name, 1–32 characters. */
    name: string;
    /** Colour, `#rrggbb` (lower case). */
    color: string;
  }> {
    const out = new Map<number, { name: string; color: string }>();
    for (const [k, v] of this.players().entries()) if (isProfile(v)) out.set(Number(k), v);
    return out;
  }

  /** Posts a chat line under this player's profile. */
  say(text: string): void {
    const t = text.trim();
    if (t.length === 0) throw new TesseraError(ErrorCode.BadInput, 'an empty chat line');
    if (t.length > MAX_CHAT_CHARS) throw new TesseraError(ErrorCode.BadInput, `a chat line of ${t.length} characters (at most ${MAX_CHAT_CHARS})`);
    const p = this.profile ?? { name: `player ${this.doc.clientID % 1000}`, color: '#9da7b3' };
    const line: ChatMessage = { from: this.doc.clientID, name: p.name, color: p.color, text: t, at: Date.now() };
    this.doc.transact(() => this.chat().push([line]), 'local');
  }

  /** The chat, oldest first (malformed lines left out). */
  messages(): ChatMessage[] {
    return this.chat().toArray().filter(isChatMessage);
  }

  /** Who is online now (this player included), by client id. */
  online(): Presence[] {
    const out: Presence[] = [];
    for (const [client, s] of [...this.awareness.getStates().entries()].sort((a, b) => a[0] - b[0])) {
      if (typeof s['name'] !== 'string') continue;
      const pos = s['position'] as Vec3 | undefined;
      out.push({
        client,
        name: String(s['name']).slice(0, 32),
        color: typeof s['color'] === 'string' && COLOUR.test(s['color']) ? s['color'] : '#9da7b3',
        peer: typeof s['peer'] === 'number' ? s['peer'] : undefined,
        avatar: typeof s['avatar'] === 'number' ? s['avatar'] : undefined,
        position: pos && [pos.x, pos.y, pos.z].every((v) => typeof v === 'number' && Number.isFinite(v)) ? pos : undefined,
        editing: s['editing'] === true,
      });
    }
    return out;
  }

  /** Merges fields into this player's presence (sent to everyone online). */
  updatePresence(fields: Partial<Omit<Presence, 'client'>>): void {
    this.awareness.setLocalState({ ...(this.awareness.getLocalState() ?? {}), ...fields });
  }

  /** Calls `listener` on every new chat line; returns the unsubscribe. */
  onChat(listener: (lines: ChatMessage[]) => void): () => void {
    const f = (e: Y.YArrayEvent<unknown>): void => {
      const added = e.changes.added;
      const lines: ChatMessage[] = [];
      for (const item of added) for (const c of item.content.getContent()) if (isChatMessage(c)) lines.push(c);
      if (lines.length > 0) listener(lines);
    };
    this.chat().observe(f);
    return () => this.chat().unobserve(f);
  }

  /** Calls `listener` when anyone's presence changes; returns the unsubscribe. */
  onPresence(listener: () => void): () => void {
    const f = (): void => listener();
    this.awareness.on('change', f);
    return () => this.awareness.off('change', f);
  }

  /** Stops presence (its renewal timer) and tells others this player left. */
  destroy(): void {
    this.awareness.destroy();
  }

  private players(): Y.Map<{ name: string; color: string }> {
    return this.doc.getMap('players');
  }

  /** The chat array (the relay trims it). */
  chat(): Y.Array<unknown> {
    return this.doc.getArray('chat');
  }
}

function isProfile(v: unknown): v is { name: string; color: string } {
  return typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string' && typeof (v as { color?: unknown }).color === 'string';
}

function isChatMessage(v: unknown): v is ChatMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return typeof m['from'] === 'number' && typeof m['name'] === 'string' && typeof m['color'] === 'string' && typeof m['text'] === 'string' && m['text'].length <= MAX_CHAT_CHARS && typeof m['at'] === 'number';
}
