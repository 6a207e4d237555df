import { Counter, Gauge, type Registry } from 'prom-client';

/** Metrics of delayed labels (README "Model quality (delayed labels)"): `driftwatch_labels_*`. */
export class LabelMetrics {
  readonly read: Counter;
  readonly invalid: Counter<'reason'>;
  readonly matched: Counter;
  readonly duplicatePredictions: Counter;
  readonly expired: Counter<'kind'>;
  readonly evicted: Counter<'kind'>;
  readonly pending: Gauge<'kind'>;
  readonly pendingBytes: Gauge;
  readonly qualityPoints: Counter;
  readonly settledWindows: Counter;
  readonly failures: Counter<'step'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.read = new Counter({
      name: 'driftwatch_labels_read_total',
      help: 'Valid labels read from labels.topic and handed to the join',
      registers,
    });
    this.invalid = new Counter({
      name: 'driftwatch_labels_invalid_total',
      help: 'Messages of labels.topic that are no label, by reason (empty, not_json, invalid, future_timestamp), and unreadable records of the labels-join topic (unreadable_prediction_record, unreadable_label_record); skipped',
      labelNames: ['reason'] as const,
      registers,
    });
    this.matched = new Counter({
      name: 'driftwatch_labels_matched_total',
      help: 'Labels joined to their prediction (each counted once in its window tally)',
      registers,
    });
    this.duplicatePredictions = new Counter({
      name: 'driftwatch_labels_duplicate_predictions_total',
      help: 'Predictions whose id was already waiting (the first one stands)',
      registers,
    });
    this.expired = new Counter({
      name: 'driftwatch_labels_expired_total',
      help: 'Predictions that got no label, and labels that found no prediction, within labels.horizon',
      labelNames: ['kind'] as const,
      registers,
    });
    this.evicted = new Counter({
      name: 'driftwatch_labels_evicted_total',
      help: 'Oldest pending predictions or labels dropped at labels.maxPending (per join partition)',
      labelNames: ['kind'] as const,
      registers,
    });
    this.pending = new Gauge({
      name: 'driftwatch_labels_pending',
      help: 'Predictions waiting for their label, labels waiting for their prediction (this replica)',
      labelNames: ['kind'] as const,
      registers,
    });
    this.pendingBytes = new Gauge({
      name: 'driftwatch_labels_pending_bytes',
      help: 'Estimated memory of the pending predictions and labels (bench:labels: 139 B per prediction with a UUID id)',
      registers,
    });
    this.qualityPoints = new Counter({
      name: 'driftwatch_labels_quality_points_total',
      help: 'Delayed-quality points written (or rewritten) to InfluxDB',
      registers,
    });
    this.settledWindows = new Counter({
      name: 'driftwatch_labels_settled_windows_total',
      help: 'Windows whose settled delayed quality was handed to the alert rules (labels.settleAfter)',
      registers,
    });
    this.failures = new Counter({
      name: 'driftwatch_labels_failures_total',
      help: 'Failed attempts of a delayed-labels step (rekey, join, write); retried',
      labelNames: ['step'] as const,
      registers,
    });
  }
}
