import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TOOL_VERSION } from './version.js';

/** The two consumer groups of every replica: input → partials, partials → results. */
export type Stage = 'ingest' | 'evaluate';

/** The daemon's own health, scraped by Prometheus at /metrics. Names are documented in the README. */
export class DaemonMetrics {
  readonly registry = new Registry();
  /** Always 1: the labels say which build and runtime answer (joins onto other series). */
  readonly buildInfo = new Gauge({
    name: 'driftwatch_build_info',
    help: 'Always 1, labelled with the driftwatch version (package.json) and the Node.js version running it',
    labelNames: ['version', 'node'] as const,
    registers: [this.registry],
  });
  readonly messagesConsumed = new Counter({
    name: 'driftwatch_messages_consumed_total',
    help: 'Kafka messages read from the prediction topic',
    registers: [this.registry],
  });
  readonly messagesInvalid = new Counter({
    name: 'driftwatch_messages_invalid_total',
    help: 'Messages that could not be used and went to the dead-letter topic, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly messagesWithoutEvents = new Counter({
    name: 'driftwatch_messages_without_events_total',
    help: 'Valid messages that carry no event (an OIP message kind not in input.mapping.oip.messages, or a batch of 0 rows)',
    registers: [this.registry],
  });
  readonly schemaRegistryFailures = new Counter({
    name: 'driftwatch_schema_registry_failures_total',
    help: 'Failed requests to the schema registry (unreachable, 5xx, timeout, refused credentials): retried while the partition waits',
    registers: [this.registry],
  });
  /** How many schemas the decoder holds: set by the daemon when it reads through a registry. */
  cachedSchemas: () => number = () => 0;
  readonly schemasCached: Gauge = new Gauge({
    name: 'driftwatch_schemas_cached',
    help: 'Schemas (and ids the registry does not know) held in memory, by id',
    registers: [this.registry],
    collect: (): void => this.schemasCached.set(this.cachedSchemas()),
  });
  readonly deadLetterFailures = new Counter({
    name: 'driftwatch_dead_letter_failures_total',
    help: 'Failed attempts to produce to the dead-letter topic (retried)',
    registers: [this.registry],
  });
  // Series labels are the baseline's model and version, never an event's: bounded by the
  // baselines loaded, however many versions producers make up (baselines.fallback).
  readonly eventsLate = new Counter({
    name: 'driftwatch_events_late_total',
    help: 'Events whose window had already closed when they arrived (dropped), by the model and version of the baseline they were compared with',
    labelNames: ['model', 'model_version'] as const,
    registers: [this.registry],
  });
  readonly eventsWithoutBaseline = new Counter({
    name: 'driftwatch_events_without_baseline_total',
    help: 'Events for a (model, model_version) with no baseline and no fallback (dropped, or dead-lettered as NO_BASELINE with fallback reject; each pair is logged once)',
    registers: [this.registry],
  });
  readonly baselinesLoaded = new Gauge({
    name: 'driftwatch_baselines_loaded',
    help: 'Baselines in memory (the directory is rescanned every baselines.reloadInterval)',
    registers: [this.registry],
  });
  readonly baselineLoadFailures = new Counter({
    name: 'driftwatch_baseline_load_failures_total',
    help: 'Baseline files found by a rescan that could not be loaded (each is logged)',
    registers: [this.registry],
  });
  readonly baselineFilesRefused = new Counter({
    name: 'driftwatch_baseline_files_refused_total',
    help: 'Files in the baselines directory not read for what they are, by reason: not_regular_file, symlink_outside_dir, broken_symlink, too_large (each file and reason logged and counted once)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly driftUnavailable = new Counter({
    name: 'driftwatch_drift_unavailable_total',
    help: 'Drift results without a number because the baseline cannot support the method or the values overflowed (each cause is logged once)',
    labelNames: ['method'],
    registers: [this.registry],
  });
  readonly windowsEmitted = new Counter({
    name: 'driftwatch_windows_emitted_total',
    help: 'Windows closed, evaluated and written, by the model and version of their baseline',
    labelNames: ['model', 'model_version'] as const,
    registers: [this.registry],
  });
  readonly longCategoryValues = new Counter({
    name: 'driftwatch_category_values_too_long_total',
    help: 'Categorical values longer than 256 characters the baseline does not know: compared as unseen categories under a shortened name (prefix and hash)',
    registers: [this.registry],
  });
  readonly pointsWritten = new Counter({
    name: 'driftwatch_influx_points_written_total',
    help: 'Points acknowledged by InfluxDB',
    registers: [this.registry],
  });
  readonly influxPointsRejected = new Counter({
    name: 'driftwatch_influx_points_rejected_total',
    help: 'Points InfluxDB refused for good even on their own (400/413/422, e.g. older than the bucket retention); skipped, the rest of their batch is written',
    registers: [this.registry],
  });
  readonly influxWriteFailures = new Counter({
    name: 'driftwatch_influx_write_failures_total',
    help: 'Failed InfluxDB write attempts (retried; consumption waits meanwhile)',
    registers: [this.registry],
  });
  readonly lagProbeFailures = new Counter({
    name: 'driftwatch_lag_probe_failures_total',
    help: 'Failed reads of the log end offsets behind the idle rule (no partition counts as idle meanwhile)',
    registers: [this.registry],
  });
  readonly idleClaimsWithdrawn = new Counter({
    name: 'driftwatch_idle_claims_withdrawn_total',
    help: 'Idle claims stage 2 stopped relying on because the input partition received more since (windows wait for its next report)',
    registers: [this.registry],
  });
  readonly partialsProduced = new Counter({
    name: 'driftwatch_partials_produced_total',
    help: 'Partial windows (one input partition each) handed on to the partials topic',
    registers: [this.registry],
  });
  readonly partialsFailures = new Counter({
    name: 'driftwatch_partials_failures_total',
    help: 'Failed transactions handing partial windows on (retried; the partition waits meanwhile)',
    registers: [this.registry],
  });
  readonly partialsDropped = new Counter({
    name: 'driftwatch_partials_dropped_total',
    help: 'Partial windows stage 2 could not use, by reason (late windows count in driftwatch_events_late_total)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly offsetCommits = new Counter({
    name: 'driftwatch_offset_commits_total',
    help: 'Kafka offset commits made after results were durable',
    registers: [this.registry],
  });
  /** Stage 1's open windows as of its last step (in driftwatch_open_windows). */
  ingestOpenWindows = 0;
  /** Stage 2's running count windows: set by the evaluate stage (in driftwatch_open_windows). */
  openCountWindows: () => number = () => 0;
  private readonly openWindows: Gauge = new Gauge({
    name: 'driftwatch_open_windows',
    help: 'Windows currently accumulating events: the base windows of the input partitions (stage 1) and the running count windows (stage 2) this replica holds',
    registers: [this.registry],
    collect: (): void => this.openWindows.set(this.ingestOpenWindows + this.openCountWindows()),
  });
  readonly consumerLag = new Gauge({
    name: 'driftwatch_consumer_lag_messages',
    help: 'Per stage (ingest: prediction topic, evaluate: partials topic) and partition this replica holds: messages between the last processed batch and the high watermark',
    labelNames: ['stage', 'topic', 'partition'] as const,
    registers: [this.registry],
  });
  readonly partitionsAssigned = new Gauge({
    name: 'driftwatch_partitions_assigned',
    help: 'Partitions of the input topics this instance holds',
    registers: [this.registry],
  });
  readonly inputTopicsUnread = new Gauge({
    name: 'driftwatch_input_topics_unread',
    help: 'Topics an input.topics pattern matches that were created after the start and are not read until a restart',
    registers: [this.registry],
  });
  readonly watermark = new Gauge({
    name: 'driftwatch_watermark_seconds',
    help: 'Event-time watermark (Unix seconds): windows ending at or before it are emitted',
    registers: [this.registry],
  });
  readonly windowCloseLatency = new Histogram({
    name: 'driftwatch_window_close_seconds',
    help: 'Per closed window: from the progress record that let it close (stage 1 passed its end) to InfluxDB acknowledging its points',
    buckets: [
      0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60,
    ],
    registers: [this.registry],
  });

  // Alerting: labels are bounded by the rules file (rule, severity, receiver), never a feature.
  readonly alertTransitions = new Counter({
    name: 'driftwatch_alert_transitions_total',
    help: 'Alert instance state changes, by rule, severity and new state',
    labelNames: ['rule', 'severity', 'to'] as const,
    registers: [this.registry],
  });
  readonly alertsActive = new Gauge({
    name: 'driftwatch_alerts',
    help: 'Alert instances not inactive, by rule, severity and state (pending, firing, recovering)',
    labelNames: ['rule', 'severity', 'state'] as const,
    registers: [this.registry],
  });
  readonly notificationsQueued = new Counter({
    name: 'driftwatch_notifications_queued_total',
    help: 'Notifications decided and durably written to the alert log, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly alertsSilenced = new Counter({
    name: 'driftwatch_alerts_silenced_total',
    help: 'Alerts whose notifications a silence began holding (their state still changes), by rule',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });
  readonly silencesActive = new Gauge({
    name: 'driftwatch_silences_active',
    help: 'Silences in effect now (wall clock), as this replica read them from the silences topic',
    registers: [this.registry],
  });
  readonly silenceFailures = new Counter({
    name: 'driftwatch_silence_failures_total',
    help: 'Unreadable silence records skipped, silence-topic consumer crashes (restarted) and failed tombstone writes of expired silences (retried at the next sweep)',
    registers: [this.registry],
  });
  readonly apiRefused = new Counter({
    name: 'driftwatch_api_requests_refused_total',
    help: 'HTTP API requests refused for a wrong or missing bearer token, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly notificationsDelivered = new Counter({
    name: 'driftwatch_notifications_delivered_total',
    help: 'Notifications a receiver accepted, by receiver and kind',
    labelNames: ['receiver', 'kind'] as const,
    registers: [this.registry],
  });
  readonly notificationDeliveryLatency = new Histogram({
    name: 'driftwatch_notification_delivery_seconds',
    help: 'Per notification a receiver accepted: from its record in the alert log (Kafka timestamp) to the accepting answer, retries included, by receiver',
    labelNames: ['receiver'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  readonly notificationFailures = new Counter({
    name: 'driftwatch_notification_attempt_failures_total',
    help: 'Failed delivery attempts that will be retried, by receiver',
    labelNames: ['receiver'] as const,
    registers: [this.registry],
  });
  readonly notificationsDeadLettered = new Counter({
    name: 'driftwatch_notifications_dead_lettered_total',
    help: 'Notifications given up on (permanent refusal, 410, or older than max_age) and sent to the notification dead-letter topic, by receiver',
    labelNames: ['receiver'] as const,
    registers: [this.registry],
  });
  readonly notificationsUnreadable = new Counter({
    name: 'driftwatch_notifications_unreadable_total',
    help: 'Alert-log records a receiver could not decode (skipped, logged)',
    labelNames: ['receiver'] as const,
    registers: [this.registry],
  });
  readonly receiverDisabled = new Gauge({
    name: 'driftwatch_receiver_disabled',
    help: '1 while a receiver is disabled after its endpoint answered 410 Gone',
    labelNames: ['receiver'] as const,
    registers: [this.registry],
  });
  readonly alertLogFailures = new Counter({
    name: 'driftwatch_alert_log_write_failures_total',
    help: 'Failed attempts to write alert state and notifications to Kafka or transitions to InfluxDB (retried; consumption waits)',
    registers: [this.registry],
  });
  readonly rulesLoaded = new Gauge({
    name: 'driftwatch_alert_rules_loaded',
    help: 'Alert rules in force',
    registers: [this.registry],
  });
  readonly rulesReloads = new Counter({
    name: 'driftwatch_alert_rules_reloads_total',
    help: 'Rules file reloads (SIGHUP or file change), by result: ok; invalid, unsettled (kept changing) or unconfirmed (changed again before dropped rules were confirmed): old rules kept',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  /** Per stage: the partitions a lag is shown for, so a revoked one stops showing a stale value. */
  private readonly lagShown: Record<Stage, Map<string, { topic: string; partition: string }>> = {
    ingest: new Map(),
    evaluate: new Map(),
  };

  setLag(stage: Stage, topic: string, partition: number, lag: number): void {
    const labels = { topic, partition: String(partition) };
    this.lagShown[stage].set(`${topic}/${partition}`, labels);
    this.consumerLag.set({ stage, ...labels }, lag);
  }

  /** After a rebalance: drops the lag of every partition the stage no longer holds. */
  keepLag(stage: Stage, topic: string, assigned: readonly number[]): void {
    const keep = new Set(assigned.map((p) => `${topic}/${p}`));
    for (const [key, labels] of this.lagShown[stage]) {
      if (keep.has(key)) continue;
      this.consumerLag.remove({ stage, ...labels });
      this.lagShown[stage].delete(key);
    }
  }

  /**
   * `withProcessMetrics`: prom-client's process and Node.js metrics, under their standard names
   * (process_cpu_seconds_total, nodejs_eventloop_lag_seconds, …) so the usual Node.js
   * dashboards and alerts work unchanged.
   */
  constructor(withProcessMetrics = true) {
    this.buildInfo.set({ version: TOOL_VERSION, node: process.version }, 1);
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
