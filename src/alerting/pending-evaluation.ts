import type { Point } from '@influxdata/influxdb-client';
import type { Message } from 'kafkajs';
import type { SilencedAlert, StateRecord, StepOutput } from '../../alert-engine/engine.js';
import type { AlertNotification } from '../../alert-engine/model.js';
import { toTransitionPoint } from '../sinks/influx-alerts.js';
import { alertLogMessages } from './alert-log.js';

/**
 * One evaluation's output, serialised when evaluated (the engine's objects change later) and
 * kept until durable: transition points (InfluxDB), then the alert-log records.
 */
export interface PendingEvaluation {
  points: Point[];
  transitionsWritten: boolean;
  messages: Message[];
  /** For the metrics and logs once written. */
  transitions: {
    labels: { rule: string; severity: string; to: string };
    log: Record<string, unknown> | undefined;
  }[];
  notifications: {
    id: string;
    kind: AlertNotification['kind'];
    receivers: string[];
    alerts: number;
    group: AlertNotification['groupLabels'];
  }[];
  /** Alerts a silence began holding (counted once written). */
  silenced: SilencedAlert[];
}

/** The engine's output of one evaluation as it is written (and counted, and logged) later. */
export function serialiseEvaluation(
  out: StepOutput,
  changes: readonly StateRecord[],
  measurement: string,
): PendingEvaluation {
  return {
    points: out.transitions.map((t) => toTransitionPoint(t, measurement)),
    transitionsWritten: out.transitions.length === 0,
    messages: alertLogMessages(out.notifications, changes),
    transitions: out.transitions.map((t) => ({
      labels: { rule: t.rule, severity: t.severity, to: t.to },
      log:
        t.to === 'firing' || t.to === 'resolved'
          ? {
              rule: t.rule,
              model: t.model,
              model_version: t.modelVersion,
              feature: t.feature,
              method: t.method,
              from: t.from,
              to: t.to,
              value: t.value,
              episode: t.episodeId,
            }
          : undefined,
    })),
    notifications: out.notifications.map((n) => ({
      id: n.id,
      kind: n.kind,
      receivers: [...n.receivers],
      alerts: n.alerts.length,
      group: { ...n.groupLabels },
    })),
    silenced: [...out.silenced],
  };
}
