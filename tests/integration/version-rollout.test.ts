import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { receiverCaughtUp, testKafka } from '../support/kafka.js';
import { Mailpit } from '../support/mailpit.js';
import { waitForMetric } from '../support/metrics.js';
import { addBaselineFor, baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const T0 = Date.parse('2026-05-02T00:00:00.000Z');
const MINUTE = 60_000;
const PER_WINDOW = 200;

/** Version 2 drifts from its first window; version 3 (the rollout) does not. */
const v2: SyntheticSpec = {
  model: 'churn',
  modelVersion: '2',
  numericFeatures: ['a', 'b'],
  shifted: { features: ['a'], shift: 2, shiftFrom: T0 },
  seed: 11,
};
const v3: SyntheticSpec = {
  model: 'churn',
  modelVersion: '3',
  numericFeatures: ['a', 'b'],
  seed: 12,
};

/** `windows` one-minute windows of `spec` from `start`, PER_WINDOW logs each. */
const logsOf = (spec: SyntheticSpec, start: number, windows: number) => [
  ...predictionLogs(spec, start, MINUTE / PER_WINDOW, windows * PER_WINDOW),
];

describe(`a version rollout resolves the old version's alerts as superseded (${inject('servicesMode')})`, () => {
  const names = uniqueNames('rollout');
  const mail = new Mailpit(services);
  const to = `oncall-${names.groupId}@driftwatch.test`;
  let kafka: Kafka;
  let producer: Producer;
  let configFile: string;
  let httpPort: number;

  beforeAll(async () => {
    ({ kafka, producer } = await testKafka(services.kafkaBrokers, [
      names.topic,
      names.deadLetterTopic,
    ]));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-rollout-'));
    const baselines = baselineDirFor(v2);
    addBaselineFor(baselines, v3);
    const rules = path.join(dir, 'rules.yaml');
    writeFileSync(
      rules,
      stringify({
        receivers: { oncall: { type: 'email', to: [to] } },
        rules: [
          {
            name: 'feature_psi',
            match: { method: 'psi', feature: 'a' },
            when: 'value >= 0.25',
            min_samples: 50,
            // Without supersession version 2 would go stale 3 minutes after its last window.
            stale_after: '3m',
            receivers: ['oncall'],
          },
        ],
        versions: { supersede_after: 2 },
      }),
    );
    ({ file: configFile, httpPort } = await writeDaemonConfig(services, {
      ...names,
      configDir: dir,
      baselinesDir: baselines,
      windowSize: '1m',
      extra: {
        smtp: { ...services.smtp, from: 'driftwatch@driftwatch.test' },
        alerts: { rules, retryInitialDelay: '200ms', retryMaxDelay: '1s' },
      },
    }));
  });

  afterAll(async () => {
    await producer?.disconnect();
  });

  it('one firing and one "superseded" resolution for version 2, no stale alert, nothing for 3', async () => {
    // Version 2 serves windows 0–3, version 3 from window 2 on (a canary, then alone).
    const logs = [...logsOf(v2, T0, 4), ...logsOf(v3, T0 + 2 * MINUTE, 10)].sort(
      (x, y) => Date.parse(x.timestamp) - Date.parse(y.timestamp),
    );
    await producer.send({
      topic: names.topic,
      messages: logs.map((l) => ({ value: JSON.stringify(l) })),
    });
    const daemon = new DaemonProcess(configFile, { INFLUX_TOKEN: services.influx.token });
    try {
      await waitForMetric(
        httpPort,
        /driftwatch_alert_transitions_total\{rule="feature_psi",severity="warning",to="resolved"\} (\d+)/,
        1,
      );
      await mail.messagesTo(to, 2, 60_000);
      await receiverCaughtUp(kafka, `${names.groupId}.receiver.oncall`, `${names.groupId}.alerts`);
      const mails = await mail.search(to);
      expect(mails).toHaveLength(2);
      const texts = await Promise.all(mails.map(async (m) => (await mail.message(m.ID)).Text));
      const resolved = texts.filter((t) => /superseded: version 3 receives the traffic/.test(t));
      expect(resolved).toHaveLength(1);
      for (const t of texts) {
        expect(t).toContain('churn');
        expect(t).not.toContain('feature_psi:stale');
      }
    } finally {
      daemon.kill('SIGTERM');
      await daemon.exited;
    }
  });
});
