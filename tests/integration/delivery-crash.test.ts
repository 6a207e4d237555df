/**
 * A kill -9 while a webhook is in flight: the endpoint took the request, the daemon died before
 * the answer and before its offset commit. What a receiver can rely on (README "Nothing lost,
 * nothing doubled"): the notification comes again with the same webhook-id, it is the only one
 * repeated, and everything after it arrives once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { testKafka } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const services = inject('services');
const DRIFTING = ['a', 'b', 'c'];
const T0 = Date.parse('2026-05-01T00:00:00.000Z');
const MINUTE = 60_000;
const PER_WINDOW = 300;

const spec: SyntheticSpec = {
  model: 'inflight',
  modelVersion: '1',
  numericFeatures: ['a', 'b', 'c'],
  // Drifts from the third window on: one feature notification per drifting feature (grouped
  // by feature), so the in-flight one has others queued behind it.
  shifted: { features: DRIFTING, shift: 2, shiftFrom: T0 + 2 * MINUTE },
  seed: 23,
};

describe(`delivery across a kill -9 with a webhook in flight (${inject('servicesMode')})`, () => {
  const names = uniqueNames('inflight');
  const receiver = new WebhookReceiver();
  let producer: Producer;
  let configFile: string;
  const env = { INFLUX_TOKEN: services.influx.token };

  beforeAll(async () => {
    ({ producer } = await testKafka(services.kafkaBrokers, [names.topic, names.deadLetterTopic]));
    await receiver.start();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-inflight-'));
    const rulesFile = path.join(dir, 'rules.yaml');
    writeFileSync(
      rulesFile,
      stringify({
        receivers: { ops: { type: 'webhook', url: receiver.url('/ops'), timeout: '5s' } },
        rules: [
          {
            name: 'psi_drift',
            match: { method: 'psi' },
            when: 'value > 0.2',
            min_samples: 50,
            group_by: ['model', 'model_version', 'feature'],
            receivers: ['ops'],
          },
        ],
      }),
    );
    ({ file: configFile } = await writeDaemonConfig(services, {
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

  it('the in-flight notification comes again under the same webhook-id; nothing else twice, nothing lost', async () => {
    const target: { daemon?: DaemonProcess } = {};
    let killed = false;
    // The first request reaches the endpoint (recorded as accepted), then the daemon dies
    // before it reads the answer: the window between delivery and commit, hit on purpose.
    receiver.respond = () => {
      if (!killed && target.daemon) {
        killed = true;
        target.daemon.kill('SIGKILL');
      }
      return 200;
    };
    const logs = [...predictionLogs(spec, T0, MINUTE / PER_WINDOW, 6 * PER_WINDOW)];
    await producer.send({
      topic: names.topic,
      messages: logs.map((l) => ({ value: JSON.stringify(l) })),
    });
    const victim = (target.daemon = new DaemonProcess(configFile, env));
    expect((await victim.exited).signal).toBe('SIGKILL');
    const first = receiver.accepted('/ops');
    expect(first).toHaveLength(1);
    const inFlight = first[0]?.headers['webhook-id'];

    const restarted = new DaemonProcess(configFile, env);
    try {
      // Every drifting feature notifies once, the in-flight one a second time.
      await receiver.waitFor(
        (rs) =>
          new Set(rs.filter((r) => r.path === '/ops').map((r) => r.headers['webhook-id'])).size >=
          DRIFTING.length,
        'a notification per drifting feature',
      );
      // A while longer, for any repeat.
      await new Promise((r) => setTimeout(r, 3_000));
      const counts = new Map<unknown, number>();
      for (const r of receiver.accepted('/ops')) {
        counts.set(r.headers['webhook-id'], (counts.get(r.headers['webhook-id']) ?? 0) + 1);
      }
      expect(counts.get(inFlight)).toBe(2);
      const others = [...counts].filter(([id]) => id !== inFlight);
      expect(others.length).toBe(DRIFTING.length - 1);
      expect(others.every(([, n]) => n === 1)).toBe(true);
    } finally {
      restarted.kill('SIGTERM');
      await restarted.exited;
    }
  }, 240_000);
});
