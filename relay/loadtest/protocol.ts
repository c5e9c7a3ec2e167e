// What the load test's parent and its bot processes tell each other (over the fork IPC channel).

/** Parent → bot process: start these bots. */
export interface BotBatch {
  readonly type: 'start';
  readonly relay: string;
  readonly world: string;
  readonly token?: string;
  /** The bots' numbers (names `bot-N`, walk seeds N): the same numbers walk the same way in every run. */
  readonly numbers: readonly number[];
  /** Bot k of this batch joins at `startAt + offsetsMs[k]` (epoch ms): the ramp. */
  readonly startAt: number;
  readonly offsetsMs: readonly number[];
  readonly pattern: string;
  readonly replicaMode: 'extrapolated' | 'speculative' | 'interpolated';
}

/** Bot process → parent, every second. */
export interface BatchReport {
  readonly type: 'report';
  readonly joined: number;
  readonly joinFailures: number;
  /** The first few join errors, verbatim. */
  readonly failureReasons: readonly string[];
  /** Updates applied by all its bots since the last report, and a sample of their ages (ms). */
  readonly updates: number;
  readonly ages: readonly number[];
  readonly errors: number;
  /** Its bots' errors by kind, summed, most frequent first (at most 8). */
  readonly errorKinds: readonly { readonly reason: string; readonly count: number }[];
  readonly reconnects: number;
  readonly bytesUpPerS: number;
  readonly bytesDownPerS: number;
  readonly ownedTiles: number;
  /** Sum over its joined bots of other avatars seen, and of other players in the roster. */
  readonly avatarsSeen: number;
  readonly avatarsListed: number;
  /** This process's CPU over the last second, as a fraction of one core. */
  readonly cpu: number;
}

/** Parent → bot process: leave and exit. */
export interface StopBatch {
  readonly type: 'stop';
}
