// How many of this tab's document edits the relay has not stored yet, for the toolbar's
// "saving…" status. The handle only says whether everything is stored, so the edits made since
// it last was are counted here.
import { REMOTE_ORIGIN, type WorldHandle } from '../src/index.js';

/** Returns a reader of the number of local edits waiting for the relay (0 once all are stored). */
export function pendingEdits(handle: WorldHandle): () => number {
  let pending = 0;
  // Every local transaction (layout edit, chat line, profile) is one update sent to the relay.
  handle.world.doc.on('update', (_update: Uint8Array, origin: unknown) => {
    if (origin !== REMOTE_ORIGIN) pending++;
  });
  return () => {
    if (handle.acknowledged) pending = 0;
    return pending;
  };
}
