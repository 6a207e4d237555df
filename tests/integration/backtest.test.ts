import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AlertNotification, DriftObservation } from '../../alert-engine/model.js';
import { toObservation } from '../../src/alerting/observation.js';
import { backtest, readDriftObservations } from '../../src/tools/backtest.js';
import { replayNotifications } from '../../src/tools/replay.js';
import { NOTIFICATION_DLQ_HEADERS } from '../../src/delivery/dead-letter.js';
import { loadRulesFile } from '../../src/rules/rules-file.js';
import { createLogger } from '../../src/logger.js';
import { InfluxSink } from '../../src/sinks/influx.js';
import type { WindowDriftResult, WindowPoint } from '../../src/drift/window-points.js';
import { cli } from '../support/cli.js';
import { createTopics, readAll, toolingKafka } from '../support/kafka.js';
import { ruleCounts } from '../support/rules.js';
import { uniqueNames } from '../support/scenario.js';

const services = inject('services');
const env = { INFLUX_TOKEN: services.influx.token };
const MINUTE = 60_000;
const WINDOW = 5 * MINUTE;
const T0 = Date.parse('2026-04-01T00:00:00.000Z');
const endOf = (i: number) => T0 + i * WINDOW;
const WINDOWS = 10;

/** fraud@3 "amount" PSI: breaches in windows 3–5, then recovers. */
const AMOUNT_PSI = [0.05, 0.1, 0.4, 0.45, 0.5, 0.1, 0.05, 0.08, 0.06, 0.07];
/** fraud@3 "amount" KS p-values: significant in windows 4–5 (adjusted 10×). */
const AMOUNT_KS_P = [0.5, 0.4, 0.3, 1e-6, 2e-7, 0.2, 0.6, 0.7, 0.5, 0.45];

function identity(model: string, i: number) {
  return {
    model,
    modelVersion: '3',
    baselineHash: `baseline-of-${model}`,
    windowStart: endOf(i) - WINDOW,
    windowEnd: endOf(i),
  };
}

function drift(model: string, i: number, p: Partial<WindowDriftResult>): WindowDriftResult {
  return {
    ...identity(model, i),
    kind: 'drift',
    feature: 'amount',
    method: 'psi',
    status: 'ok',
    statistic: 0,
    pValue: null,
    adjustedPValue: null,
    threshold: 0.2,
    alpha: null,
    rule: 'threshold',
    drifted: false,
    warning: false,
    n: 1_000,
    nRef: 20_000,
    missing: 4,
    ...p,
  };
}

/** What the daemon emits per window: drift points per feature and method, dataset, summaries. */
function windowPoints(i: number): WindowPoint[] {
  const psi = AMOUNT_PSI[i - 1] ?? 0;
  const p = AMOUNT_KS_P[i - 1] ?? 1;
  const fewCountries = i === 7;
  return [
    drift('fraud', i, { statistic: psi, drifted: psi >= 0.2, warning: psi >= 0.1 }),
    drift('fraud', i, {
      method: 'ks',
      statistic: 0.1 + psi / 10,
      pValue: p,
      adjustedPValue: Math.min(1, p * 10),
      threshold: 0.05,
      alpha: 0.05,
      rule: 'p_value',
      drifted: p * 10 <= 0.05,
      warning: p * 10 <= 0.05,
      pValueMethod: 'asymp',
    }),
    drift('fraud', i, {
      feature: 'country',
      method: 'chi_square',
      ...(fewCountries
        ? { status: 'insufficient_data', statistic: null, n: 12 }
        : { statistic: 3.5, pValue: 0.32, adjustedPValue: 0.64 }),
      threshold: 0.05,
      unseen: i,
    }),
    drift('fraud', i, {
      feature: '_dataset',
      method: 'drift_share',
      statistic: psi >= 0.2 ? 0.5 : 0,
      threshold: 0.5,
      drifted: psi >= 0.2,
      n: 2,
      nRef: 2,
      missing: 0,
    }),
    {
      ...identity('fraud', i),
      kind: 'summary',
      feature: 'amount',
      n: 1_000,
      missing: 4,
      mean: 12.5 + i,
      std: 3.25,
      min: 0,
      max: 99.5,
    },
    {
      ...identity('fraud', i),
      kind: 'summary',
      feature: 'country',
      n: fewCountries ? 12 : 1_000,
      missing: 0,
      categories: 5,
      unseen: i,
    },
    // Another model breaching all the time: left out by --model fraud*.
    drift('churn', i, { statistic: 0.9, drifted: true, warning: true }),
  ];
}

const RULES = {
  version: 1,
  receivers: {
    hook: { type: 'webhook', url: 'https://hooks.example.com/drift', secret_env: 'UNSET_SECRET' },
    training: { type: 'retrain', url: 'https://ml.example.com/retrain' },
  },
  rules: [
    { name: 'psi-high', match: { method: 'psi' }, when: 'value > 0.25', receivers: ['hook'] },
    {
      name: 'ks-low',
      when: 'p_value < 0.001',
      for: 2,
      severity: 'critical',
      receivers: ['hook', 'training'],
    },
  ],
};

const byIdentity = (a: DriftObservation, b: DriftObservation) =>
  a.windowEnd - b.windowEnd ||
  `${a.model} ${a.feature} ${a.method}`.localeCompare(`${b.model} ${b.feature} ${b.method}`);

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'dw-backtest-'));
}

describe(`rules backtest against real InfluxDB (${inject('servicesMode')})`, () => {
  const names = uniqueNames('backtest');
  const points = Array.from({ length: WINDOWS }, (_, i) => windowPoints(i + 1)).flat();
  const dir = tempDir();
  const rulesFile = path.join(dir, 'rules.yaml');
  const configFile = path.join(dir, 'driftwatch.yaml');
  const source = { ...services.influx, measurement: names.measurement };
  const range = { from: endOf(1), to: endOf(WINDOWS) };

  beforeAll(async () => {
    writeFileSync(rulesFile, stringify(RULES));
    writeFileSync(
      configFile,
      stringify({
        kafka: {
          brokers: services.kafkaBrokers,
          topic: names.topic,
          deadLetterTopic: names.deadLetterTopic,
        },
        influx: {
          url: services.influx.url,
          org: services.influx.org,
          bucket: services.influx.bucket,
          measurement: names.measurement,
        },
        baselines: { dir },
      }),
    );
    const sink = new InfluxSink(source, createLogger('silent'));
    await sink.write(points);
  });

  it('reads back exactly the observations the live daemon evaluated', async () => {
    const read = await readDriftObservations(source, range);
    expect(read.skipped).toBe(0);
    expect(read.rows).toBe(points.length);
    expect([...read.observations].sort(byIdentity)).toEqual(
      points.map(toObservation).sort(byIdentity),
    );
    const fraud = await readDriftObservations(source, { ...range, model: 'fr?ud*' });
    expect(fraud.observations.every((o) => o.model === 'fraud')).toBe(true);
    expect(fraud.observations).toHaveLength(points.length - WINDOWS);
    // Window ends outside the range are not read: --to and --from are inclusive.
    const middle = await readDriftObservations(source, { from: endOf(3), to: endOf(5) });
    expect(new Set(middle.observations.map((o) => o.windowEnd))).toEqual(
      new Set([endOf(3), endOf(4), endOf(5)]),
    );
  });

  it('replays them through the rules as the daemon would have', async () => {
    const rules = loadRulesFile(rulesFile);
    const { observations } = await readDriftObservations(source, { ...range, model: 'fraud' });
    const result = backtest(observations, rules);
    // And equal to the live points replayed directly.
    const live = backtest(points.filter((p) => p.model === 'fraud').map(toObservation), rules);
    expect(result).toEqual(live);
    expect(result.windows).toBe(WINDOWS);
    const fired = result.events.flatMap((e) =>
      e.type === 'transition' ? [`${e.time - T0} ${e.rule} ${e.method} ${e.to}`] : [],
    );
    expect(fired).toEqual([
      `${3 * WINDOW} psi-high psi firing`,
      `${5 * WINDOW} ks-low ks firing`,
      `${6 * WINDOW} psi-high psi resolved`,
      `${6 * WINDOW} ks-low ks resolved`,
    ]);
    expect(result.rules).toEqual([
      ruleCounts('psi-high', 1, { firing: 1, resolved: 1 }),
      ruleCounts('ks-low', 1, { firing: 1, resolved: 1 }, 1),
    ]);
  });

  it('runs as the CLI: readable timeline and --json', () => {
    const args = [
      'rules',
      'backtest',
      rulesFile,
      '--config',
      configFile,
      '--from',
      new Date(range.from).toISOString(),
      '--to',
      String(range.to),
      '--model',
      'fraud',
    ];
    const text = cli(args, env);
    expect(text.stderr).toBe('');
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`${WINDOWS} windows, ${6 * WINDOWS} points, 1 model versions`);
    expect(text.stdout).toContain(
      '2026-04-01T00:15:00.000Z  FIRING     psi-high  fraud@3  amount  psi  value 0.4 (rule > 0.25)  warning',
    );
    expect(text.stdout).toContain(
      '2026-04-01T00:25:00.000Z  FIRING     ks-low  fraud@3  amount  ks  value 0.000002 (rule < 0.001)  critical',
    );
    expect(text.stdout).toMatch(
      /00:25:00\.000Z {2}NOTIFY {5}retrain {2}ks-low {2}fraud@3 {2}→ training/,
    );
    expect(text.stdout).toMatch(/^ks-low\s+1\s+1\s+0\s+0\s+1\s+1$/m);

    const json = cli([...args, '--json'], env);
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout) as {
      windows: number;
      events: { type: string; time: string; rule: string; to?: string; kind?: string }[];
      rules: { rule: string; episodes: number; retrainRequests: number }[];
    };
    expect(report.windows).toBe(WINDOWS);
    expect(report.events.filter((e) => e.type === 'notification').map((e) => e.kind)).toEqual([
      'firing',
      'firing',
      'retrain',
      'resolved',
      'resolved',
    ]);
    expect(report.events[0]).toMatchObject({
      type: 'transition',
      time: '2026-04-01T00:15:00.000Z',
      rule: 'psi-high',
      to: 'firing',
    });
    expect(report.rules.map((r) => [r.rule, r.episodes, r.retrainRequests])).toEqual([
      ['psi-high', 1, 0],
      ['ks-low', 1, 1],
    ]);

    // Without the model filter the always-breaching churn model fires too.
    const all = cli([...args.slice(0, -2), '--json'], env);
    const allReport = JSON.parse(all.stdout) as { rules: { rule: string; episodes: number }[] };
    expect(allReport.rules.find((r) => r.rule === 'psi-high')?.episodes).toBe(2);
  });
});

describe(`notifications replay against real Kafka (${inject('servicesMode')})`, () => {
  const names = uniqueNames('replay');
  const alertTopic = `${names.topic}.alerts`;
  const dlq = `${alertTopic}.dlq`;
  let kafka: Kafka;
  let producer: Producer;

  const notification = (id: string, kind: AlertNotification['kind']) =>
    ({
      id,
      kind,
      receivers: ['hook', 'mail'],
      groupKey: 'g1',
      groupLabels: { rule: 'psi-high', model: 'fraud', model_version: '3' },
      groupEpisodeId: 'e1',
      groupSeq: 1,
      severity: 'warning',
      status: kind === 'resolved' ? 'resolved' : 'firing',
      time: T0,
      alerts: [],
      truncatedAlerts: 0,
      links: { dashboard: null, runbook: null },
    }) satisfies AlertNotification;

  const deadLetter = (n: AlertNotification, receiver: string, reason: string) => ({
    key: n.id,
    value: JSON.stringify({ v: 1, type: 'notification', notification: n }),
    headers: {
      [NOTIFICATION_DLQ_HEADERS.receiver]: receiver,
      [NOTIFICATION_DLQ_HEADERS.reason]: reason,
      [NOTIFICATION_DLQ_HEADERS.attempts]: '3',
      [NOTIFICATION_DLQ_HEADERS.offset]: '0',
    },
  });

  beforeAll(async () => {
    kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
    await createTopics(kafka, [alertTopic, dlq]);
    producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: dlq,
      messages: [
        deadLetter(notification('n-firing', 'firing'), 'hook', 'HTTP 400 Bad Request'),
        deadLetter(notification('n-firing', 'firing'), 'mail', 'gave up after 9 attempts'),
        { key: 'garbage', value: 'not json' },
        deadLetter(notification('n-resolved', 'resolved'), 'hook', 'HTTP 410 Gone'),
      ],
    });
  });
  afterAll(async () => {
    await producer?.disconnect();
  });

  type Entry = { notification: AlertNotification; replay: boolean };

  it('re-produces the selected dead letters to the alert topic, same id, flagged replay', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const result = await replayNotifications(
        { kafka, admin, producer },
        { topic: alertTopic, deadLetterTopic: dlq },
        { receiver: 'hook' },
      );
      expect(result).toMatchObject({ read: 4, unreadable: 1, withoutReceiver: 0, replayed: 2 });
      expect(result.selected.map((l) => [l.notification.id, l.receiver, l.reason])).toEqual([
        ['n-firing', 'hook', 'HTTP 400 Bad Request'],
        ['n-resolved', 'hook', 'HTTP 410 Gone'],
      ]);
      // The throwaway group is gone.
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      expect(groups.filter((g) => g.startsWith('driftwatch-replay-'))).toEqual([]);
    } finally {
      await admin.disconnect();
    }
    const records = await readAll(kafka, alertTopic, 2);
    const entries = records.map((r) => JSON.parse(r.value ?? 'null') as Entry);
    expect(entries.map((e) => [e.notification.id, e.notification.receivers, e.replay])).toEqual([
      ['n-firing', ['hook'], true],
      ['n-resolved', ['hook'], true],
    ]);
    // Keys of their own (receiver and dead-letter position), never the original's n/<id>.
    expect(records.map((r) => r.key)).toEqual([
      'n/n-firing/replay/hook/0:0',
      'n/n-resolved/replay/hook/0:3',
    ]);
    expect(entries[0]?.notification).toEqual({
      ...notification('n-firing', 'firing'),
      receivers: ['hook'],
    });
  });

  it('runs as the CLI: --dry-run lists, --id replays one (no InfluxDB token needed)', async () => {
    const dir = tempDir();
    const configFile = path.join(dir, 'driftwatch.yaml');
    writeFileSync(
      configFile,
      stringify({
        kafka: {
          brokers: services.kafkaBrokers,
          groupId: names.groupId,
          topic: names.topic,
          deadLetterTopic: names.deadLetterTopic,
        },
        influx: { url: services.influx.url, org: 'o', bucket: 'b', tokenEnv: 'DW_UNSET_TOKEN' },
        baselines: { dir },
        alerts: { rules: 'rules.yaml', topic: alertTopic },
      }),
    );
    const dry = cli(['notifications', 'replay', '--config', configFile, '--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/would replay {2}n-firing {2}receiver hook {2}firing .*HTTP 400/);
    expect(dry.stdout).toMatch(/would replay {2}n-firing {2}receiver mail {2}firing .*gave up/);
    expect(dry.stdout).toContain(
      `3 of 4 dead letters in ${dlq} selected (dry run: nothing sent), 1 unreadable skipped`,
    );

    const one = cli([
      'notifications',
      'replay',
      '--config',
      configFile,
      '--id',
      'n-firing',
      '--receiver',
      'mail',
    ]);
    expect(one.status).toBe(0);
    expect(one.stdout).toContain(`replayed  n-firing  receiver mail  firing`);
    expect(one.stdout).toContain(`1 of 4 dead letters in ${dlq} replayed to ${alertTopic}`);
    const records = await readAll(kafka, alertTopic, 3);
    expect(records).toHaveLength(3);
    const last = JSON.parse(records[2]?.value ?? 'null') as Entry;
    expect([last.notification.id, last.notification.receivers, last.replay]).toEqual([
      'n-firing',
      ['mail'],
      true,
    ]);
  });
});
