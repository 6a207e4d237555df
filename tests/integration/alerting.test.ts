import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyWebhook } from '../../src/delivery/notifiers/signing.js';
import { freePort } from '../../scripts/services/process.js';
import { featureNames, predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { receiverCaughtUp, testKafka } from '../support/kafka.js';
import { Mailpit } from '../support/mailpit.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { WebhookReceiver, type ReceivedRequest } from '../support/webhook-receiver.js';
import { InfluxDB } from '@influxdata/influxdb-client';

const services = inject('services');
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const MINUTE = 60_000;
const PER_WINDOW = 300;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const FEATURES = featureNames(16);
const DRIFTING = FEATURES.slice(0, 15);
const RUNBOOK_BASE = 'https://runbooks.internal.test/driftwatch';
/** The rule's `{{runbook_base}}/feature-drift.md?model={{model}}` as delivered. */
const RUNBOOK_LINK = `${RUNBOOK_BASE}/feature-drift.md?model=fraud`;

const base: SyntheticSpec = {
  model: 'fraud',
  modelVersion: '3',
  numericFeatures: FEATURES,
  seed: 7,
};
const shifted: SyntheticSpec = {
  ...base,
  seed: 8,
  shifted: { features: DRIFTING, shift: 2, shiftFrom: 0 },
};

/** Events for windows [from, to): 15 of 16 features shifted inside [driftFrom, driftTo). */
function events(from: number, to: number, drift: [number, number]): { value: string }[] {
  const out: { value: string }[] = [];
  const normal = [...predictionLogs(base, T0, MINUTE / PER_WINDOW, 20 * PER_WINDOW)];
  const moved = [...predictionLogs(shifted, T0, MINUTE / PER_WINDOW, 20 * PER_WINDOW)];
  for (let i = from * PER_WINDOW; i < to * PER_WINDOW; i++) {
    const w = Math.floor(i / PER_WINDOW);
    const log = w >= drift[0] && w < drift[1] ? moved[i] : normal[i];
    if (log) out.push({ value: JSON.stringify(log) });
  }
  return out;
}

function rulesFile(dir: string, webhookUrl: string, retrainUrl: string, to: string): string {
  const file = path.join(dir, 'rules.yaml');
  writeFileSync(
    file,
    stringify({
      receivers: {
        oncall: { type: 'email', to: [to] },
        ops: { type: 'webhook', url: webhookUrl, secret_env: 'OPS_WEBHOOK_SECRET', timeout: '5s' },
        training: {
          type: 'retrain',
          url: retrainUrl,
          secret_env: 'OPS_WEBHOOK_SECRET',
          min_severity: 'warning',
          min_drifted_features: 3,
          cooldown: '24h',
        },
      },
      rules: [
        {
          name: 'psi_drift',
          match: { method: 'psi' },
          when: 'value > 0.2',
          recover_threshold: 0.15,
          min_samples: 50,
          severity: 'warning',
          annotations: {
            summary: 'PSI {{value}} on {{feature}} of {{model}}@{{model_version}}',
            // Resolved with alerts.runbookBaseUrl (its trailing slash not doubled).
            runbook_url: '{{runbook_base}}/feature-drift.md?model={{model}}',
          },
          receivers: ['oncall', 'ops', 'training'],
          group_interval: '1m',
          repeat_interval: '0s',
        },
      ],
    }),
  );
  return file;
}

interface Body {
  id: string;
  type: string;
  data: {
    alerts: { feature: string }[];
    status: string;
    links: { runbook: string | null };
    retrain?: { request_id?: string };
  };
}

const parse = (r: ReceivedRequest) => JSON.parse(r.body) as Body;

function verifies(r: ReceivedRequest): boolean {
  const h = (k: string) => {
    const v = r.headers[k];
    return Array.isArray(v) ? v[0] : v;
  };
  return verifyWebhook(
    SECRET,
    {
      'webhook-id': h('webhook-id'),
      'webhook-timestamp': h('webhook-timestamp'),
      'webhook-signature': h('webhook-signature'),
    },
    r.body,
  );
}

describe(`alerting end to end: real Kafka, InfluxDB and SMTP (${inject('servicesMode')})`, () => {
  const names = uniqueNames('alerts');
  const mail = new Mailpit(services);
  const receiver = new WebhookReceiver();
  let kafka: Kafka;
  let producer: Producer;
  let smtpProxy: TcpProxy;
  let configFile: string;
  let httpPort: number;
  const to = `oncall-${names.groupId}@driftwatch.test`;
  const env = { INFLUX_TOKEN: services.influx.token, OPS_WEBHOOK_SECRET: SECRET };
  const transitionsMeasurement = `${names.measurement}_alerts`;

  beforeAll(async () => {
    ({ kafka, producer } = await testKafka(services.kafkaBrokers, [
      names.topic,
      names.deadLetterTopic,
    ]));
    await receiver.start();
    smtpProxy = new TcpProxy(await freePort(), services.smtp);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-alerting-'));
    const rules = rulesFile(dir, receiver.url('/ops'), receiver.url('/retrain'), to);
    ({ file: configFile, httpPort } = await writeDaemonConfig(services, {
      ...names,
      configDir: dir,
      baselinesDir: baselineDirFor(base),
      windowSize: '1m',
      extra: {
        smtp: { host: '127.0.0.1', port: smtpProxy.port, from: 'driftwatch@driftwatch.test' },
        alerts: {
          rules,
          measurement: transitionsMeasurement,
          dashboardUrl:
            'https://grafana.example.com/d/drift?var-model={{model}}&from={{from}}&to={{to}}',
          runbookBaseUrl: `${RUNBOOK_BASE}/`,
          retryInitialDelay: '200ms',
          retryMaxDelay: '1s',
        },
      },
    }));
  });

  afterAll(async () => {
    await producer?.disconnect();
    await receiver.stop();
    await smtpProxy?.down();
  });

  it('one grouped, signed, threaded notification per episode; outages and kill -9 lose and double nothing', async () => {
    // The webhook endpoint fails its first request; SMTP is unreachable at first.
    let opsRequests = 0;
    receiver.respond = (req) => (req.path === '/ops' && opsRequests++ === 0 ? 500 : 200);
    await producer.send({ topic: names.topic, messages: events(0, 6, [3, 7]) });

    const first = new DaemonProcess(configFile, env);
    try {
      await receiver.waitFor(
        (rs) => rs.some((r) => r.path === '/ops' && r.status === 200),
        'firing webhook',
      );
      await receiver.waitFor((rs) => rs.some((r) => r.path === '/retrain'), 'retrain request');
      await first.waitForLog('notification delivery failed; retrying');
      expect(await mail.search(to)).toHaveLength(0);
      for (const name of ['ops', 'training']) {
        await receiverCaughtUp(
          kafka,
          `${names.groupId}.receiver.${name}`,
          `${names.groupId}.alerts`,
        );
      }
    } finally {
      // Killed while the firing email is still waiting for SMTP: it lives in the alert log.
      first.kill('SIGKILL');
      await first.exited;
    }

    await smtpProxy.up();
    const restarted = new DaemonProcess(configFile, env);
    try {
      const firingMails = await mail.messagesTo(to, 1, 60_000);
      expect(firingMails).toHaveLength(1);
      // Kill only once the email receiver has committed past it (delivered ≠ committed yet).
      await receiverCaughtUp(kafka, `${names.groupId}.receiver.oncall`, `${names.groupId}.alerts`);
    } finally {
      // Killed again mid-episode, after the firing email went out.
      restarted.kill('SIGKILL');
      await restarted.exited;
    }

    // The episode goes on without the daemon: drift continues one more window, then recovers.
    await producer.send({ topic: names.topic, messages: events(6, 11, [3, 7]) });
    const second = new DaemonProcess(configFile, env);
    try {
      await receiver.waitFor(
        (rs) =>
          rs.some(
            (r) => r.path === '/ops' && r.status === 200 && parse(r).data.status === 'resolved',
          ),
        'resolved webhook',
      );
      const mails = await mail.messagesTo(to, 2, 60_000);
      expect(mails).toHaveLength(2);

      // Email: one firing and one resolved, same subject, threaded on one root.
      const details = await Promise.all(
        mails.map(async (m) => ({ m: await mail.message(m.ID), h: await mail.headersOf(m.ID) })),
      );
      const status = (d: (typeof details)[number]) => d.h('X-Driftwatch-Status')[0];
      const firing = details.filter((d) => status(d) === 'firing');
      const resolved = details.filter((d) => status(d) === 'resolved');
      expect(firing).toHaveLength(1);
      expect(resolved).toHaveLength(1);
      expect(firing[0]?.m.Subject).toBe(resolved[0]?.m.Subject);
      expect(firing[0]?.m.Subject).toContain('fraud@3');
      expect(resolved[0]?.h('In-Reply-To')).toEqual(firing[0]?.h('In-Reply-To'));
      const text = firing[0]?.m.Text ?? '';
      for (const f of DRIFTING) expect(text).toContain(f);
      expect(text).toContain(RUNBOOK_LINK);
      expect(text).toContain('https://grafana.example.com/d/drift');
      expect(text).toMatch(/samples|n = /i);

      // Webhook: the 500 was retried with the same webhook-id; every request verifies.
      const ops = receiver.requests.filter((r) => r.path === '/ops');
      expect(ops[0]?.status).toBe(500);
      expect(ops[1]?.headers['webhook-id']).toBe(ops[0]?.headers['webhook-id']);
      for (const r of ops) expect(verifies(r)).toBe(true);
      const delivered = receiver.accepted('/ops').map(parse);
      expect(delivered.map((b) => b.data.status)).toEqual(['firing', 'resolved']);
      expect(delivered[0]?.data.alerts.map((a) => a.feature).sort()).toEqual([...DRIFTING].sort());
      expect(delivered[0]?.data.links.runbook).toBe(RUNBOOK_LINK);
      expect(new Set(receiver.accepted('/ops').map((r) => r.headers['webhook-id'])).size).toBe(2);

      // Retraining: once for the episode, signed, with the evidence.
      const retrain = receiver.accepted('/retrain');
      expect(retrain).toHaveLength(1);
      expect(verifies(retrain[0] as ReceivedRequest)).toBe(true);
      expect(retrain[0]?.headers['idempotency-key']).toBe(retrain[0]?.headers['webhook-id']);
      expect(parse(retrain[0] as ReceivedRequest).type).toContain('retrain');

      // Transitions in InfluxDB for Grafana annotations.
      const api = new InfluxDB({
        url: services.influx.url,
        token: services.influx.token,
      }).getQueryApi(services.influx.org);
      const rows = await api.collectRows<{
        state: string;
        feature: string;
      }>(`from(bucket: "${services.influx.bucket}")
  |> range(start: 0)
  |> filter(fn: (r) => r._measurement == "${transitionsMeasurement}" and r._field == "seq")
  |> group()`);
      expect(rows.filter((r) => r.state === 'firing')).toHaveLength(15);
      expect(rows.filter((r) => r.state === 'resolved')).toHaveLength(15);

      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(metrics).toMatch(
        /driftwatch_notifications_delivered_total\{receiver="oncall",kind="resolved"\} 1/,
      );
      expect(metrics).toContain('driftwatch_alert_rules_loaded 1');
    } finally {
      second.kill('SIGTERM');
      await second.exited;
    }
  });
});
