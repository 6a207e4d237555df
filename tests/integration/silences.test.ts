import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { cliAsync } from '../support/cli.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { queryDrift } from '../support/influx.js';
import { testKafka } from '../support/kafka.js';
import { metric, waitForMetric } from '../support/metrics.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const services = inject('services');
const MINUTE = 60_000;
// Event time two hours back: the test's silence (over T0 .. T0+8m) ended by the wall clock
// well within alerts.silenceRetention, so the daemon keeps it; an 8-day-old one it removes.
const T0 = Math.floor(Date.now() / MINUTE) * MINUTE - 120 * MINUTE;
const PER_WINDOW = 300;
const TOKEN = 'test-token-0123456789abcdef';
const iso = (ms: number) => new Date(ms).toISOString();

const spec: SyntheticSpec = {
  model: 'churn',
  modelVersion: '7',
  numericFeatures: ['a', 'b'],
  shifted: { features: ['a', 'b'], shift: 2, shiftFrom: T0 + 2 * MINUTE },
  seed: 17,
};

interface WebhookAlert {
  status: string;
  feature: string;
  starts_at: string;
  silenced: {
    id: string;
    starts_at: string;
    ends_at: string;
    created_by: string;
    comment: string;
  } | null;
}
interface WebhookBody {
  id: string;
  time: string;
  data: { kind: string; alerts: WebhookAlert[] };
}

describe(`silences (${inject('servicesMode')})`, () => {
  const names = uniqueNames('silences');
  const receiver = new WebhookReceiver();
  let producer: Producer;
  let configFile: string;
  let httpPort: number;
  const env = { INFLUX_TOKEN: services.influx.token };
  const send = (from: number, minutes: number) =>
    producer.send({
      topic: names.topic,
      messages: [...predictionLogs(spec, from, MINUTE / PER_WINDOW, minutes * PER_WINDOW)].map(
        (l) => ({ value: JSON.stringify(l) }),
      ),
    });
  const bodies = () => receiver.accepted('/ops').map((r) => JSON.parse(r.body) as WebhookBody);

  beforeAll(async () => {
    ({ producer } = await testKafka(services.kafkaBrokers, [names.topic, names.deadLetterTopic]));
    await receiver.start();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-silences-'));
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
            receivers: ['ops'],
          },
        ],
      }),
    );
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

  it('holds notifications across a kill -9 (state still changes), then tells the alert once, naming the silence', async () => {
    // Event time: the drift starts at T0+2m; the silence holds T0 .. T0+8m.
    const silenceEnd = T0 + 8 * MINUTE;
    const id = await addSilence(configFile, env, [
      ...['--match', 'model=churn', '--match', 'feature~*'],
      ...['--start', iso(T0), '--end', iso(silenceEnd)],
      ...['--created-by', 'ana', '--comment', 'feature store migration'],
    ]);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    // A silence that ended 8 days ago (wall clock), past alerts.silenceRetention (7d): listed
    // only with --all, and tombstoned by the daemon once it runs.
    const DAY = 86_400_000;
    const now = Date.now();
    const oldId = await addSilence(configFile, env, [
      ...['--match', 'model=churn', '--created-by', 'bob'],
      ...['--start', iso(now - 9 * DAY), '--end', iso(now - 8 * DAY)],
    ]);
    expect(await listedIds(configFile, env, false)).not.toContain(oldId);
    expect(await listedIds(configFile, env, true)).toEqual(expect.arrayContaining([oldId, id]));

    // First run: no API token, so the API is off and the port stays read-only. Killed (kill -9)
    // while the silence holds the firing alerts.
    await send(T0, 5);
    const first = new DaemonProcess(configFile, env);
    try {
      await waitForMetric(
        httpPort,
        /driftwatch_alerts_silenced_total\{rule="psi_drift"\} (\d+)/,
        1,
      );
      const off = await fetch(`http://127.0.0.1:${httpPort}/api/v1/silences`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: '{}',
      });
      expect(off.status).toBe(404);
      // The state changed anyway: the alerts are firing.
      await waitForMetric(httpPort, /driftwatch_alerts\{[^}]*state="firing"[^}]*\} (\d+)/, 1);
      await waitForTombstone(configFile, env, oldId);
    } finally {
      first.kill('SIGKILL');
    }
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(receiver.requests).toHaveLength(0);
    // The first run removed the old silence from the topic (a tombstone), not the live one.
    expect(await listedIds(configFile, env, true)).toContain(id);

    // Restarted: windows still inside the silence stay held (their drift points are written,
    // nothing is told), then the window ending at the silence's end releases one notification.
    const second = new DaemonProcess(configFile, { ...env, DRIFTWATCH_API_TOKEN: TOKEN });
    try {
      await send(T0 + 5 * MINUTE, 2);
      await waitForWindowEnd(names.measurement, T0 + 6 * MINUTE);
      expect(receiver.requests).toHaveLength(0);

      await send(T0 + 7 * MINUTE, 4);
      await receiver.waitFor(
        (r) => r.some((x) => x.path === '/ops'),
        'the notification after the silence',
      );
      // Windows past the release: time for a wrong second notification to show up.
      await waitForWindowEnd(names.measurement, T0 + 10 * MINUTE);
      await waitForMetric(
        httpPort,
        /driftwatch_notifications_delivered_total\{receiver="ops",kind="firing"\} (\d+)/,
        1,
      );
      const told = bodies();
      expect(told.map((b) => b.data.kind)).toEqual(['firing']);
      // Decided at the silence's end (event time), not at a window it still held.
      expect(Date.parse(told[0]?.time ?? '')).toBeGreaterThanOrEqual(silenceEnd);
      const alerts = told[0]?.data.alerts ?? [];
      expect(alerts.map((a) => a.feature).sort()).toEqual(['a', 'b']);
      for (const a of alerts) {
        expect(a.status).toBe('firing');
        expect(a.silenced).toEqual({
          id,
          starts_at: iso(T0),
          ends_at: iso(silenceEnd),
          created_by: 'ana',
          comment: 'feature store migration',
        });
        // It started firing while silenced: only the notification was held.
        expect(Date.parse(a.starts_at)).toBeLessThan(silenceEnd);
      }
      expect(second.output).not.toContain(TOKEN);
      await checkApi(httpPort, configFile, env, second);
      expect(second.output).not.toContain(TOKEN);
    } finally {
      await second.stopGracefully();
    }
    expect(bodies()).toHaveLength(1);
  });
});

/** `silence add` with these options; the new silence's id. */
async function addSilence(configFile: string, env: NodeJS.ProcessEnv, options: string[]) {
  const add = await cliAsync(['silence', 'add', '-c', configFile, ...options], env);
  expect(add.status, add.stderr).toBe(0);
  return add.stdout.trim();
}

/** The ids `silence list --json` prints (with `--all`: the expired ones kept too). */
async function listedIds(configFile: string, env: NodeJS.ProcessEnv, all: boolean) {
  const list = await cliAsync(
    ['silence', 'list', '-c', configFile, '--json', ...(all ? ['--all'] : [])],
    env,
  );
  expect(list.status, list.stderr).toBe(0);
  return (JSON.parse(list.stdout) as { id: string }[]).map((s) => s.id);
}

/** Waits until `silence list --all` no longer shows the silence (its tombstone was read). */
async function waitForTombstone(configFile: string, env: NodeJS.ProcessEnv, id: string) {
  for (let attempt = 0; attempt < 30; attempt++) {
    if (!(await listedIds(configFile, env, true)).includes(id)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`silence ${id} was not tombstoned`);
}

/** Waits until InfluxDB holds a drift point of the window ending at `end` (it was evaluated). */
async function waitForWindowEnd(measurement: string, end: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const rows = await queryDrift(services.influx, measurement);
    if (rows.some((r) => Date.parse(r.time) === end)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no drift point of the window ending ${iso(end)} in InfluxDB`);
}

/** The HTTP API with the token set: auth, validation, create, list, expire (seen by the CLI). */
async function checkApi(
  port: number,
  configFile: string,
  env: NodeJS.ProcessEnv,
  daemon: DaemonProcess,
): Promise<void> {
  const url = `http://127.0.0.1:${port}/api/v1/silences`;
  const call = (method: string, token: string | undefined, body?: unknown, at = url) =>
    fetch(at, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  expect((await call('GET', undefined)).status).toBe(401);
  expect((await call('GET', 'wrong-token')).status).toBe(401);
  expect((await call('POST', 'x', { matchers: [] })).status).toBe(401);
  expect(
    await metric(port, /driftwatch_api_requests_refused_total\{reason="wrong token"\} (\d+)/),
  ).toBe(2);
  expect(
    await metric(port, /driftwatch_api_requests_refused_total\{reason="no token"\} (\d+)/),
  ).toBe(1);
  // Each refusal logged once at warn (pino level 40), by its stable fields, without the token.
  const refused = daemon.logsWith({ level: 40, path: '/api/v1/silences' });
  expect(refused.map((l) => [l.reason, l.method])).toEqual([
    ['no token', 'GET'],
    ['wrong token', 'GET'],
    ['wrong token', 'POST'],
  ]);
  expect(JSON.stringify(refused)).not.toContain('wrong-token');

  const invalid = await call('POST', TOKEN, { matchers: [{ name: 'model' }], createdBy: 'bob' });
  expect(invalid.status).toBe(400);
  expect(((await invalid.json()) as { code: string }).code).toBe('SILENCE_INVALID');

  const created = await call('POST', TOKEN, {
    matchers: [{ name: 'model', value: 'fraud' }],
    duration: '2h',
    createdBy: 'bob',
    comment: 'upstream incident',
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const listed = (await (await call('GET', TOKEN)).json()) as { id: string }[];
  expect(listed.map((s) => s.id)).toContain(id);

  const expired = await call('DELETE', TOKEN, undefined, `${url}/${id}`);
  expect(expired.status).toBe(200);
  expect(((await expired.json()) as { endsAt: number }).endsAt).toBeLessThanOrEqual(Date.now());
  expect((await call('DELETE', TOKEN, undefined, `${url}/no-such-id`)).status).toBe(404);

  // Written to the topic: the CLI reads it back as expired (with --all), by whom and why.
  const list = await cliAsync(['silence', 'list', '-c', configFile, '--all'], env);
  expect(list.status, list.stderr).toBe(0);
  const current = await cliAsync(['silence', 'list', '-c', configFile], env);
  expect(current.stdout).not.toContain(id);
  expect(list.stdout).toMatch(
    new RegExp(`${id}  expired .* model=fraud  by bob  "upstream incident"`),
  );
  const expire = await cliAsync(['silence', 'expire', 'no-such-id', '-c', configFile], env);
  expect(expire.stderr).toContain('SILENCE_NOT_FOUND');
}
