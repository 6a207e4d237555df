import { closeSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { receiverCaughtUp, testKafka } from '../support/kafka.js';
import { metric, waitForMetric } from '../support/metrics.js';
import { compileText } from '../support/rules.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';
import { WebhookReceiver, type ReceivedRequest } from '../support/webhook-receiver.js';

const services = inject('services');
const T0 = Date.parse('2026-05-01T00:00:00.000Z');
const MINUTE = 60_000;
const PER_WINDOW = 300;
/** alerts.reloadSettle of the daemon: far longer than a window takes to go through it. */
const SETTLE = '5s';

const spec: SyntheticSpec = {
  model: 'fraud',
  modelVersion: '5',
  numericFeatures: ['a', 'b', 'c'],
  shifted: { features: ['a', 'b'], shift: 2, shiftFrom: T0 + MINUTE },
  seed: 21,
};
const logs = [...predictionLogs(spec, T0, MINUTE / PER_WINDOW, 8 * PER_WINDOW)];
/** The events of 1-minute windows [from, to); features a and b drift from window 1 on. */
const windows = (from: number, to: number) =>
  logs.slice(from * PER_WINDOW, to * PER_WINDOW).map((l) => ({ value: JSON.stringify(l) }));

/** Two rules, both firing on a and b: four alerts. */
function rulesText(url: string): string {
  const common = {
    min_samples: 50,
    receivers: ['ops'],
    group_interval: '1m',
    repeat_interval: '0s',
  };
  return stringify({
    version: 1,
    receivers: { ops: { type: 'webhook', url, timeout: '5s' } },
    rules: [
      { name: 'psi_drift', match: { method: 'psi' }, when: 'value > 0.2', ...common },
      { name: 'ks_drift', match: { method: 'ks' }, when: 'value > 0.3', ...common },
    ],
  });
}

const statusOf = (r: ReceivedRequest) =>
  (JSON.parse(r.body) as { data: { status: string } }).data.status;

describe(`rules file reload (${inject('servicesMode')})`, () => {
  const names = uniqueNames('rules-reload');
  const alertTopic = `${names.groupId}.alerts`;
  const receiver = new WebhookReceiver();
  const env = { INFLUX_TOKEN: services.influx.token };
  let kafka: Kafka;
  let producer: Producer;
  let configFile: string;
  let rulesFile: string;
  let httpPort: number;
  let full: string;

  beforeAll(async () => {
    ({ kafka, producer } = await testKafka(services.kafkaBrokers, [
      names.topic,
      names.deadLetterTopic,
    ]));
    await receiver.start();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-rules-reload-'));
    rulesFile = path.join(dir, 'rules.yaml');
    full = rulesText(receiver.url('/ops'));
    writeFileSync(rulesFile, full);
    ({ file: configFile, httpPort } = await writeDaemonConfig(services, {
      ...names,
      configDir: dir,
      baselinesDir: baselineDirFor(spec),
      windowSize: '1m',
      extra: {
        alerts: { rules: rulesFile, reloadSettle: SETTLE, retryInitialDelay: '200ms' },
      },
    }));
  });

  afterAll(async () => {
    await producer?.disconnect();
    await receiver.stop();
  });

  it('a rules file rewritten in place in two halves, paused in between, resolves no firing alert', async () => {
    // The first half ends where the second rule starts: a valid file with one rule less.
    const half = full.slice(0, full.indexOf('  - name: ks_drift'));
    expect(compileText(half).rules.map((r) => r.name)).toEqual(['psi_drift']);
    const emitted = (daemon: DaemonProcess, end: number) =>
      daemon.logsWith({ msg: 'window emitted', window_end: new Date(end).toISOString() });
    const metricsText = async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const total = (text: string, re: RegExp) =>
      [...text.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0);
    const transitionsTo = (state: string, text: string) =>
      total(
        text,
        new RegExp(`driftwatch_alert_transitions_total\\{[^}]*to="${state}"\\} (\\d+)`, 'g'),
      );
    const resolved = async () => transitionsTo('resolved', await metricsText());
    const until = async (what: string, done: () => boolean | Promise<boolean>) => {
      const deadline = Date.now() + 60_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`${what} did not happen in time`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    // Windows 0-3 close (4 waits for later events); a and b drift from window 1.
    await producer.send({ topic: names.topic, messages: windows(0, 5) });
    const daemon = new DaemonProcess(configFile, env);
    try {
      await receiver.waitFor(
        (rs) => rs.filter((r) => r.status === 200 && statusOf(r) === 'firing').length === 2,
        'a firing notification per rule',
      );
      expect(total(await metricsText(), /driftwatch_alerts\{[^}]*state="firing"\} (\d+)/g)).toBe(4);

      // The writer truncates the file and writes its first half...
      const fd = openSync(rulesFile, 'w');
      try {
        writeSync(fd, half);
        // ...pauses (a reload without settling would have taken the short file by now)...
        await new Promise((r) => setTimeout(r, 1_000));
        // ...a window is evaluated meanwhile (window 4 closes)...
        await producer.send({ topic: names.topic, messages: windows(5, 6) });
        await until('window 4 emitted', () => emitted(daemon, T0 + 5 * MINUTE).length > 0);
        // ...and the pause outlasts the settle period: the daemon has read the short file
        // twice and waits to confirm that rules are gone. Alerts resolved by then fail here.
        await until(
          'the confirming read pending, or an alert resolved',
          async () =>
            daemon.logsWith({ reload: 'confirming' }).length > 0 || (await resolved()) > 0,
        );
        expect(await resolved()).toBe(0);
        expect(daemon.logsWith({ reload: 'confirming' })[0]).toMatchObject({
          removed: ['ks_drift'],
        });
        writeSync(fd, full.slice(half.length));
      } finally {
        closeSync(fd);
      }
      const reloads = (result: string) =>
        new RegExp(`driftwatch_alert_rules_reloads_total\\{result="${result}"\\} (\\d+)`);
      await waitForMetric(httpPort, reloads('unconfirmed'), 1);
      await waitForMetric(httpPort, reloads('ok'), 1);
      expect(await metric(httpPort, /driftwatch_alert_rules_loaded (\d+)/)).toBe(2);

      // One more window is evaluated with the whole file in force.
      await producer.send({ topic: names.topic, messages: windows(6, 7) });
      await until('window 5 emitted', () => emitted(daemon, T0 + 6 * MINUTE).length > 0);
      await receiverCaughtUp(kafka, `${names.groupId}.receiver.ops`, alertTopic);

      const text = await metricsText();
      expect([transitionsTo('firing', text), transitionsTo('resolved', text)]).toEqual([4, 0]);
      expect(receiver.requests.map(statusOf)).toEqual(['firing', 'firing']);
      expect(total(text, /driftwatch_alerts\{[^}]*state="firing"\} (\d+)/g)).toBe(4);
    } finally {
      daemon.kill('SIGTERM');
      await daemon.exited;
    }
  });
});
