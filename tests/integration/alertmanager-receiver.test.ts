/**
 * The `alertmanager` receiver against a real Alertmanager (tests/global-setup-alertmanager.ts):
 * first the notifier alone (firing → listed with its labels, re-posted → still active with a
 * later endsAt, resolved → gone), then the daemon end to end: drift fires an alert that
 * Alertmanager lists, and its recovery ends it there.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AlertmanagerNotifier } from '../../src/delivery/notifiers/alertmanager.js';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { testKafka } from '../support/kafka.js';
import {
  DASHBOARD_URL,
  resolvedNotification,
  sampleAlert,
  sampleAlert2,
  sampleNotification,
} from '../support/notifications.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const alertmanager = inject('alertmanager');

interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  status: { state: string };
}

function amUrl(): string {
  if ('missing' in alertmanager) throw new Error(alertmanager.missing);
  return alertmanager.url;
}

/** Alerts Alertmanager lists now (active, resolved ones are not listed) with this alertname. */
async function listed(alertname: string): Promise<GettableAlert[]> {
  const filter = encodeURIComponent(`alertname="${alertname}"`);
  const res = await fetch(`${amUrl()}/api/v2/alerts?filter=${filter}`);
  expect(res.status).toBe(200);
  return (await res.json()) as GettableAlert[];
}

async function waitUntil<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean) {
  const deadline = Date.now() + 90_000;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: last seen ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
    last = await read();
  }
  return last;
}

describe(`the alertmanager receiver against a real Alertmanager (${inject('servicesMode')})`, () => {
  it('the notifier: firing alerts listed with their labels, kept alive, ended on resolve', async () => {
    const rule = `drift_high_${Date.now().toString(36)}`;
    const notifier = new AlertmanagerNotifier({
      name: 'am',
      url: amUrl(),
      repostIntervalMs: 60_000,
    });
    try {
      const firing = sampleNotification({
        alerts: [sampleAlert({ rule }), sampleAlert2({ rule })],
      });
      expect((await notifier.deliver(firing, 1)).kind).toBe('delivered');
      const alerts = await waitUntil(
        'two alerts listed',
        () => listed(rule),
        (a) => a.length === 2,
      );
      const amount = alerts.find((a) => a.labels.feature === 'amount');
      expect(amount?.labels).toMatchObject({
        alertname: rule,
        model: 'fraud',
        version: '3',
        feature: 'amount',
        method: 'psi',
        severity: 'warning',
        team: 'risk',
      });
      expect(amount?.annotations).toMatchObject({
        summary: 'Input drift on amount (psi 0.3123 > 0.25)',
        runbook_url: 'https://runbooks.example.com/drift/fraud',
        dashboard: DASHBOARD_URL,
      });
      expect(amount?.generatorURL).toBe(DASHBOARD_URL);
      expect(amount?.status.state).toBe('active');

      // A re-post moves endsAt forward; the alert stays one alert (same labels).
      const before = Date.parse(amount?.endsAt ?? '');
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await notifier.repost())?.kind).toBe('delivered');
      const after = await waitUntil(
        're-posted endsAt',
        () => listed(rule),
        (a) => a.every((x) => Date.parse(x.endsAt) > before),
      );
      expect(after).toHaveLength(2);

      const resolved = resolvedNotification(firing);
      expect((await notifier.deliver(resolved, 1)).kind).toBe('delivered');
      await waitUntil(
        'alerts ended',
        () => listed(rule),
        (a) => a.length === 0,
      );
      expect(notifier.firingCount).toBe(0);
    } finally {
      await notifier.close();
    }
  });

  describe('the daemon end to end', () => {
    const names = uniqueNames('am');
    const rule = `psi_${names.groupId.replace(/[^a-z0-9]/g, '_')}`;
    const T0 = Date.parse('2026-05-01T00:00:00.000Z');
    const MINUTE = 60_000;
    const PER_WINDOW = 300;
    const base: SyntheticSpec = {
      model: 'fraud',
      modelVersion: '3',
      numericFeatures: ['a', 'b'],
      seed: 11,
    };
    const moved: SyntheticSpec = {
      ...base,
      seed: 12,
      shifted: { features: ['b'], shift: 2, shiftFrom: 0 },
    };
    let producer: Producer;
    let configFile: string;

    /** Windows [from, to): feature b shifted in windows 2–3. */
    function events(from: number, to: number) {
      const normal = [...predictionLogs(base, T0, MINUTE / PER_WINDOW, 12 * PER_WINDOW)];
      const shifted = [...predictionLogs(moved, T0, MINUTE / PER_WINDOW, 12 * PER_WINDOW)];
      const out: { value: string }[] = [];
      for (let i = from * PER_WINDOW; i < to * PER_WINDOW; i++) {
        const w = Math.floor(i / PER_WINDOW);
        const log = w >= 2 && w < 4 ? shifted[i] : normal[i];
        if (log) out.push({ value: JSON.stringify(log) });
      }
      return out;
    }

    beforeAll(async () => {
      ({ producer } = await testKafka(services.kafkaBrokers, [names.topic, names.deadLetterTopic]));
      const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-am-'));
      const rules = path.join(dir, 'rules.yaml');
      writeFileSync(
        rules,
        stringify({
          version: 1,
          receivers: { am: { type: 'alertmanager', url: amUrl(), repost_interval: '10s' } },
          rules: [
            {
              name: rule,
              match: { method: 'psi' },
              when: 'value > 0.25',
              recover_threshold: 0.15,
              min_samples: 50,
              labels: { team: 'ml' },
              annotations: { summary: 'PSI {{value}} on {{feature}}' },
              receivers: ['am'],
              group_interval: '1m',
            },
          ],
        }),
      );
      ({ file: configFile } = await writeDaemonConfig(services, {
        ...names,
        configDir: dir,
        baselinesDir: baselineDirFor(base),
        windowSize: '1m',
        extra: {
          alerts: {
            rules,
            dashboardUrl:
              'http://grafana.test/d/driftwatch?var-model={{model}}&from={{from}}&to={{to}}',
            retryInitialDelay: '200ms',
            retryMaxDelay: '1s',
          },
        },
      }));
    });

    afterAll(async () => {
      await producer?.disconnect();
    });

    it('drift fires an alert Alertmanager lists; kept alive across kill -9; recovery ends it', async () => {
      const env = { INFLUX_TOKEN: services.influx.token };
      let daemon = new DaemonProcess(configFile, env);
      try {
        await producer.send({ topic: names.topic, messages: events(0, 5) });
        const firing = await waitUntil(
          'alert firing in Alertmanager',
          () => listed(rule),
          (a) => a.length > 0,
        );
        expect(firing.map((a) => a.labels.feature)).toEqual(['b']);
        expect(firing[0]?.labels).toMatchObject({
          alertname: rule,
          model: 'fraud',
          version: '3',
          feature: 'b',
          method: 'psi',
          window: '1m',
          severity: 'warning',
          team: 'ml',
        });
        expect(firing[0]?.generatorURL).toMatch(
          /^http:\/\/grafana\.test\/d\/driftwatch\?var-model=fraud/,
        );
        expect(firing[0]?.annotations.summary).toMatch(/^PSI [\d.]+ on b$/);

        // Killed while the alert fires: the restarted daemon rebuilds what it keeps alive from
        // the alert log and re-posts it (endsAt moves on), with no new notification.
        daemon.kill('SIGKILL');
        await daemon.exited;
        const before = Math.max(...(await listed(rule)).map((a) => Date.parse(a.endsAt)));
        daemon = new DaemonProcess(configFile, env);
        await daemon.waitForLogs({ msg: 'receiver state restored', receiver: 'am' }, 1, 90_000);
        expect(
          daemon.logsWith({ msg: 'receiver state restored', receiver: 'am' })[0]?.notifications,
        ).toBeGreaterThan(0);
        await waitUntil(
          're-posted by the restarted daemon',
          () => listed(rule),
          (a) => a.length === 1 && Date.parse(a[0]?.endsAt ?? '') > before,
        );

        await producer.send({ topic: names.topic, messages: events(5, 10) });
        // Ended by the resolved notification, not by expiring: it was delivered.
        await daemon.waitForLogs(
          { msg: 'notification delivered', receiver: 'am', kind: 'resolved' },
          1,
          90_000,
        );
        await waitUntil(
          'alert ended in Alertmanager',
          () => listed(rule),
          (a) => a.length === 0,
        );
      } finally {
        daemon.kill('SIGTERM');
        await daemon.exited;
      }
    });
  });
});
