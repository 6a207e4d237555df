import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyWebhook } from '../../src/delivery/notifiers/signing.js';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { cliAsync } from '../support/cli.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { createTopics, testKafka } from '../support/kafka.js';
import { metric, waitForMetric } from '../support/metrics.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';
import { WebhookReceiver, type ReceivedRequest } from '../support/webhook-receiver.js';

const services = inject('services');
const T0 = Date.parse('2026-04-01T00:00:00.000Z');
const MINUTE = 60_000;
const PER_WINDOW = 300;
const SECRET = 'whsec_c2VjcmV0LWZvci1kZWxpdmVyeS10ZXN0cy0wMDAw';

const spec: SyntheticSpec = {
  model: 'churn',
  modelVersion: '7',
  numericFeatures: ['a', 'b', 'c'],
  shifted: { features: ['a', 'b'], shift: 2, shiftFrom: T0 + 2 * MINUTE },
  seed: 11,
};

function rule(name: string) {
  return {
    name,
    match: { method: 'psi' },
    when: 'value > 0.2',
    min_samples: 50,
    annotations: { runbook_url: 'https://runbooks.example.com/churn' },
    receivers: ['ops', 'gone'],
  };
}

function writeRules(file: string, rules: unknown[], url: string): void {
  writeFileSync(
    file,
    stringify({
      receivers: {
        ops: { type: 'webhook', url, secret_env: 'OPS_SECRET', timeout: '5s' },
        gone: { type: 'webhook', url: url.replace('/ops', '/gone'), timeout: '5s' },
      },
      rules,
    }),
  );
}

const header = (r: ReceivedRequest, k: string) => r.headers[k] as string | undefined;

describe(`alert delivery failures, replay and rule reloads (${inject('servicesMode')})`, () => {
  const names = uniqueNames('delivery');
  const receiver = new WebhookReceiver();
  const alertTopic = `${names.groupId}.alerts`;
  let producer: Producer;
  let configFile: string;
  let rulesFile: string;
  let httpPort: number;
  const env = { INFLUX_TOKEN: services.influx.token, OPS_SECRET: SECRET };

  beforeAll(async () => {
    let kafka: Kafka;
    ({ kafka, producer } = await testKafka(services.kafkaBrokers, [
      names.topic,
      names.deadLetterTopic,
    ]));
    // Created ahead of the daemon (to hold garbage), so with the policy the daemon requires.
    await createTopics(kafka, [alertTopic], 1, [
      { name: 'cleanup.policy', value: 'compact,delete' },
    ]);
    // Garbage in the alert log must be skipped (logged, counted), not crash the restore.
    await producer.send({ topic: alertTopic, messages: [{ key: 'i/x', value: 'not json' }] });
    const logs = [...predictionLogs(spec, T0, MINUTE / PER_WINDOW, 6 * PER_WINDOW)];
    await producer.send({
      topic: names.topic,
      messages: logs.map((l) => ({ value: JSON.stringify(l) })),
    });
    await receiver.start();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-delivery-'));
    rulesFile = path.join(dir, 'rules.yaml');
    writeRules(rulesFile, [rule('psi_drift')], receiver.url('/ops'));
    ({ file: configFile, httpPort } = await writeDaemonConfig(services, {
      ...names,
      configDir: dir,
      baselinesDir: baselineDirFor(spec),
      windowSize: '1m',
      extra: { alerts: { rules: rulesFile, retryInitialDelay: '200ms', retryMaxDelay: '1s' } },
    }));
  });

  afterAll(async () => {
    await producer?.disconnect();
    await receiver.stop();
  });

  it('400 → dead letter (metric), replayed with the same webhook-id; invalid rules keep the old ones', async () => {
    receiver.respond = (req) => (req.path === '/gone' ? 410 : 400);
    const daemon = new DaemonProcess(configFile, env);
    try {
      await waitForMetric(
        httpPort,
        /driftwatch_notifications_dead_lettered_total\{receiver="ops"\} (\d+)/,
        1,
      );
      const refused = receiver.requests.filter((r) => r.path === '/ops');
      expect(refused).toHaveLength(1);
      expect(refused[0]?.status).toBe(400);
      expect(daemon.logs('unreadable alert-log record skipped')).toHaveLength(1);
      // 410 Gone: dead-lettered too, and the endpoint is disabled.
      await waitForMetric(httpPort, /driftwatch_receiver_disabled\{receiver="gone"\} (\d+)/, 1);
      expect(
        await metric(
          httpPort,
          /driftwatch_notifications_dead_lettered_total\{receiver="gone"\} (\d+)/,
        ),
      ).toBe(1);

      // An invalid rules file (file watch) is reported and the running rules stay.
      writeFileSync(rulesFile, 'rules:\n  - name: broken\n    when: "value >> 1"\n');
      await waitForMetric(
        httpPort,
        /driftwatch_alert_rules_reloads_total\{result="invalid"\} (\d+)/,
        1,
      );
      expect(await metric(httpPort, /driftwatch_alert_rules_loaded (\d+)/)).toBe(1);
      expect(daemon.output).toContain('rules file reload failed');

      // A valid one, announced by SIGHUP, takes over.
      writeRules(rulesFile, [rule('psi_drift'), rule('psi_drift_copy')], receiver.url('/ops'));
      daemon.kill('SIGHUP');
      await waitForMetric(httpPort, /driftwatch_alert_rules_loaded (\d+)/, 2);

      // The endpoint is fixed; the operator replays the dead letter.
      receiver.respond = (req) => (req.path === '/gone' ? 410 : 200);
      const replay = await cliAsync(
        ['notifications', 'replay', '--config', configFile, '--receiver', 'ops'],
        env,
      );
      expect(replay.status, replay.stdout + replay.stderr).toBe(0);
      await receiver.waitFor(
        (rs) => rs.some((r) => r.path === '/ops' && r.status === 200),
        'replayed delivery',
      );
      const delivered = receiver.accepted('/ops')[0] as ReceivedRequest;
      expect(header(delivered, 'webhook-id')).toBe(
        header(refused[0] as ReceivedRequest, 'webhook-id'),
      );
      expect(
        verifyWebhook(
          SECRET,
          {
            'webhook-id': header(delivered, 'webhook-id'),
            'webhook-timestamp': header(delivered, 'webhook-timestamp'),
            'webhook-signature': header(delivered, 'webhook-signature'),
          },
          delivered.body,
        ),
      ).toBe(true);
      expect(JSON.parse(delivered.body)).toMatchObject({ data: { status: 'firing' } });
      // The accepted delivery is timed; the scrape carries build info and the standard
      // (unprefixed) process metrics.
      await waitForMetric(
        httpPort,
        /driftwatch_notification_delivery_seconds_count\{receiver="ops"\} (\d+)/,
        1,
      );
      const scrape = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
      expect(scrape).toMatch(/^driftwatch_build_info\{version="[^"]+",node="v[^"]+"\} 1$/m);
      expect(scrape).toMatch(/^process_cpu_seconds_total \d/m);
      expect(scrape).not.toMatch(/^driftwatch_process_/m);
      expect(daemon.child.exitCode).toBeNull();
    } finally {
      daemon.kill('SIGTERM');
      await daemon.exited;
    }
  });
});
