// The players of a cluster's other nodes, as one relay core sees them: who they are (for the
// roster) and how to reach them (signalling and relayed traffic). A single relay has none.
import type { PeerId } from '../../src/index.js';

/** A player of the world as the roster lists it. */
export interface RosterPlayer {
  /** Its id (cluster-wide). */
  readonly peer: PeerId;
  /** Its display name. */
  readonly name: string;
  /** Its avatar entity. */
  readonly avatar: number;
}

/** Traffic from a player of one node to a player of another. */
export type PeerTraffic =
  | {
      /** WebRTC signalling. */
      readonly kind: 'signal';
      /** The sender (a player of the sending node). */
      readonly from: PeerId;
      /** The recipient. */
      readonly to: PeerId;
      /** The signal, as the player sent it. */
      readonly data: string;
    }
  | {
      /** A payload relayed for two players with no direct connection. */
      readonly kind: 'forward';
      /** The sender (a player of the sending node). */
      readonly from: PeerId;
      /** The recipient. */
      readonly to: PeerId;
      /** The payload, as the player sent it. */
      readonly payload: Uint8Array;
      /** Whether the player asked for reliable delivery. */
      readonly reliable: boolean;
    };

/** What a relay core gives the remote players: where their traffic and roster changes go. */
export interface RemoteSink {
  /** Traffic from a player of another node to one of this node's (validated by the sender's node and `RemotePeers`). */
  deliver(traffic: PeerTraffic): void;
  /** The other nodes' players changed: what changed goes to the players at the next relay tick. */
  rosterChanged(): void;
}

/** The players of the other nodes of the cluster, and the way to them. */
export interface RemotePeers {
  /** Called once by the relay core with where inbound traffic goes. */
  attach(sink: RemoteSink): void;
  /** Sends traffic to a player of another node; false when no other node has that player. */
  send(traffic: PeerTraffic): boolean;
  /** The other nodes' players, sorted by id. */
  players(): readonly RosterPlayer[];
  /** This node's own players, after each change (the other nodes list them). */
  publishLocal(players: readonly RosterPlayer[]): void;
}

/** A single relay process: no other node, no remote player. */
export class NoRemotePeers implements RemotePeers {
  /** Nothing arrives from anywhere. */
  attach(): void {}
  /** No other node has any player. */
  send(): boolean {
    return false;
  }
  /** None. */
  players(): readonly RosterPlayer[] {
    return [];
  }
  /** Nobody to tell. */
  publishLocal(): void {}
}
