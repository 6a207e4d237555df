import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { queryDrift } from '../support/influx.js';
import { createTopics, readAll, toolingKafka } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const env = { INFLUX_TOKEN: services.influx.token };
const T0 = Date.parse('2026-04-01T00:00:00.000Z');
const MINUTE = 60_000;
const spec: SyntheticSpec = { model: 'fraud', modelVersion: '3', numericFeatures: ['a'], seed: 3 };

/** One event of the model with the given version (and time). */
function event(version: string, timestamp: number): string {
  return JSON.stringify({
    model: 'fraud',
    model_version: version,
    timestamp,
    features: { a: 0.1, country: 'DE' },
  });
}

async function metricsText(port: number): Promise<string> {
  return fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe(`untrusted input under baselines.fallback newest (${inject('servicesMode')})`, () => {
  const names = uniqueNames('untrusted');
  let kafka: Kafka;
  let producer: Producer;

  beforeAll(async () => {
    kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
    await createTopics(kafka, [names.topic, names.deadLetterTopic]);
    producer = kafka.producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
  });

  it('a 300 KB model_version is dead-lettered, the legit window is written, and 200 made-up versions add no metric label sets', async () => {
    const legit = [...predictionLogs(spec, T0, 100, 600)].map((l) => JSON.stringify(l));
    const huge = 'v'.repeat(300_000);
    const madeUp = Array.from({ length: 200 }, (_, i) => event(`made-up-${i}`, T0 + 1_000 + i));
    await producer.send({
      topic: names.topic,
      messages: [
        ...legit.slice(0, 300),
        event(huge, T0 + 500),
        ...madeUp,
        ...legit.slice(300),
        event('3', T0 + MINUTE),
      ].map((value) => ({ value })),
    });
    const { file, httpPort } = await writeDaemonConfig(services, {
      ...names,
      baselinesDir: baselineDirFor(spec),
      windowSize: '1m',
      fallback: 'newest',
    });
    const daemon = new DaemonProcess(file, env);
    try {
      const rows = await until('the legit window in InfluxDB', async () => {
        const psi = await queryDrift(services.influx, names.measurement);
        const own = psi.filter((r) => r.model_version === '3');
        return own.length > 0 ? own : undefined;
      });
      expect(rows.map((r) => [r.feature, r.n])).toEqual([
        ['a', 600],
        ['country', 600],
      ]);

      // Past 100 borrowing versions the rest are rejected (NO_BASELINE), as documented.
      const dead = await readAll(kafka, names.deadLetterTopic, 101);
      const codes = dead.map((d) => d.headers['driftwatch-error-code']);
      expect(codes.filter((c) => c === 'NO_BASELINE')).toHaveLength(100);
      const tooLong = dead.filter((d) => d.headers['driftwatch-error-code'] === 'FIELD_TOO_LONG');
      expect(tooLong).toHaveLength(1);
      const reason = tooLong[0]?.headers['driftwatch-error-reason'] ?? '';
      expect(reason).toContain('model_version');
      expect(reason).toContain('300000');
      expect(reason.length).toBeLessThan(200);

      // Events of windows already emitted, with versions nobody has seen: counted as late.
      await producer.send({
        topic: names.topic,
        messages: Array.from({ length: 200 }, (_, i) => ({ value: event(`late-${i}`, T0 + i) })),
      });
      const total = legit.length + 1 + madeUp.length + 1 + 200;
      const text = await until('every message consumed', async () => {
        const t = await metricsText(httpPort);
        const consumed = /^driftwatch_messages_consumed_total (\d+)/m.exec(t);
        return Number(consumed?.[1]) >= total ? t : undefined;
      });
      const series = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));
      // Labelled with the baseline: every made-up version counts under fraud@3.
      expect(series('driftwatch_windows_emitted_total')).toEqual([
        expect.stringMatching(
          /^driftwatch_windows_emitted_total\{model="fraud",model_version="3"\} \d+$/,
        ),
      ]);
      expect(series('driftwatch_events_late_total')).toEqual([
        expect.stringMatching(
          /^driftwatch_events_late_total\{model="fraud",model_version="3"\} \d+$/,
        ),
      ]);
      expect(text).toMatch(/driftwatch_messages_invalid_total\{reason="FIELD_TOO_LONG"\} 1/);
      expect(text).not.toContain('made-up');
      expect(text).not.toContain('late-');
      expect(text.length).toBeLessThan(50_000);
      // No log line carries the 300 KB value.
      expect(daemon.output.split('\n').every((l) => l.length < 20_000)).toBe(true);
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
    }
  });
});
