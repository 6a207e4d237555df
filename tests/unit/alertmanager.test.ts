import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firingAlert, type PostableAlert } from '../../src/delivery/notifiers/alertmanager-body.js';
import {
  AlertmanagerNotifier,
  VALID_INTERVALS,
} from '../../src/delivery/notifiers/alertmanager.js';
import { WebhookNotifier } from '../../src/delivery/notifiers/webhook.js';
import { compileText } from '../support/rules.js';
import { httpNotifierSuite } from '../support/notifier-suite.js';
import {
  DASHBOARD_URL,
  resolvedNotification,
  sampleAlert,
  sampleNotification,
  schemaAlert,
  T0,
} from '../support/notifications.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const NOW = T0 + 120_000;
const INTERVAL = 60_000;

httpNotifierSuite(
  'WebhookNotifier',
  (url) => new WebhookNotifier({ name: 'hook', url, secrets: [], format: 'standard', source: 's' }),
);
httpNotifierSuite(
  'AlertmanagerNotifier',
  (url) => new AlertmanagerNotifier({ name: 'am', url, now: () => NOW }),
);

describe('AlertmanagerNotifier', () => {
  let am: WebhookReceiver;
  let notifier: AlertmanagerNotifier;
  let now = NOW;

  beforeEach(async () => {
    am = new WebhookReceiver();
    await am.start();
    now = NOW;
    notifier = new AlertmanagerNotifier({
      name: 'am',
      url: am.url('/'),
      repostIntervalMs: INTERVAL,
      now: () => now,
    });
  });

  afterEach(async () => {
    await notifier.close();
    await am.stop();
  });

  const posted = (i: number) => {
    const r = am.requests[i];
    if (!r) throw new Error(`no request ${i}`);
    expect(r.path).toBe('/api/v2/alerts');
    return JSON.parse(r.body) as PostableAlert[];
  };

  it('posts every alert with identity labels, annotations, times and the dashboard', async () => {
    expect((await notifier.deliver(sampleNotification(), 1)).kind).toBe('delivered');
    const [amount, country] = posted(0);
    expect(amount).toEqual({
      labels: {
        alertname: 'drift_high',
        model: 'fraud',
        version: '3',
        feature: 'amount',
        method: 'psi',
        window: '5m',
        severity: 'warning',
        team: 'risk',
      },
      annotations: {
        summary: 'Input drift on amount (psi 0.3123 > 0.25)',
        description: 'The distribution of amount moved away from the training baseline.',
        runbook_url: 'https://runbooks.example.com/drift/fraud',
        dashboard: DASHBOARD_URL,
      },
      startsAt: new Date(T0).toISOString(),
      endsAt: new Date(NOW + VALID_INTERVALS * INTERVAL).toISOString(),
      generatorURL: DASHBOARD_URL,
    });
    expect(country?.labels.feature).toBe('country');
    expect(notifier.firingCount).toBe(2);
  });

  it('re-posts the firing alerts with a fresh endsAt, and ends them on resolve', async () => {
    await notifier.deliver(sampleNotification(), 1);
    now = NOW + INTERVAL;
    expect((await notifier.repost())?.kind).toBe('delivered');
    const again = posted(1);
    expect(again).toHaveLength(2);
    expect(again.map((a) => a.endsAt)).toEqual(
      Array(2).fill(new Date(now + VALID_INTERVALS * INTERVAL).toISOString()),
    );

    const resolved = resolvedNotification();
    now = resolved.time + 5_000;
    expect((await notifier.deliver(resolved, 1)).kind).toBe('delivered');
    const ended = posted(2);
    expect(ended.map((a) => a.endsAt)).toEqual(
      resolved.alerts.map((a) => new Date(a.endsAt ?? 0).toISOString()),
    );
    expect(notifier.firingCount).toBe(0);
    expect(await notifier.repost()).toBeUndefined();
    expect(am.requests).toHaveLength(3);
  });

  it('an escalated severity is a new label set: the old one is ended in the same post', async () => {
    await notifier.deliver(sampleNotification({ alerts: [sampleAlert()] }), 1);
    const critical = sampleAlert({ severity: 'critical', seq: 4 });
    await notifier.deliver(sampleNotification({ id: 'n2', alerts: [critical] }), 1);
    const [now1, old] = posted(1);
    expect(now1?.labels.severity).toBe('critical');
    expect(old?.labels.severity).toBe('warning');
    expect(old?.endsAt).toBe(new Date(NOW).toISOString());
    expect(notifier.firingCount).toBe(1);
  });

  it('restored notifications (after a restart) are kept alive again without being sent', async () => {
    notifier.restore(sampleNotification(), { partition: 1 });
    expect(am.requests).toHaveLength(0);
    expect(notifier.firingCount).toBe(2);
    expect((await notifier.repost())?.kind).toBe('delivered');
    expect(posted(0).map((a) => a.labels.feature)).toEqual(['amount', 'country']);
    notifier.restore(resolvedNotification(), { partition: 1 });
    expect(notifier.firingCount).toBe(0);
  });

  it('stops re-posting the alerts of alert-log partitions it no longer holds', async () => {
    await notifier.deliver(sampleNotification(), 1, { partition: 2 });
    notifier.assigned([0, 1]);
    expect(notifier.firingCount).toBe(0);
  });

  it('keeps nothing of a refused post, and refuses retraining requests', async () => {
    am.respond = () => 400;
    expect((await notifier.deliver(sampleNotification(), 1)).kind).toBe('permanent');
    expect(notifier.firingCount).toBe(0);
    const retrain = sampleNotification({ retrain: {} as never });
    expect((await notifier.deliver(retrain, 1)).kind).toBe('permanent');
  });

  it('a failing re-post is reported and tried again at the next interval', async () => {
    const failures: string[] = [];
    const reporting = new AlertmanagerNotifier({
      name: 'am',
      url: am.url('/'),
      now: () => now,
      onRepostFailure: (error) => failures.push(error),
    });
    await reporting.deliver(sampleNotification(), 1);
    am.respond = () => 503;
    expect((await reporting.repost())?.kind).toBe('retry');
    expect(failures).toHaveLength(1);
    expect(reporting.firingCount).toBe(2);
    await reporting.close();
  });
});

describe('alertmanager receivers in the rules file', () => {
  it('parse with their defaults and always get resolved notifications', () => {
    const loaded = compileText(
      [
        'version: 1',
        'receivers:',
        '  am: { type: alertmanager, url: "http://alertmanager:9093" }',
        'rules:',
        '  - { name: r, when: "value > 0.2", receivers: [am], send_resolved: false }',
      ].join('\n'),
    );
    expect(loaded.receivers.am).toMatchObject({
      type: 'alertmanager',
      repost_interval: 60_000,
      timeout: 15_000,
      max_age: 86_400_000,
    });
    expect(loaded.policies.find((p) => p.name === 'am')?.sendResolved).toBe(true);
  });
});

describe('alertmanager alert bodies', () => {
  it('a schema alert names its features in the description; others do not', () => {
    const schema = firingAlert(schemaAlert(), null, NOW, INTERVAL);
    expect(schema.annotations.description).toContain('new features: new_signal, <b>promo</b>');
    expect(schema.annotations.description).toContain('missing features: age (+3 more)');
    expect(schema.annotations.description).not.toContain('wrong-type');
    const psi = firingAlert(sampleAlert(), null, NOW, INTERVAL);
    expect(psi.annotations.description).not.toContain('features:');
  });
});
