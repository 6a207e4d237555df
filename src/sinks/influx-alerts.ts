import { Point } from '@influxdata/influxdb-client';
import type { AlertTransition } from '../../alert-engine/model.js';

/**
 * One alert transition as a point (documented in the README): Grafana shows these as
 * annotations. Tags identify the instance and its new state; the timestamp is the event time
 * of the decision, so re-writing a transition after a crash overwrites it.
 */
export function toTransitionPoint(t: AlertTransition, measurement: string): Point {
  const point = new Point(measurement)
    .tag('rule', t.rule)
    .tag('severity', t.severity)
    .tag('state', t.to)
    .tag('model', t.model)
    .tag('model_version', t.modelVersion)
    .tag('feature', t.feature)
    .tag('method', t.method)
    .tag('window', t.window)
    .tag('fingerprint', t.fingerprint)
    .stringField('from', t.from)
    .intField('seq', t.seq)
    .floatField('threshold', t.threshold)
    .intField('samples', t.samples)
    .stringField('text', describe(t))
    .timestamp(t.time);
  if (t.episodeId !== null) point.stringField('episode', t.episodeId);
  if (t.value !== null && Number.isFinite(t.value)) point.floatField('value', t.value);
  if (t.reason !== null) point.stringField('reason', t.reason);
  return point;
}

function describe(t: AlertTransition): string {
  const value = t.value === null ? 'no value' : String(Number(t.value.toPrecision(4)));
  return `${t.rule} ${t.from} → ${t.to}: ${t.model}@${t.modelVersion} ${t.feature} ${t.method} ${value} (threshold ${t.threshold})${t.reason ? ` — ${t.reason}` : ''}`;
}
