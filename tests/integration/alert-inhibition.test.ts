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
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const T0 = Date.parse('2026-05-01T00:00:00.000Z');
const MINUTE = 60_000;
const PER_WINDOW = 300;

/** Three of four features move from window 2 on: the dataset (3/4 ≥ 0.5) and each feature drift. */
const spec: SyntheticSpec = {
  model: 'loans',
  modelVersion: '2',
  numericFeatures: ['a', 'b', 'c', 'd'],
  shifted: { features: ['a', 'b', 'c'], shift: 2, shiftFrom: T0 + 2 * MINUTE },
  seed: 5,
};

describe(`inhibition through the rules file: one email thread per incident (${inject('servicesMode')})`, () => {
  const names = uniqueNames('inhibit');
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
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-inhibit-'));
    const rules = path.join(dir, 'rules.yaml');
    writeFileSync(
      rules,
      stringify({
        receivers: { oncall: { type: 'email', to: [to] } },
        rules: [
          {
            name: 'feature_psi',
            match: { method: 'psi' },
            when: 'value >= 0.25',
            min_samples: 50,
            receivers: ['oncall'],
          },
          {
            name: 'dataset_drift',
            match: { method: 'drift_share' },
            when: { drifted: true },
            severity: 'critical',
            receivers: ['oncall'],
          },
        ],
        inhibit: [
          {
            source_match: { rule: 'dataset_drift' },
            target_match: { rule: 'feature_psi' },
            equal: ['model', 'model_version'],
          },
        ],
      }),
    );
    ({ file: configFile, httpPort } = await writeDaemonConfig(services, {
      ...names,
      configDir: dir,
      baselinesDir: baselineDirFor(spec),
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

  it('the dataset alert is mailed; the feature alerts it holds back change state but send nothing', async () => {
    const logs = [...predictionLogs(spec, T0, MINUTE / PER_WINDOW, 6 * PER_WINDOW)];
    await producer.send({
      topic: names.topic,
      messages: logs.map((l) => ({ value: JSON.stringify(l) })),
    });
    const daemon = new DaemonProcess(configFile, { INFLUX_TOKEN: services.influx.token });
    try {
      // The feature alerts fire (state, transitions) …
      await waitForMetric(
        httpPort,
        /driftwatch_alert_transitions_total\{rule="feature_psi",severity="warning",to="firing"\} (\d+)/,
        3,
      );
      await mail.messagesTo(to, 1, 60_000);
      await receiverCaughtUp(kafka, `${names.groupId}.receiver.oncall`, `${names.groupId}.alerts`);
      // … and the mailbox holds one thread: the dataset alert's.
      const mails = await mail.search(to);
      expect(mails).toHaveLength(1);
      expect(mails[0]?.Subject).toContain('dataset_drift');
      const text = (await mail.message(mails[0]?.ID ?? '')).Text;
      expect(text).not.toContain('feature_psi');
    } finally {
      daemon.kill('SIGTERM');
      await daemon.exited;
    }
  });
});
