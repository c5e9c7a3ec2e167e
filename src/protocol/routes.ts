import { MsgType } from './messages.js';

/**
 * The three directions a message can travel: from a player to the relay, from the relay to a
 * player, and from one player to another (a direct data channel, or the relay's forwarding,
 * which carries a player's bytes unchanged and names their sender).
 */
export type MessageRoute = 'peer-to-relay' | 'relay-to-peer' | 'peer-to-peer';

const P2R: MessageRoute = 'peer-to-relay';
const R2P: MessageRoute = 'relay-to-peer';
const P2P: MessageRoute = 'peer-to-peer';

/**
 * The closed protocol: every message type with the directions it may travel. A receiver takes a
 * message only when its direction is listed here (`allowedRoute`), checked in one place per
 * receiver (the relay's dispatch, a client's relay and peer dispatch); everything else is a
 * logged refusal. Things that change a tile — arrivals (`Migrate`, `Spawn`), removals
 * (`Despawn`), mail (`EntityMail`) — reach an owner only from the relay, which logs them as
 * the evidence its audit matches the owner's records with.
 */
export const MESSAGE_ROUTES: Readonly<Record<MsgType, readonly MessageRoute[]>> = {
  [MsgType.Hello]: [P2R],
  [MsgType.Welcome]: [R2P],
  [MsgType.Ping]: [P2R],
  [MsgType.Pong]: [R2P],
  [MsgType.Pose]: [P2R],
  [MsgType.Directory]: [R2P],
  [MsgType.Lease]: [R2P],
  [MsgType.Subscribers]: [R2P],
  [MsgType.Signal]: [P2R, R2P],
  [MsgType.Forward]: [P2R],
  [MsgType.Forwarded]: [R2P],
  // Tile updates come from the tile's owner: a player, or the relay for the tiles it simulates.
  [MsgType.StateDelta]: [P2P, R2P],
  [MsgType.TileState]: [P2P, R2P],
  [MsgType.Keyframe]: [P2R],
  [MsgType.KeyframeRequest]: [P2P, P2R],
  // A player's input goes to its avatar's owner and to the relay; the relay passes its copy on to the owner.
  [MsgType.Input]: [P2P, P2R, R2P],
  [MsgType.HandoffRequest]: [R2P],
  [MsgType.HandoffState]: [P2R, R2P],
  [MsgType.Migrate]: [P2R, R2P],
  [MsgType.EntityMail]: [P2R, R2P],
  [MsgType.Spawn]: [R2P],
  [MsgType.Despawn]: [R2P],
  [MsgType.Error]: [R2P],
  [MsgType.Roster]: [R2P],
  [MsgType.RosterDelta]: [R2P],
  [MsgType.Chunk]: [P2R, R2P, P2P],
  [MsgType.Commits]: [P2R],
  [MsgType.AuditRequest]: [R2P],
  [MsgType.Incident]: [R2P],
  [MsgType.AuditStats]: [R2P],
  [MsgType.DocSync]: [P2R, R2P, P2P],
  [MsgType.DocAck]: [R2P],
  [MsgType.Presence]: [P2R, R2P, P2P],
};

/** True when a message of `type` may travel `route` (the closed protocol, `MESSAGE_ROUTES`). */
export function allowedRoute(type: MsgType, route: MessageRoute): boolean {
  return MESSAGE_ROUTES[type]?.includes(route) ?? false;
}
