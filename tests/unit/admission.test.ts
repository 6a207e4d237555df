import type { KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Admission } from '../../src/ingest/admission.js';
import { createLogger } from '../../src/logger.js';
import { DaemonMetrics } from '../../src/metrics.js';
import type { EventSource } from '../../src/prediction-log/event-source.js';
import type { PredictionLog } from '../../src/prediction-log/prediction-log.js';
import { Windower } from '../../src/windows/windower.js';
import { fraudBaseline, storeOf } from '../support/baselines.js';

const baseline = fraudBaseline({
  amount: { kind: 'numeric', cuts: [10], proportions: [0.5, 0.5], count: 100, missing: 0 },
});
const NOW = 1_800_000_000_000;
const MINUTE = 60_000;

const row = (timestamp: number, model = 'fraud'): PredictionLog => ({
  model,
  model_version: '3',
  timestamp,
  features: { amount: 5 },
});

/** An event source that reads every message as the given rows (a batched payload). */
const rowsSource = (logs: PredictionLog[]): EventSource => ({
  read: () => ({ ok: true, logs }),
});

function admit(logs: PredictionLog[], rejectUnknown = false) {
  const store = storeOf(baseline);
  Object.assign(store, { rejectsUnknown: rejectUnknown });
  const windower = new Windower(MINUTE, 0, store);
  const metrics = new DaemonMetrics(false);
  const admission = new Admission({
    metrics,
    logger: createLogger('silent', pino.destination('/dev/null')),
    maxFutureSkewMs: MINUTE,
    source: rowsSource(logs),
  });
  const message = { offset: '7', value: Buffer.from('x') } as KafkaMessage;
  const outcome = admission.admit(message, 'input', 0, windower, admission.futureLimit(NOW));
  return { outcome, windower, metrics };
}

describe('admission of a message that carries several events', () => {
  it('windows every event of a good batch', () => {
    const { outcome, windower } = admit([row(NOW - 3), row(NOW - 2), row(NOW - 1)]);
    expect(outcome).toBe(true);
    expect(windower.openWindowCount).toBe(1);
  });

  it('refuses the whole message when one event is stamped too far ahead: none is counted', () => {
    const { outcome, windower } = admit([row(NOW - 2), row(NOW + 2 * MINUTE), row(NOW - 1)]);
    expect(outcome).toMatchObject({ code: 'FUTURE_TIMESTAMP' });
    expect(windower.openWindowCount).toBe(0);
  });

  it('refuses the whole message when its model has no baseline and unknown models are rejected', () => {
    const { outcome, windower } = admit([row(NOW - 2, 'other'), row(NOW - 1, 'other')], true);
    expect(outcome).toMatchObject({ code: 'NO_BASELINE' });
    expect(windower.openWindowCount).toBe(0);
  });

  it('counts a valid message without events apart, and adds nothing', async () => {
    const { outcome, windower, metrics } = admit([]);
    expect(outcome).toBe(false);
    expect(windower.openWindowCount).toBe(0);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/driftwatch_messages_without_events_total 1/);
  });
});
