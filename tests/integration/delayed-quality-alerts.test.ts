import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { queryPoints } from '../support/influx.js';
import { createTopics, testKafka } from '../support/kafka.js';
import { metricTotal } from '../support/results.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';
import { WebhookReceiver, type ReceivedRequest } from '../support/webhook-receiver.js';
import {
  churnEvent,
  churnSpec,
  MINUTE,
  otherClass,
  predicted,
  T0,
} from '../support/labelled-churn.js';

const services = inject('services');
const PARTITIONS = 2;
const spec = churnSpec(11);
const event = (i: number, minute: number, id: string) => churnEvent(i, minute, id);

interface Body {
  id: string;
  type: string;
  data: {
    status: string;
    alerts: {
      method: string;
      feature: string;
      statistic: string;
      value: number | null;
      samples: number;
      window_end: string;
    }[];
    retrain?: { drifted_features: { method: string; statistic: string; value: number }[] };
  };
}
const bodies = (rs: readonly ReceivedRequest[]) => rs.map((r) => JSON.parse(r.body) as Body);

/**
 * Minute 0: accuracy 0.5 over 100 labels (fires); minute 1: 1.0 over 100 (resolves); minute 2:
 * 0.0 over 10 labels only (below min_samples: decides nothing). Labels are stamped minute 3, so
 * only predictions move the join's clock past a window's end + settleAfter.
 */
const windows: { minute: number; n: number; wrong: (i: number) => boolean }[] = [
  { minute: 0, n: 100, wrong: (i) => i % 4 < 2 },
  { minute: 1, n: 100, wrong: () => false },
  { minute: 2, n: 10, wrong: () => true },
];

describe(`alert rules on settled delayed quality (${inject('servicesMode')})`, () => {
  const names = uniqueNames('dqalerts');
  const labelsTopic = `${names.topic}.labels`;
  const receiver = new WebhookReceiver();
  let producer: Producer;
  let configFile: string;
  let httpPort: number;
  const env = { INFLUX_TOKEN: services.influx.token };

  /** Predictions with ids at `minute`: they move every join partition's clock there. */
  const clockTo = (minute: number) =>
    producer.send({
      topic: names.topic,
      messages: Array.from({ length: 40 }, (_, i) => ({
        partition: i % PARTITIONS,
        value: event(i, minute, `clock-${minute}-${i}`),
      })),
    });

  beforeAll(async () => {
    let kafka;
    ({ kafka, producer } = await testKafka(
      services.kafkaBrokers,
      [names.topic, names.deadLetterTopic],
      PARTITIONS,
    ));
    await createTopics(kafka, [labelsTopic], PARTITIONS);
    await receiver.start();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-dqalerts-'));
    const rules = path.join(dir, 'rules.yaml');
    writeFileSync(
      rules,
      stringify({
        receivers: {
          ops: { type: 'webhook', url: receiver.url('/ops') },
          training: { type: 'retrain', url: receiver.url('/retrain'), min_severity: 'warning' },
        },
        rules: [
          {
            name: 'accuracy-delayed',
            match: { model: 'churn', method: 'quality_delayed' },
            when: 'accuracy < 0.8',
            min_samples: 50,
            severity: 'warning',
            receivers: ['ops', 'training'],
            group_interval: '1s',
            repeat_interval: '0s',
          },
        ],
      }),
    );
    const messages = windows.flatMap((w) =>
      Array.from({ length: w.n }, (_, i) => ({
        partition: i % PARTITIONS,
        value: event(i, w.minute, `w${w.minute}-${i}`),
      })),
    );
    await producer.send({ topic: names.topic, messages });
    await producer.send({
      topic: labelsTopic,
      messages: windows.flatMap((w) =>
        Array.from({ length: w.n }, (_, i) => ({
          partition: i % PARTITIONS,
          value: JSON.stringify({
            id: `w${w.minute}-${i}`,
            label: w.wrong(i) ? otherClass(predicted(i)) : predicted(i),
            timestamp: T0 + 3 * MINUTE + i,
          }),
        })),
      ),
    });
    ({ file: configFile, httpPort } = await writeDaemonConfig(services, {
      ...names,
      configDir: dir,
      baselinesDir: baselineDirFor(spec),
      windowSize: '1m',
      extra: {
        labels: { topic: labelsTopic, horizon: '10m', settleAfter: '5m', partitions: 2 },
        alerts: {
          rules,
          measurement: `${names.measurement}_alerts`,
          retryInitialDelay: '200ms',
          retryMaxDelay: '1s',
        },
      },
    }));
  });

  afterAll(async () => {
    await producer?.disconnect();
    await receiver.stop();
  });

  it('fires once on a window settled below the threshold, carries it in the retraining request, and resolves on a good one across kill -9', async () => {
    let daemon = new DaemonProcess(configFile, env);
    try {
      // Every window's point is written as its labels arrive; none is settled yet.
      for (let i = 0; i < 240; i++) {
        const points = await queryPoints(services.influx, names.measurement);
        const quality = points.filter((p) => p.key.includes(' method=quality_delayed '));
        if (quality.length === 3 && quality.every((p) => Number(p.fields.labelled) > 0)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(receiver.requests).toHaveLength(0);
      // The join's clocks pass minute 0's end + 5m (minute 6), not minute 1's.
      await clockTo(6);
      await receiver.waitFor((rs) => rs.some((r) => r.path === '/ops'), 'firing webhook', 120_000);
      await receiver.waitFor(
        (rs) => rs.some((r) => r.path === '/retrain'),
        'retrain request',
        60_000,
      );
      // Minute 1 is not settled yet (its end + 5m is minute 7): nothing resolved it.
      expect(bodies(receiver.accepted('/ops')).map((b) => b.data.status)).toEqual(['firing']);
      const [firing] = bodies(receiver.accepted('/ops'));
      expect(firing?.data.status).toBe('firing');
      expect(firing?.data.alerts).toEqual([
        expect.objectContaining({
          method: 'quality_delayed',
          feature: '_model',
          statistic: 'accuracy',
          value: 0.5,
          samples: 100,
          window_end: new Date(T0 + MINUTE).toISOString(),
        }),
      ]);
      const [retrain] = bodies(receiver.accepted('/retrain'));
      expect(retrain?.data.retrain?.drifted_features).toEqual([
        expect.objectContaining({ method: 'quality_delayed', statistic: 'accuracy', value: 0.5 }),
      ]);
    } finally {
      daemon.kill('SIGKILL');
      await daemon.exited;
    }
    // Restarted: the writer reads its state back; minute 0 is not handed on (or, if it is, not
    // evaluated) again. Then minutes 1 and 2 settle: 1.0 resolves, 0.0 over 10 decides nothing.
    daemon = new DaemonProcess(configFile, env);
    try {
      await clockTo(9);
      await receiver.waitFor(
        (rs) =>
          bodies(rs.filter((r) => r.path === '/ops')).some((b) => b.data.status === 'resolved'),
        'resolved webhook',
        120_000,
      );
      await new Promise((r) => setTimeout(r, 3_000));
      const ops = bodies(receiver.accepted('/ops'));
      expect(ops.map((b) => b.data.status)).toEqual(['firing', 'resolved']);
      expect(receiver.accepted('/retrain')).toHaveLength(1);
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      // Minutes 1 and 2 here (and minute 0 again if the kill came before its mark was written).
      expect(
        metricTotal(metrics, 'driftwatch_labels_settled_windows_total'),
      ).toBeGreaterThanOrEqual(2);
    } finally {
      daemon.kill('SIGTERM');
      await daemon.exited;
    }
  }, 300_000);
});
