import type { PeerId } from '../src/index.js';
import type { AuditCounters } from './audit/audit-desk.js';

/** The relay's counters, rendered as Prometheus text by `render`. */
export class RelayMetrics {
  /** Connections accepted since start. */
  connections = 0;
  /** Players that joined a world. */
  joins = 0;
  /** Players that left (closed or were dropped). */
  leaves = 0;
  /** Messages received from peers. */
  messagesIn = 0;
  /** Messages sent to peers. */
  messagesOut = 0;
  /** Bytes received from peers. */
  bytesIn = 0;
  /** Bytes sent to peers. */
  bytesOut = 0;
  /** Tile leases granted (to peers or to the relay itself). */
  leasesGranted = 0;
  /** Leases taken back from peers. */
  leasesRevoked = 0;
  /** Ownership handoffs started. */
  handoffs = 0;
  /** Handoffs finished from the last keyframe because the owner did not answer in time. */
  handoffTimeouts = 0;
  /** Tiles taken over after their owner left, went silent or was judged. */
  takeovers = 0;
  /** Messages refused for a stale lease epoch or a sender without the lease. */
  staleEpochs = 0;
  /** WebRTC signalling messages passed between peers. */
  signals = 0;
  /** Peer-to-peer messages carried on the relay (fallback) path. */
  relayedMessages = 0;
  /** Bytes of peer-to-peer messages carried on the relay path. */
  relayedBytes = 0;
  /** Per-tick state hashes received from owners. */
  commits = 0;
  /** Owner keyframes whose state hash matched the owner's commit for their tick. */
  checkpointsVerified = 0;
  /** Owner keyframes whose state hash did not match the owner's commit for their tick. */
  checkpointMismatches = 0;
  /** Owner keyframes that arrived without a commit for their tick. */
  checkpointsUncommitted = 0;
  private readonly refusals = new KeyedCount();
  private readonly incidents = new KeyedCount();
  private readonly closes = new KeyedCount();
  private readonly gauges = new Map<string, { help: string; read: () => number }>();

  /** Counts a connection the relay closed on its own, by reason (hello-timeout, unjoined-cap, flood, …). */
  closed(reason: string): void {
    this.closes.add(reason);
  }

  /** Connections closed for a reason (all when omitted). */
  closedCount(reason?: string): number {
    return this.closes.count(reason);
  }

  /** Adds (or replaces) a gauge read at every render (e.g. the process's memory). */
  gauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, { help, read });
  }

  /** Counts a verdict against an owner by reason. */
  incident(reason: string): void {
    this.incidents.add(reason);
  }

  /** Verdicts of a reason (all when omitted). */
  incidentCount(reason?: string): number {
    return this.incidents.count(reason);
  }
  /** Pairs that used the fallback path, as "a-b" (a < b). */
  private readonly relayedPairs = new Set<string>();

  /** Counts a refused message by kind (decode, auth, rate, stale-epoch, route, …). */
  refused(kind: string): void {
    this.refusals.add(kind);
  }

  /** Total refusals of a kind (all kinds when omitted). */
  refusedCount(kind?: string): number {
    return this.refusals.count(kind);
  }

  /** Counts one message carried on the fallback path between two peers. */
  relayed(from: PeerId, to: PeerId, bytes: number): void {
    this.relayedMessages++;
    this.relayedBytes += bytes;
    this.relayedPairs.add(from < to ? `${from}-${to}` : `${to}-${from}`);
  }

  /** Number of peer pairs that used the fallback path. */
  get relayedPairCount(): number {
    return this.relayedPairs.size;
  }

  /** Prometheus exposition text. */
  render(g: { peers: number; tilesRelay: number; tilesPeer: number; entitiesRelay: number; tick: number; simLagTicks: number; audit: AuditCounters; auditPending: number; doc?: { objects: number; updates: number; updateBytes: number; refused: number; placed: number; replaced: number; removed: number } }): string {
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, value: number, labels = ''): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${value}`);
    };
    metric('tessera_peers', 'gauge', 'Connected players.', g.peers);
    lines.push('# HELP tessera_tiles Tiles by owner kind.', '# TYPE tessera_tiles gauge', `tessera_tiles{owner="relay"} ${g.tilesRelay}`, `tessera_tiles{owner="peer"} ${g.tilesPeer}`);
    metric('tessera_relay_entities', 'gauge', 'Entities in tiles the relay simulates.', g.entitiesRelay);
    metric('tessera_tick', 'gauge', 'Current tick of the shared timeline.', g.tick);
    metric('tessera_sim_lag_ticks', 'gauge', 'Ticks the relay\'s own tiles stand behind the shared timeline (0 when it keeps up).', g.simLagTicks);
    if (g.doc) {
      metric('tessera_doc_objects', 'gauge', 'Authored objects in the world document.', g.doc.objects);
      metric('tessera_doc_updates_total', 'counter', 'Document updates applied, stored and forwarded.', g.doc.updates);
      metric('tessera_doc_update_bytes_total', 'counter', 'Bytes of document updates applied.', g.doc.updateBytes);
      metric('tessera_doc_refused_total', 'counter', 'Document messages refused.', g.doc.refused);
      lines.push('# HELP tessera_doc_edits_total Layout edits turned into simulation changes.', '# TYPE tessera_doc_edits_total counter', `tessera_doc_edits_total{change="placed"} ${g.doc.placed}`, `tessera_doc_edits_total{change="replaced"} ${g.doc.replaced}`, `tessera_doc_edits_total{change="removed"} ${g.doc.removed}`);
    }
    metric('tessera_connections_total', 'counter', 'Connections accepted.', this.connections);
    metric('tessera_joins_total', 'counter', 'Players joined.', this.joins);
    metric('tessera_leaves_total', 'counter', 'Players left.', this.leaves);
    metric('tessera_messages_in_total', 'counter', 'Messages received.', this.messagesIn);
    metric('tessera_messages_out_total', 'counter', 'Messages sent.', this.messagesOut);
    metric('tessera_bytes_in_total', 'counter', 'Bytes received.', this.bytesIn);
    metric('tessera_bytes_out_total', 'counter', 'Bytes sent.', this.bytesOut);
    metric('tessera_leases_granted_total', 'counter', 'Leases granted.', this.leasesGranted);
    metric('tessera_leases_revoked_total', 'counter', 'Leases revoked from peers.', this.leasesRevoked);
    metric('tessera_handoffs_total', 'counter', 'Ownership handoffs started.', this.handoffs);
    metric('tessera_handoff_timeouts_total', 'counter', 'Handoffs finished from the last keyframe because the owner did not answer.', this.handoffTimeouts);
    metric('tessera_takeovers_total', 'counter', 'Tiles taken over after their owner left, went silent or was judged.', this.takeovers);
    metric('tessera_stale_epochs_total', 'counter', 'Messages refused for a stale epoch or a sender without the lease.', this.staleEpochs);
    metric('tessera_signals_total', 'counter', 'WebRTC signalling messages passed on.', this.signals);
    metric('tessera_relayed_messages_total', 'counter', 'Peer messages carried on the fallback path.', this.relayedMessages);
    metric('tessera_relayed_bytes_total', 'counter', 'Peer bytes carried on the fallback path.', this.relayedBytes);
    metric('tessera_relayed_pairs', 'gauge', 'Peer pairs that have used the fallback path.', this.relayedPairCount);
    metric('tessera_commits_total', 'counter', 'Per-tick state hashes received from owners.', this.commits);
    metric('tessera_checkpoints_verified_total', 'counter', 'Owner keyframes whose state hash matched the owner commit for their tick.', this.checkpointsVerified);
    metric('tessera_checkpoint_mismatches_total', 'counter', 'Owner keyframes whose state hash did not match the owner commit for their tick.', this.checkpointMismatches);
    metric('tessera_checkpoints_uncommitted_total', 'counter', 'Owner keyframes that arrived without a commit for their tick.', this.checkpointsUncommitted);
    const a = g.audit;
    metric('tessera_audit_windows_total', 'counter', 'Complete audit windows of peer-owned tiles seen.', a.windowsSeen);
    metric('tessera_audits_total', 'counter', 'Windows re-executed by the auditor.', a.audits);
    metric('tessera_audits_passed_total', 'counter', 'Re-executed windows that matched every commitment.', a.passed);
    metric('tessera_audit_mismatches_total', 'counter', 'Re-executed windows that did not match.', a.mismatches);
    metric('tessera_audit_ticks_total', 'counter', 'Ticks re-executed by the auditor.', a.auditedTicks);
    metric('tessera_audit_cpu_seconds_total', 'counter', 'CPU time spent re-executing windows.', a.cpuMs / 1000);
    metric('tessera_audit_requests_total', 'counter', 'Window start states asked of owners.', a.requests);
    metric('tessera_audit_unanswered_total', 'counter', 'Audit requests owners did not answer in time.', a.unanswered);
    metric('tessera_audit_too_late_to_ask_total', 'counter', 'Windows not asked for: their start was older than owners keep states when they became complete.', a.tooLateToAsk);
    metric('tessera_audit_forced_critical_total', 'counter', 'Windows audited because they changed critical state.', a.forcedByCritical);
    metric('tessera_audit_forced_age_total', 'counter', 'Windows audited because the verified state grew old.', a.forcedByAge);
    metric('tessera_audit_log_bytes_total', 'counter', 'Bytes of commitments and input logs received from owners.', a.logBytes);
    metric('tessera_audit_forced_evidence_total', 'counter', 'Windows audited because another record relied on what they produced.', a.forcedByEvidence);
    metric('tessera_audit_evidence_routed_total', 'counter', 'Record items matched with what the relay routed.', a.evidenceRouted);
    metric('tessera_audit_evidence_produced_total', 'counter', 'Record items matched with what a re-executed tile of the same owner produced.', a.evidenceProduced);
    metric('tessera_audit_evidence_unverifiable_total', 'counter', 'Record items given up on: the window that could vouch for them could not be audited.', a.evidenceUnverifiable);
    metric('tessera_audit_repeats_across_handoff_total', 'counter', 'Inputs from before a lease that both the old and the new holder applied (tolerated).', a.repeatsAcrossHandoff);
    metric('tessera_audit_repeats_out_of_order_total', 'counter', 'Inputs another holder applied later on the timeline than the owner checked (not that owner\'s repeat).', a.repeatsOutOfOrder);
    metric('tessera_audit_inputs_lost_with_player_total', 'counter', 'Logged inputs the relay never got, of players whose connection dropped right after (not judged).', a.inputsLostWithPlayer);
    metric('tessera_audit_pending', 'gauge', 'Audits waiting for a state, inputs or the auditor.', g.auditPending);
    lines.push('# HELP tessera_incidents_total Verdicts against owners (tiles taken), by reason.', '# TYPE tessera_incidents_total counter');
    for (const [k, v] of this.incidents.sorted()) lines.push(`tessera_incidents_total{reason="${k}"} ${v}`);
    lines.push('# HELP tessera_refused_total Messages refused, by reason.', '# TYPE tessera_refused_total counter');
    for (const [k, v] of this.refusals.sorted()) lines.push(`tessera_refused_total{reason="${k}"} ${v}`);
    lines.push('# HELP tessera_closed_total Connections the relay closed on its own, by reason.', '# TYPE tessera_closed_total counter');
    for (const [k, v] of this.closes.sorted()) lines.push(`tessera_closed_total{reason="${k}"} ${v}`);
    for (const [name, g] of [...this.gauges].sort((a, b) => (a[0] < b[0] ? -1 : 1))) metric(name, 'gauge', g.help, g.read());
    return `${lines.join('\n')}\n`;
  }
}

/** Counts by key (refusals by reason, incidents by reason). */
class KeyedCount {
  private readonly counts = new Map<string, number>();

  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** The count of one key, or of all keys when omitted. */
  count(key?: string): number {
    if (key !== undefined) return this.counts.get(key) ?? 0;
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  /** Every key with its count, in key order. */
  sorted(): [string, number][] {
    return [...this.counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
