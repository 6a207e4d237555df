import { InfluxDB } from '@influxdata/influxdb-client';
import { describe, expect, inject, it } from 'vitest';
import type { AlertTransition } from '../../alert-engine/model.js';
import { writeSkippingRefused } from '../../src/sinks/influx-write.js';
import { WindowEmitter } from '../../src/evaluate/window-emitter.js';
import { DaemonMetrics } from '../../src/metrics.js';
import { InfluxSink } from '../../src/sinks/influx.js';
import { toTransitionPoint } from '../../src/sinks/influx-alerts.js';
import { DEFAULT_WINDOW_DRIFT_SETTINGS, type WindowPoint } from '../../src/drift/window-points.js';
import { Windower } from '../../src/windows/windower.js';
import { QUIET_BATCH } from '../support/batch-context.js';
import { fraudBaseline, modelBaseline, storeOf } from '../support/baselines.js';
import { queryDrift } from '../support/influx.js';
import { uniqueNames } from '../support/scenario.js';
import { capturingLogger } from '../support/logs.js';

const services = inject('services');
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
/**
 * A tag InfluxDB 2.7 cannot take: a series key over 65,535 bytes. It answers 400 "unable to
 * parse … max key length exceeded" and writes nothing of that request, good points included.
 */
const TOO_LONG_TAG = 'f'.repeat(70_000);

const counter = async (c: { get: () => Promise<{ values: { value: number }[] }> }) =>
  (await c.get()).values.reduce((sum, v) => sum + v.value, 0);

describe(`InfluxDB refusals cost only the refused points (${inject('servicesMode')})`, () => {
  it('a window of a legit model is written although a point of the same write is refused (400)', async () => {
    const { measurement } = uniqueNames('influx-writes');
    const { logger, lines } = capturingLogger();
    const sink = new InfluxSink({ ...services.influx, measurement }, logger);
    const numeric = {
      kind: 'numeric' as const,
      cuts: [10, 20],
      proportions: [0.25, 0.5, 0.25],
      count: 100,
      missing: 0,
    };
    const fraud = fraudBaseline({
      amount: numeric,
      country: { kind: 'categorical', proportions: { DE: 0.5, FR: 0.5 }, count: 100, missing: 0 },
    });
    // Baselines are the operator's: nothing bounds their feature names, so the bad point
    // comes from one of them (events beyond the limits never reach a window).
    const wide = modelBaseline('wide', '1', { [TOO_LONG_TAG]: numeric, short: numeric });
    const windower = new Windower(60_000, 0, storeOf(fraud, wide));
    for (let i = 0; i < 20; i++) {
      windower.add(
        {
          model: 'fraud',
          model_version: '3',
          timestamp: T0 + i,
          features: { amount: i, country: 'DE' },
        },
        0,
        i,
      );
      windower.add(
        {
          model: 'wide',
          model_version: '1',
          timestamp: T0 + i,
          features: { [TOO_LONG_TAG]: i, short: i },
        },
        0,
        100 + i,
      );
    }
    windower.add(
      { model: 'fraud', model_version: '3', timestamp: T0 + 60_000, features: {} },
      0,
      999,
    );

    const metrics = new DaemonMetrics(false);
    let sent: WindowPoint[] = [];
    const emitter = new WindowEmitter({
      drift: { ...DEFAULT_WINDOW_DRIFT_SETTINGS, minSamples: 1 },
      metrics,
      logger,
      writeResults: (results) => {
        if (sent.length === 0) sent = [...results];
        return sink.write(results);
      },
    });
    await emitter.emit(windower.takeClosed(), QUIET_BATCH);

    const bad = sent.filter((p) => p.feature === TOO_LONG_TAG);
    const good = sent.filter((p) => p.feature !== TOO_LONG_TAG);
    expect(bad.length).toBeGreaterThan(0);
    expect(good.filter((p) => p.model === 'fraud').length).toBeGreaterThan(0);
    const identity = (r: { model: string; feature: string; method: string }) =>
      `${r.model} ${r.feature} ${r.method}`;
    const rows = await queryDrift(services.influx, measurement, null);
    expect(rows.map(identity).sort()).toEqual(
      good
        .map((p) => identity({ ...p, method: p.kind === 'summary' ? 'summary' : p.method }))
        .sort(),
    );
    expect(await counter(metrics.influxPointsRejected)).toBe(bad.length);
    expect(await counter(metrics.pointsWritten)).toBe(good.length);
    // Each refused point logged once, with its identity cut short and InfluxDB's answer.
    const refusals = lines.filter((l) => (l.point as { feature?: string } | undefined)?.feature);
    expect(refusals).toHaveLength(bad.length);
    for (const l of refusals) {
      expect(l).toMatchObject({ status: 400, point: { model: 'wide' } });
      expect(JSON.stringify(l).length).toBeLessThan(2_000);
    }
  });

  it('alert transition points go through the same split: the legit transition is written', async () => {
    const { measurement } = uniqueNames('influx-transitions');
    const { logger } = capturingLogger();
    const sink = new InfluxSink({ ...services.influx, measurement }, logger);
    const transition = (feature: string, time: number): AlertTransition => ({
      model: 'fraud',
      modelVersion: '3',
      feature,
      method: 'psi',
      window: '1m',
      fingerprint: `fp-${time}`,
      rule: 'feature_psi',
      severity: 'warning',
      from: 'inactive',
      to: 'firing',
      seq: 1,
      episodeId: null,
      value: 0.3,
      threshold: 0.25,
      samples: 20,
      time,
      reason: null,
    });
    const metrics = new DaemonMetrics(false);
    const written = await writeSkippingRefused(
      [
        transition('amount', T0),
        transition(TOO_LONG_TAG, T0 + 1),
        transition('country', T0 + 2),
      ].map((t) => toTransitionPoint(t, measurement)),
      {
        what: 'alert transition points',
        write: (batch) => sink.writePoints(batch),
        identify: () => ({}),
        retry: { context: QUIET_BATCH, onFailure: () => undefined },
        metrics,
        logger,
      },
    );
    expect(written).toBe(2);
    expect(await counter(metrics.influxPointsRejected)).toBe(1);
    const rows = await new InfluxDB({ url: services.influx.url, token: services.influx.token })
      .getQueryApi(services.influx.org)
      .collectRows<{ feature: string }>(
        `from(bucket: "${services.influx.bucket}") |> range(start: 0)
  |> filter(fn: (r) => r._measurement == "${measurement}" and r._field == "seq")`,
      );
    expect(rows.map((r) => r.feature).sort()).toEqual(['amount', 'country']);
  });
});
