import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import {
  DaemonProcess,
  writeDaemonConfig,
  type DaemonSettings,
} from '../support/daemon-process.js';
import { queryDrift } from '../support/influx.js';
import { createTopics, readAll, sendInChunks, toolingKafka } from '../support/kafka.js';
import { addBaselineFor, baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const T0 = Date.parse('2026-02-01T00:00:00.000Z');
const MINUTE = 60_000;
const v3: SyntheticSpec = { model: 'fraud', modelVersion: '3', numericFeatures: ['a'], seed: 5 };
const v4: SyntheticSpec = { ...v3, modelVersion: '4', seed: 6 };

const messages = (spec: SyntheticSpec, from: number, count: number) =>
  [...predictionLogs(spec, from, 100, count)].map((l) => ({ value: JSON.stringify(l) }));

/** Fresh topics and a config on a baselines dir holding only the v3 baseline. */
async function scenario(kafka: Kafka, prefix: string, extra: Partial<DaemonSettings>) {
  const names = uniqueNames(prefix);
  await createTopics(kafka, [names.topic, names.deadLetterTopic]);
  const baselinesDir = baselineDirFor(v3);
  const { file, httpPort } = await writeDaemonConfig(services, {
    ...names,
    baselinesDir,
    windowSize: '1m',
    ...extra,
  });
  return { names, baselinesDir, file, httpPort };
}

/** Polls until the daemon's HTTP server answers /healthz at all (ready or not). */
async function healthzAnswers(httpPort: number, daemon: DaemonProcess): Promise<number> {
  for (let i = 0; i < 600 && daemon.child.exitCode === null; i++) {
    const status = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then(
      (r) => r.status,
      () => undefined,
    );
    if (status !== undefined) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`/healthz never answered; output:\n${daemon.output.slice(-4000)}`);
}

/** Polls until the measurement has PSI rows. */
async function rowsOf(measurement: string) {
  for (let i = 0; i < 120; i++) {
    const rows = await queryDrift(services.influx, measurement);
    if (rows.length > 0) return rows;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no drift rows in ${measurement}`);
}

describe(`baseline store in the daemon (${inject('servicesMode')})`, () => {
  let kafka: Kafka;
  let producer: Producer;

  beforeAll(async () => {
    kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
    producer = kafka.producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
  });

  it('dead-letters a version without a baseline, then picks up its baseline without a restart', async () => {
    const { names, baselinesDir, file } = await scenario(kafka, 'hot-baseline', {
      baselineReload: '500ms',
      fallback: 'reject',
    });
    const daemon = new DaemonProcess(file, { INFLUX_TOKEN: services.influx.token });
    try {
      await daemon.waitForLog('joined consumer group');
      // Version 4 has no baseline yet: its events are rejected, with the reason.
      await sendInChunks(producer, names.topic, messages(v4, T0, 5));
      const dead = await readAll(kafka, names.deadLetterTopic, 5);
      expect(dead.map((d) => d.headers['driftwatch-error-code'])).toEqual(
        Array(5).fill('NO_BASELINE'),
      );
      expect(dead[0]?.headers['driftwatch-error-reason']).toContain(
        'no baseline for model "fraud" version "4"',
      );

      addBaselineFor(baselinesDir, v4);
      await daemon.waitForLog('baseline loaded'); // the start-up one is v3: wait for v4's
      for (
        let i = 0;
        i < 50 && !daemon.logs('baseline loaded').some((l) => l.model_version === '4');
        i++
      ) {
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(daemon.logs('baseline loaded').some((l) => l.model_version === '4')).toBe(true);

      await sendInChunks(producer, names.topic, [
        ...messages(v4, T0 + MINUTE, 600),
        ...messages(v4, T0 + 3 * MINUTE, 1),
      ]);
      const rows = await rowsOf(names.measurement);
      expect(rows.every((r) => r.model_version === '4')).toBe(true);
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
    }
  });

  it('a FIFO and a symlink out of the baselines dir are refused: /healthz answers and the good baseline evaluates', async () => {
    const { names, baselinesDir, file, httpPort } = await scenario(kafka, 'baseline-fifo', {
      baselineReload: '500ms',
    });
    // A FIFO nobody writes to: opening it for reading used to block the daemon for good.
    execFileSync('mkfifo', [path.join(baselinesDir, 'fraud', '9.json')]);
    const outside = path.join(mkdtempSync(path.join(os.tmpdir(), 'driftwatch-outside-')), 'key');
    writeFileSync(outside, 'OUTSIDE-SECRET-0123456789\n');
    symlinkSync(outside, path.join(baselinesDir, 'leak.json'));
    await sendInChunks(producer, names.topic, [
      ...messages(v3, T0, 600),
      ...messages(v3, T0 + MINUTE, 2),
    ]);
    const daemon = new DaemonProcess(file, { INFLUX_TOKEN: services.influx.token });
    try {
      expect([200, 503]).toContain(await healthzAnswers(httpPort, daemon));
      const rows = await rowsOf(names.measurement);
      expect(rows[0]).toMatchObject({ model_version: '3', n: 600 });
      const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      expect(health.status).toBe(200);

      const refused = daemon.logs('baseline file refused');
      expect(
        refused.map((l) => [path.relative(baselinesDir, String(l.file)), l.code, l.reason]),
      ).toEqual([
        ['fraud/9.json', 'BASELINE_REFUSED', 'not_regular_file'],
        ['leak.json', 'BASELINE_REFUSED', 'symlink_outside_dir'],
      ]);
      // Rescans (every 500ms) neither log nor count a refusal again.
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(metrics).toMatch(
        /driftwatch_baseline_files_refused_total\{reason="not_regular_file"\} 1\n/,
      );
      expect(metrics).toMatch(
        /driftwatch_baseline_files_refused_total\{reason="symlink_outside_dir"\} 1\n/,
      );
      expect(metrics).toMatch(/driftwatch_baselines_loaded 1\n/);
      expect(daemon.output).not.toContain('OUTSIDE-SECRET');
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
    }
  });

  it('with fallback "newest", a version without a baseline is compared with the newest one', async () => {
    const { names, file } = await scenario(kafka, 'fallback', { fallback: 'newest' });
    await sendInChunks(producer, names.topic, [
      ...messages(v4, T0, 600),
      ...messages(v4, T0 + 2 * MINUTE, 1),
    ]);
    const daemon = new DaemonProcess(file, { INFLUX_TOKEN: services.influx.token });
    try {
      const rows = await rowsOf(names.measurement);
      // Identity: the events' version; the baseline tag names the v3 baseline it used.
      expect(rows[0]).toMatchObject({ model_version: '4', n: 600 });
      expect(daemon.logs('window emitted')[0]).toMatchObject({ baseline_version: '3' });
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
    }
  });
});
