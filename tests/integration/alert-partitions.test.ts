import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AlertNotification } from '../../alert-engine/model.js';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import type { Notifier } from '../../src/delivery/notifiers/notifier.js';
import { alertTopicsFor, decodeEntry, ensureAlertTopics } from '../../src/alerting/alert-log.js';
import { AlertLogFenced } from '../../src/alerting/alert-log-writer.js';
import { AlertPartitions } from '../../src/alerting/alert-partitions.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { ReceiverConsumer } from '../../src/delivery/receiver-consumer.js';
import { createLogger } from '../../src/logger.js';
import { DaemonMetrics } from '../../src/metrics.js';
import { routeModel } from '../../src/partials/route.js';
import type { WindowPoint } from '../../src/drift/window-points.js';
import { QUIET_BATCH } from '../support/batch-context.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { createTopics, sendInChunks, toolingKafka } from '../support/kafka.js';
import { compileText, endOf, rule, rulesText, WINDOW_MS } from '../support/rules.js';
import { addBaselineFor, baselineDirFor, uniqueNames } from '../support/scenario.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const services = inject('services');
const Q = 2;
/** Two models the routing puts in different partitions of Q. */
const MODELS = ['m0', 'm1'];
const RULES = compileText(
  rulesText([rule({ match: { model: '*', method: 'psi' }, repeat_interval: 0 })], {
    hook: { type: 'webhook', url: 'https://hooks.example.com/drift' },
  }),
);
const logger = createLogger('silent');

/** Window i of a model: one PSI point, drifting when `psi` is above the rule's 0.25. */
function windowOf(model: string, i: number, psi: number): WindowPoint[] {
  return [
    {
      kind: 'drift',
      model,
      modelVersion: '1',
      baselineHash: 'b1',
      windowStart: endOf(i) - WINDOW_MS,
      windowEnd: endOf(i),
      feature: 'amount',
      method: 'psi',
      status: 'ok',
      statistic: psi,
      pValue: null,
      adjustedPValue: null,
      threshold: 0.25,
      alpha: null,
      rule: 'threshold',
      drifted: psi > 0.25,
      warning: psi > 0.25,
      n: 1_000,
      nRef: 10_000,
      missing: 0,
    },
  ];
}

/** Every notification in the alert log, with the partition it is in. */
async function notificationsIn(kafka: Kafka, admin: Admin, topic: string) {
  const out: { partition: number; n: AlertNotification }[] = [];
  await readTopicToEnd(kafka, admin, topic, 'test-read', (partition, m) => {
    const entry = decodeEntry(m.value);
    if (entry?.type === 'notification') out.push({ partition, n: entry.notification });
  });
  return out;
}

describe(`alert state partitioned by model (${inject('servicesMode')})`, () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
    // The premise: the two models are evaluated in different partitions.
    expect(MODELS.map((m) => routeModel(m, Q))).toEqual([0, 1]);
  });
  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
  });

  /** A "replica"'s alert partitions over a new group's alert log of Q partitions. */
  async function setUp(prefix: string) {
    const names = uniqueNames(prefix);
    const topics = alertTopicsFor(names.groupId, { retention: 14 * 86_400_000 });
    await ensureAlertTopics(admin, topics, Q);
    const replica = () =>
      new AlertPartitions(
        {
          kafka,
          admin,
          influx: { writePoints: () => Promise.resolve() },
          metrics: new DaemonMetrics(),
          logger,
          groupId: names.groupId,
          topic: topics.topic,
          partitions: Q,
          windowSize: WINDOW_MS,
          measurement: names.measurement,
          engine: {},
        },
        RULES,
      );
    const evaluate = (r: AlertPartitions, model: string, i: number, psi: number) =>
      r.onWindows(routeModel(model, Q), windowOf(model, i, psi), endOf(i), QUIET_BATCH);
    return { names, topics, replica, evaluate };
  }

  it('the state of models in two partitions is restored after a restart: no second firing, the resolve ends the same episode', async () => {
    const { topics, replica, evaluate } = await setUp('alertparts-restore');
    const before = replica();
    await before.assign([0, 1]);
    for (const m of MODELS) await evaluate(before, m, 1, 0.4);
    await before.close();

    const after = replica();
    await after.assign([0, 1]);
    expect(after.countByState().get(`psi-high\u0000warning\u0000firing`)).toBe(2);
    for (const m of MODELS) await evaluate(after, m, 2, 0.4);
    for (const m of MODELS) await evaluate(after, m, 3, 0.1);
    await after.close();

    // A commit's markers may be written after it returned; a takeover waits for them, so the
    // read below ends past every commit (see restoreAlertLog).
    const reader = replica();
    await reader.assign([0, 1]);
    await reader.close();
    const found = await notificationsIn(kafka, admin, topics.topic);
    const byModel = (model: string) => found.filter((f) => f.n.groupLabels.model === model);
    for (const m of MODELS) {
      const own = byModel(m);
      expect(own.map((f) => f.n.kind)).toEqual(['firing', 'resolved']);
      // In the model's partition, and the resolve is of the episode the firing opened.
      expect(own.map((f) => f.partition)).toEqual([routeModel(m, Q), routeModel(m, Q)]);
      expect(own[1]?.n.groupKey).toBe(own[0]?.n.groupKey);
      expect(own[1]?.n.groupEpisodeId).toBe(own[0]?.n.groupEpisodeId);
    }
  });

  it('two replicas: a partition taken over fences its old writer, the new owner continues; each notification delivered once', async () => {
    const { names, topics, replica, evaluate } = await setUp('alertparts-handover');
    const delivered: AlertNotification[] = [];
    const notifier: Notifier = {
      name: 'hook',
      type: 'webhook',
      deliver: (n) => {
        delivered.push(n);
        return Promise.resolve({ kind: 'delivered', detail: '200' });
      },
      close: () => Promise.resolve(),
    };
    const receiver = new ReceiverConsumer(
      {
        kafka,
        admin,
        producer,
        groupId: names.groupId,
        topic: topics.topic,
        deadLetterTopic: topics.deadLetterTopic,
        retry: { baseMs: 10, capMs: 100 },
        metrics: new DaemonMetrics(),
        logger,
        onFatal: (err) => {
          throw err;
        },
      },
      notifier,
      { name: 'hook', maxAgeMs: 86_400_000, digest: 'd' },
    );
    await receiver.start();
    const a = replica();
    const b = replica();
    try {
      await a.assign([0, 1]);
      await b.assign([]);
      for (const m of MODELS) await evaluate(a, m, 1, 0.4);

      // A rebalance moves partition 1 to b while a still believes it holds it (a zombie).
      await b.assign([1]);
      await expect(evaluate(a, 'm1', 2, 0.1)).rejects.toBeInstanceOf(AlertLogFenced);
      await a.assign([0]);
      expect(a.assigned).toEqual([0]);
      // b goes on from the restored state: m1 resolves (no new firing), m0 stays with a.
      await evaluate(b, 'm1', 2, 0.1);
      await evaluate(a, 'm0', 2, 0.4);

      const deadline = Date.now() + 60_000;
      while (delivered.length < 3 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
      }
      // Anything delivered twice would show up within a moment more.
      await new Promise((r) => setTimeout(r, 1_000));
      const seen = delivered.map((n) => `${n.groupLabels.model ?? '?'}:${n.kind}`);
      expect(seen.sort()).toEqual(['m0:firing', 'm1:firing', 'm1:resolved']);
      expect(new Set(delivered.map((n) => n.id)).size).toBe(3);
      const m1 = delivered.filter((n) => n.groupLabels.model === 'm1');
      expect(m1[1]?.groupEpisodeId).toBe(m1[0]?.groupEpisodeId);
    } finally {
      await receiver.stop();
      await a.close();
      await b.close();
    }
  });

  it("the daemon over three input partitions: each model's notifications in its own alert-log partition, delivered once", async () => {
    const names = uniqueNames('alertparts-daemon');
    await createTopics(kafka, [names.topic, names.deadLetterTopic], 3);
    // Models the routing puts in partitions 0 and 2 of 3.
    const models = ['m1', 'm2'];
    expect(models.map((m) => routeModel(m, 3))).toEqual([0, 2]);
    const T = Date.parse('2026-05-01T00:00:00.000Z');
    const specs: SyntheticSpec[] = models.map((model, k) => ({
      model,
      modelVersion: '1',
      numericFeatures: ['a', 'b', 'c'],
      shifted: { features: ['a', 'b'], shift: 2, shiftFrom: T + 60_000 },
      seed: 21 + k,
    }));
    const baselinesDir = baselineDirFor(specs[0] as SyntheticSpec, 5_000);
    addBaselineFor(baselinesDir, specs[1] as SyntheticSpec, 5_000);
    // No keys: the events of both models spread over all three partitions.
    // In time order, as a shared topic carries them: event time is kept per partition, so one
    // model's events an hour behind the partition's clock would be late.
    const logs = specs
      .flatMap((spec) => [...predictionLogs(spec, T, 60_000 / 200, 5 * 200)])
      .sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
    await sendInChunks(
      producer,
      names.topic,
      logs.map((l) => ({ value: JSON.stringify(l) })),
    );
    const hooks = new WebhookReceiver();
    await hooks.start();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-alertparts-'));
    const rules = path.join(dir, 'rules.yaml');
    writeFileSync(
      rules,
      rulesText(
        [{ name: 'psi_drift', match: { method: 'psi' }, when: 'value > 0.2', receivers: ['ops'] }],
        { ops: { type: 'webhook', url: hooks.url('/ops') } },
      ),
    );
    const { file } = await writeDaemonConfig(services, {
      ...names,
      baselinesDir,
      windowSize: '1m',
      idleTimeout: '2s',
      extra: { alerts: { rules } },
    });
    const daemon = new DaemonProcess(file, { INFLUX_TOKEN: services.influx.token });
    try {
      await hooks.waitFor((rs) => rs.filter((r) => r.status < 300).length >= 2, 'two firings');
      // A second delivery of either would come within a moment.
      await new Promise((r) => setTimeout(r, 2_000));
      const bodies = hooks
        .accepted('/ops')
        .map((r) => JSON.parse(r.body) as { data: { status: string } });
      expect(bodies).toHaveLength(2);
      const found = await notificationsIn(kafka, admin, `${names.groupId}.alerts`);
      expect(
        found.map((f) => `${f.n.groupLabels.model ?? '?'}@${f.partition}:${f.n.kind}`).sort(),
      ).toEqual(['m1@0:firing', 'm2@2:firing']);
      await daemon.stopGracefully();
    } finally {
      daemon.kill('SIGKILL');
      await hooks.stop();
    }
  });

  it('an existing one-partition alert log with three input partitions stops the daemon at start: INTERNAL_TOPIC_MISMATCH', async () => {
    const names = uniqueNames('alertparts-mismatch');
    await createTopics(kafka, [names.topic], 3);
    await createTopics(kafka, [names.deadLetterTopic, `${names.groupId}.alerts`], 1);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-alertparts-'));
    const rules = path.join(dir, 'rules.yaml');
    writeFileSync(
      rules,
      rulesText([rule()], { hook: { type: 'webhook', url: 'https://h.example.com' } }),
    );
    const { file } = await writeDaemonConfig(services, {
      ...names,
      baselinesDir: mkdtempSync(path.join(os.tmpdir(), 'driftwatch-baselines-')),
      windowSize: '1m',
      extra: { alerts: { rules } },
    });
    const daemon = new DaemonProcess(file, { INFLUX_TOKEN: services.influx.token });
    const exit = await daemon.exited;
    expect(exit.code).toBe(2);
    expect(daemon.output).toMatch(
      new RegExp(`error INTERNAL_TOPIC_MISMATCH: .*"${names.groupId}\\.alerts" has 1 .*expects 3`),
    );
  });
});
