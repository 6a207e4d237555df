import { HttpError } from '@influxdata/influxdb-client';
import { preview } from '../shared/untrusted-text.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import { retryUntilSuccess, type RetryOptions } from '../shared/retry.js';
import { writeBisecting } from './write-bisect.js';

/** Refused points logged one by one per write; the rest are counted and summed up in one line. */
const MAX_LOGGED_REFUSALS = 20;
/** InfluxDB quotes the whole offending line in its answer: enough of it to recognise it. */
const MAX_ERROR_CHARS = 300;

/**
 * InfluxDB refused the data itself (malformed, out of the bucket's retention, too large):
 * retrying cannot help. Auth errors and 5xx/429 are not permanent: an operator or time fixes them.
 */
export function isPermanentInfluxRejection(err: unknown): boolean {
  return (
    err instanceof HttpError &&
    (err.statusCode === 400 || err.statusCode === 413 || err.statusCode === 422)
  );
}

export interface InfluxWrite<P> {
  /** What is written, for retry and refusal log lines, e.g. "drift points". */
  what: string;
  /** One request with these points; resolved means InfluxDB acknowledged them. */
  write: (batch: readonly P[]) => Promise<void>;
  /** A point's identity for the log: measurement and tags, each cut short. */
  identify: (point: P) => Record<string, unknown>;
  /** Outages (network, 5xx, 429, 401/403) are retried with these options, waiting. */
  retry: Omit<RetryOptions, 'what' | 'isPermanent'>;
  metrics: Pick<DaemonMetrics, 'influxPointsRejected'>;
  logger: Logger;
}

/**
 * Writes points, waiting out outages; points InfluxDB refuses for good (400/413/422: a key too
 * long, a field type conflict, older than the retention) are found by splitting the batch,
 * skipped, counted in driftwatch_influx_points_rejected_total and logged, while every other
 * point of the batch is written. Returns how many points were written.
 */
export async function writeSkippingRefused<P>(
  points: readonly P[],
  w: InfluxWrite<P>,
): Promise<number> {
  const what = `writing ${w.what} to InfluxDB`;
  const refused = await writeBisecting(
    points,
    (batch) =>
      retryUntilSuccess(() => w.write(batch), {
        ...w.retry,
        what,
        isPermanent: isPermanentInfluxRejection,
      }),
    { isRefusal: isPermanentInfluxRejection, between: () => w.retry.context.heartbeat() },
  );
  if (refused.length === 0) return points.length;
  w.metrics.influxPointsRejected.inc(refused.length);
  for (const { point, err } of refused.slice(0, MAX_LOGGED_REFUSALS)) {
    w.logger.error(
      { point: w.identify(point), ...describeRefusal(err) },
      `InfluxDB refused one of the ${w.what}; it is skipped, the others are written`,
    );
  }
  if (refused.length > MAX_LOGGED_REFUSALS) {
    w.logger.error(
      { refused: refused.length, notLogged: refused.length - MAX_LOGGED_REFUSALS },
      `InfluxDB refused more ${w.what} than logged (see driftwatch_influx_points_rejected_total)`,
    );
  }
  return points.length - refused.length;
}

function describeRefusal(err: unknown): { status?: number; error: string } {
  const message = err instanceof Error ? err.message : String(err);
  return {
    ...(err instanceof HttpError ? { status: err.statusCode } : {}),
    error: preview(message, MAX_ERROR_CHARS),
  };
}

/** A tag value from outside (a baseline's feature name, an event's model) fit for a log line. */
export function tagPreview(value: string): string {
  return value.length <= 64 ? value : preview(value, 64);
}
