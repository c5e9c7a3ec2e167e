import * as Y from 'yjs';
import { SocialState } from './social-state.js';
import { WorldLayout } from './world-layout.js';

/**
 * A world's shared document as one player holds it: the authored layout (objects creators
 * place) and the social state (profiles, chat, presence). It outlives connections: edits
 * made while the relay is away are sent when the player is back.
 */
export class WorldDocument {
  /** The Yjs document holding layout, profiles and chat. */
  readonly doc = new Y.Doc();
  /** The authored layout (place, move, configure, remove objects; undo/redo). */
  readonly layout: WorldLayout;
  /** Profiles, chat and presence. */
  readonly social: SocialState;

  /** `clientId` fixes the Yjs client id (seeded tests); by default Yjs draws one at random. */
  constructor(tileEdge: number, clientId?: number) {
    if (clientId !== undefined) this.doc.clientID = clientId;
    this.layout = new WorldLayout(this.doc, tileEdge);
    this.social = new SocialState(this.doc);
  }

  /** Stops presence and frees the document. */
  destroy(): void {
    this.social.destroy();
    this.doc.destroy();
  }
}
