import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertNotification } from '../../alert-engine/model.js';
import {
  fullJitterDelay,
  nextDelay,
  parseRetryAfter,
} from '../../src/delivery/notifiers/backoff.js';
import { verifyWebhook } from '../../src/delivery/notifiers/signing.js';
import { escapeMrkdwn, renderWebhookBody } from '../../src/delivery/notifiers/webhook-body.js';
import {
  WebhookNotifier,
  type WebhookNotifierOptions,
} from '../../src/delivery/notifiers/webhook.js';
import {
  resolvedNotification,
  sampleAlert,
  sampleNotification,
  schemaAlert,
} from '../support/notifications.js';

const SECRET = 'whsec_' + Buffer.from('current secret, 32 bytes long...').toString('base64');
const ROTATED = 'whsec_' + Buffer.from('previous secret, still accepted!').toString('base64');

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A real HTTP receiver on 127.0.0.1 that records every request; tests swap the handler. A fresh
 * server (and port) per test, so no test reuses a keep-alive socket another test's cleanup cut.
 */
let server: Server;
let base: string;
let handler: Handler;
const requests: Recorded[] = [];

beforeEach(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  requests.length = 0;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const reply =
  (status: number, body = '', headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };

function notifier(overrides: Partial<WebhookNotifierOptions> = {}): WebhookNotifier {
  return new WebhookNotifier({
    name: 'ops-hook',
    url: `${base}/hook`,
    secrets: [SECRET],
    format: 'standard',
    source: 'test-instance',
    timeoutMs: 5_000,
    ...overrides,
  });
}

function only(): Recorded {
  expect(requests).toHaveLength(1);
  return requests[0]!;
}

function signed(r: Recorded) {
  const h = (k: string) => {
    const v = r.headers[k];
    return typeof v === 'string' ? v : undefined;
  };
  return {
    'webhook-id': h('webhook-id'),
    'webhook-timestamp': h('webhook-timestamp'),
    'webhook-signature': h('webhook-signature'),
  };
}

describe('WebhookNotifier: request', () => {
  it('POSTs the body with Standard Webhooks headers, signed with every configured secret', async () => {
    handler = reply(202);
    const n = sampleNotification();
    const now = Date.now();
    const hook = notifier({
      secrets: [SECRET, ROTATED],
      headers: { Authorization: 'Bearer t0ken', 'webhook-id': 'must-not-win' },
      now: () => now,
    });
    const outcome = await hook.deliver(n, 1);
    expect(outcome.kind).toBe('delivered');
    if (outcome.kind === 'delivered') expect(outcome.detail).toMatch(/ops-hook.*HTTP 202/);

    const r = only();
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/hook');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['webhook-id']).toBe(n.id);
    expect(r.headers['idempotency-key']).toBe(n.id);
    expect(r.headers['webhook-timestamp']).toBe(String(Math.floor(now / 1000)));
    expect(r.headers['user-agent']).toMatch(/^driftwatch/);
    expect(r.headers.authorization).toBe('Bearer t0ken');
    expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(2);

    const nowSec = Math.floor(now / 1000);
    expect(verifyWebhook(SECRET, signed(r), r.body, { nowSec })).toBe(true);
    expect(verifyWebhook(ROTATED, signed(r), r.body, { nowSec })).toBe(true);
    expect(verifyWebhook(SECRET, signed(r), r.body.replace('fraud', 'fraud2'), { nowSec })).toBe(
      false,
    );
    expect(verifyWebhook(SECRET, signed(r), r.body, { nowSec: nowSec + 301 })).toBe(false);

    const body = JSON.parse(r.body) as Record<string, unknown>;
    expect(body.id).toBe(n.id);
    expect(body.specversion).toBe('1.0');
  });

  it('sends no signature header without secrets, and a custom user agent', async () => {
    handler = reply(200);
    const outcome = await notifier({ secrets: [], userAgent: 'custom/1' }).deliver(
      sampleNotification(),
      1,
    );
    expect(outcome.kind).toBe('delivered');
    const r = only();
    expect(r.headers['webhook-signature']).toBeUndefined();
    expect(r.headers['user-agent']).toBe('custom/1');
  });

  it('keeps the webhook-id across attempts; each attempt has its own timestamp and signature', async () => {
    handler = reply(500, 'boom');
    let now = 1_700_000_000_000;
    const hook = notifier({ now: () => now });
    const n = sampleNotification();
    expect((await hook.deliver(n, 1)).kind).toBe('retry');
    now += 65_000;
    handler = reply(204);
    expect((await hook.deliver(n, 2)).kind).toBe('delivered');

    expect(requests).toHaveLength(2);
    const [first, second] = requests as [Recorded, Recorded];
    expect(first.headers['webhook-id']).toBe(n.id);
    expect(second.headers['webhook-id']).toBe(n.id);
    expect(second.headers['idempotency-key']).toBe(n.id);
    expect(first.body).toBe(second.body);
    expect(Number(second.headers['webhook-timestamp'])).toBe(
      Number(first.headers['webhook-timestamp']) + 65,
    );
    expect(second.headers['webhook-signature']).not.toBe(first.headers['webhook-signature']);
    expect(verifyWebhook(SECRET, signed(second), second.body, { nowSec: now / 1000 })).toBe(true);
  });

  it('uses the retrain request id as webhook-id for retraining receivers', async () => {
    handler = reply(201);
    const base = sampleNotification();
    const first = base.alerts[0]!;
    const n: AlertNotification = {
      ...base,
      kind: 'retrain',
      retrain: {
        requestId: 'rt_0123456789abcdef',
        model: first.model,
        modelVersion: first.modelVersion,
        baseline: first.baseline,
        windowStart: first.windowStart,
        windowEnd: first.windowEnd,
        severity: 'critical',
        episodeId: base.groupEpisodeId,
        firingSince: first.startsAt,
        driftedFeatures: base.alerts.map((a) => ({
          feature: a.feature,
          method: a.method,
          statistic: a.statistic,
          value: a.value,
          threshold: a.threshold,
          samples: a.samples,
        })),
      },
    };
    const hook = notifier({ name: 'training', type: 'retrain' });
    expect(hook.type).toBe('retrain');
    expect((await hook.deliver(n, 1)).kind).toBe('delivered');
    const r = only();
    expect(r.headers['webhook-id']).toBe('rt_0123456789abcdef');
    expect(r.headers['idempotency-key']).toBe('rt_0123456789abcdef');
    const body = JSON.parse(r.body) as {
      id: string;
      type: string;
      data: { notification_id: string; retrain: { request_id: string; firing_since: string } };
    };
    expect(body.id).toBe('rt_0123456789abcdef');
    expect(body.type).toBe('io.driftwatch.retrain.requested');
    expect(body.data.notification_id).toBe(n.id);
    expect(body.data.retrain.request_id).toBe('rt_0123456789abcdef');
    expect(body.data.retrain.firing_since).toBe(new Date(first.startsAt).toISOString());

    // A retraining receiver given a notification without evidence: nothing to send, ever.
    const missing = await hook.deliver(sampleNotification(), 1);
    expect(missing.kind).toBe('permanent');
    expect(requests).toHaveLength(1);
  });
});

describe('WebhookNotifier: outcome classification', () => {
  it('retries a 500 and quotes the receiver, the URL without its query and the body', async () => {
    handler = reply(500, 'x'.repeat(150) + ' ' + 'y'.repeat(300));
    const hook = notifier({ url: `${base}/hook?token=sup3rsecret` });
    const outcome = await hook.deliver(sampleNotification(), 1);
    expect(outcome).toMatchObject({ kind: 'retry' });
    if (outcome.kind !== 'retry') return;
    expect(outcome.retryAfterMs).toBeUndefined();
    expect(outcome.error).toContain('"ops-hook"');
    expect(outcome.error).toContain(`${base}/hook`);
    expect(outcome.error).toContain('HTTP 500');
    expect(outcome.error).not.toContain('sup3rsecret');
    expect(outcome.error).toContain('x'.repeat(150) + ' ' + 'y'.repeat(49) + '…');
    expect(outcome.error).not.toContain('y'.repeat(50));
    expect(only().url).toBe('/hook?token=sup3rsecret');
  });

  it('retries a 503 no earlier than its Retry-After (seconds)', async () => {
    handler = reply(503, 'busy', { 'retry-after': '7' });
    const outcome = await notifier().deliver(sampleNotification(), 1);
    expect(outcome).toMatchObject({ kind: 'retry', retryAfterMs: 7000 });
  });

  it('retries a 429, reading an HTTP-date Retry-After against the clock', async () => {
    const now = Date.UTC(2025, 0, 1, 12, 0, 0);
    handler = reply(429, 'slow down', { 'retry-after': new Date(now + 30_000).toUTCString() });
    const outcome = await notifier({ now: () => now }).deliver(sampleNotification(), 1);
    expect(outcome).toMatchObject({ kind: 'retry', retryAfterMs: 30_000 });
    if (outcome.kind === 'retry') expect(outcome.error).toContain('HTTP 429: slow down');
  });

  it('retries a 429 without Retry-After, and a 408', async () => {
    handler = reply(429);
    const a = await notifier().deliver(sampleNotification(), 1);
    expect(a).toMatchObject({ kind: 'retry' });
    if (a.kind === 'retry') expect(a.retryAfterMs).toBeUndefined();
    handler = reply(408);
    expect(await notifier().deliver(sampleNotification(), 1)).toMatchObject({ kind: 'retry' });
  });

  it('gives up on a 410 and asks for the endpoint to be disabled', async () => {
    handler = reply(410, 'gone');
    const outcome = await notifier().deliver(sampleNotification(), 1);
    expect(outcome).toMatchObject({ kind: 'permanent', disable: true });
    if (outcome.kind === 'permanent') expect(outcome.error).toContain('HTTP 410: gone');
  });

  it('gives up on a 400 without disabling', async () => {
    handler = reply(400, '{"error":"bad payload"}');
    const outcome = await notifier().deliver(sampleNotification(), 1);
    expect(outcome.kind).toBe('permanent');
    if (outcome.kind !== 'permanent') return;
    expect(outcome.disable).toBeUndefined();
    expect(outcome.error).toContain('HTTP 400: {"error":"bad payload"}');
  });

  it('does not follow a 302; it is permanent', async () => {
    handler = (req, res) => {
      if (req.url === '/hook') {
        res.writeHead(302, { location: '/elsewhere?sig=abc' });
        res.end();
      } else {
        res.writeHead(200);
        res.end();
      }
    };
    const outcome = await notifier().deliver(sampleNotification(), 1);
    expect(outcome.kind).toBe('permanent');
    if (outcome.kind !== 'permanent') return;
    expect(outcome.disable).toBeUndefined();
    expect(outcome.error).toContain('HTTP 302');
    expect(outcome.error).toContain(`redirect to ${base}/elsewhere?… not followed`);
    expect(only().url).toBe('/hook');
  });

  it('retries when the receiver never answers within the timeout', async () => {
    handler = () => {
      // Never respond; afterEach destroys the socket.
    };
    const outcome = await notifier({ timeoutMs: 150 }).deliver(sampleNotification(), 1);
    expect(outcome).toMatchObject({ kind: 'retry' });
    if (outcome.kind === 'retry') expect(outcome.error).toMatch(/ops-hook.*timed out after 150 ms/);
  });

  it('retries when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const outcome = await notifier({ url: `http://127.0.0.1:${port}/hook` }).deliver(
      sampleNotification(),
      1,
    );
    expect(outcome).toMatchObject({ kind: 'retry' });
    if (outcome.kind === 'retry') {
      expect(outcome.error).toContain(`127.0.0.1:${port}/hook`);
      expect(outcome.error).toContain('ECONNREFUSED');
    }
  });

  it('aborts an attempt in flight on close and refuses new ones', async () => {
    handler = () => {};
    const hook = notifier({ timeoutMs: 10_000 });
    const pending = hook.deliver(sampleNotification(), 1);
    await new Promise((r) => setTimeout(r, 50));
    await hook.close();
    const outcome = await pending;
    expect(outcome).toMatchObject({ kind: 'retry' });
    if (outcome.kind === 'retry') expect(outcome.error).toContain('closed');
    expect(await hook.deliver(sampleNotification(), 2)).toMatchObject({ kind: 'retry' });
  });

  it('rejects bad configuration at construction', () => {
    expect(() => notifier({ url: 'ftp://example.com/x' })).toThrow(/http/);
    expect(() => notifier({ url: 'not a url' })).toThrow(/invalid url/);
    expect(() => notifier({ secrets: ['whsec_%%%'] })).toThrow(/base64/);
    expect(() => notifier({ format: 'pagerduty' })).toThrow(/routing key/);
  });
});

describe('webhook bodies', () => {
  it('standard: CloudEvents-compatible envelope, versioned data, ISO times', () => {
    const n = sampleNotification();
    const body = JSON.parse(renderWebhookBody(n, 'standard', { source: 'prod-1' })) as {
      [k: string]: unknown;
      data: {
        version: number;
        group: { key: string; episode_id: string };
        alerts: {
          starts_at: string;
          window_end: string;
          model_version: string;
          correction: unknown;
        }[];
        retrain: unknown;
      };
    };
    expect(body).toMatchObject({
      specversion: '1.0',
      id: n.id,
      source: 'driftwatch/prod-1',
      type: `io.driftwatch.alert.${n.kind}`,
      time: new Date(n.time).toISOString(),
      datacontenttype: 'application/json',
    });
    const rules = [...new Set(n.alerts.map((a) => a.rule))].join(',');
    expect(body.subject).toBe(`fraud@3/${rules}`);
    expect(body.data.version).toBe(1);
    expect(body.data.group).toMatchObject({ key: n.groupKey, episode_id: n.groupEpisodeId });
    expect(body.data.alerts).toHaveLength(2);
    expect(body.data.alerts[0]!.starts_at).toBe(new Date(n.alerts[0]!.startsAt).toISOString());
    expect(body.data.alerts[0]!.window_end).toBe(new Date(n.alerts[0]!.windowEnd).toISOString());
    expect(body.data.alerts[0]!.model_version).toBe('3');
    expect(body.data.alerts.map((a) => a.correction)).toEqual([
      null,
      { method: 'benjamini_hochberg', tests: 20 },
    ]);
    expect(body.data.retrain).toBeNull();
    // Source already prefixed: not doubled. Resolved type.
    const resolved = JSON.parse(
      renderWebhookBody(resolvedNotification(n), 'standard', { source: 'driftwatch/prod-1' }),
    ) as { source: string; type: string };
    expect(resolved).toMatchObject({
      source: 'driftwatch/prod-1',
      type: 'io.driftwatch.alert.resolved',
    });
  });

  it('a schema alert carries its feature names: a schema object, and in pager and Slack text', () => {
    const n = sampleNotification({ alerts: [schemaAlert(), sampleAlert()] });
    const expected = {
      missing_features: ['age'],
      wrong_type_features: [],
      new_features: ['new_signal', '<b>promo</b>'],
      unlisted: { missing_features: 3, wrong_type_features: 0, new_features: 0 },
    };
    const standard = JSON.parse(renderWebhookBody(n, 'standard', { source: 'prod-1' })) as {
      data: { alerts: { schema: unknown }[] };
    };
    expect(standard.data.alerts.map((a) => a.schema)).toEqual([expected, null]);

    const pd = JSON.parse(
      renderWebhookBody(n, 'pagerduty', { source: 'prod-1', routingKey: 'rk' }),
    ) as { payload: { summary: string; custom_details: { alerts: { schema: unknown }[] } } };
    expect(pd.payload.custom_details.alerts.map((a) => a.schema)).toEqual([expected, null]);
    expect(pd.payload.summary).toContain('new_signal');

    const slack = JSON.parse(renderWebhookBody(n, 'slack', { source: 'prod-1' })) as {
      text: string;
    };
    expect(slack.text).toContain('new_signal, &lt;b&gt;promo&lt;/b&gt;');
    expect(slack.text).toContain('age (+3 more)');
  });

  it('pagerduty: trigger then resolve on one dedup_key, with runbook link and mapped severity', () => {
    const n = sampleNotification({
      severity: 'critical',
      links: {
        runbook: 'https://runbooks.example/drift',
        dashboard: 'https://grafana.example/d/1',
      },
    });
    const opts = { source: 'prod-1', routingKey: 'R0UTINGKEY0123456789abcdef012345' };
    type Pd = {
      routing_key: string;
      event_action: string;
      dedup_key: string;
      payload: Record<string, unknown> & { summary: string };
      links: { href: string; text: string }[];
      client: string;
    };
    const firing = JSON.parse(renderWebhookBody(n, 'pagerduty', opts)) as Pd;
    const resolved = JSON.parse(
      renderWebhookBody(resolvedNotification(n), 'pagerduty', opts),
    ) as Pd;
    expect(firing.routing_key).toBe(opts.routingKey);
    expect(firing.event_action).toBe('trigger');
    expect(resolved.event_action).toBe('resolve');
    expect(firing.dedup_key).toBe(`${n.groupKey}:${n.groupEpisodeId}`);
    expect(resolved.dedup_key).toBe(firing.dedup_key);
    expect(firing.dedup_key.length).toBeLessThanOrEqual(255);
    expect(firing.payload).toMatchObject({
      source: 'driftwatch/prod-1',
      severity: 'critical',
      timestamp: new Date(n.time).toISOString(),
      component: 'fraud',
      group: 'fraud@3',
    });
    expect(firing.payload.summary.length).toBeLessThanOrEqual(1024);
    expect(firing.payload.summary).toContain('fraud@3');
    expect(firing.links[0]).toEqual({ href: 'https://runbooks.example/drift', text: 'Runbook' });
    expect(firing.links[1]).toEqual({ href: 'https://grafana.example/d/1', text: 'Dashboard' });
    expect(firing.client).toBe('driftwatch');

    for (const [ours, theirs] of [
      ['warning', 'warning'],
      ['info', 'info'],
    ] as const) {
      const b = JSON.parse(
        renderWebhookBody(sampleNotification({ severity: ours }), 'pagerduty', opts),
      ) as Pd;
      expect(b.payload.severity).toBe(theirs);
    }

    // Huge keys and summaries are cut to PagerDuty's limits.
    const long = sampleNotification({
      groupKey: 'k'.repeat(300),
      alerts: sampleNotification().alerts.map((a) => ({ ...a, feature: 'f'.repeat(800) })),
    });
    const cut = JSON.parse(renderWebhookBody(long, 'pagerduty', opts)) as Pd;
    expect(cut.dedup_key).toHaveLength(255);
    expect(cut.payload.summary.length).toBeLessThanOrEqual(1024);
    expect(() => renderWebhookBody(n, 'pagerduty', { source: 'x' })).toThrow(/routing key/);
  });

  it('pagerduty: delivered through the notifier to the events endpoint', async () => {
    handler = reply(202, '{"status":"success"}');
    const hook = notifier({ format: 'pagerduty', routingKey: 'rk', url: `${base}/v2/enqueue` });
    expect((await hook.deliver(sampleNotification(), 1)).kind).toBe('delivered');
    const body = JSON.parse(only().body) as { routing_key: string; event_action: string };
    expect(body).toMatchObject({ routing_key: 'rk', event_action: 'trigger' });
  });

  it('slack: escapes &, < and > in text and blocks, and links the runbook', () => {
    const base = sampleNotification();
    const n = sampleNotification({
      alerts: base.alerts.map((a, i) =>
        i === 0 ? { ...a, feature: 'a<b>&c', rule: '<!channel>' } : a,
      ),
      links: { runbook: 'https://runbooks.example/x?a=1&b=2', dashboard: null },
    });
    const raw = renderWebhookBody(n, 'slack', { source: 'prod-1' });
    const body = JSON.parse(raw) as {
      text: string;
      blocks: { type: string; text?: { text: string }; elements?: { text: string }[] }[];
    };
    expect(body.text).toContain('a&lt;b&gt;&amp;c');
    expect(body.text).toContain('&lt;!channel&gt;');
    expect(body.text).not.toMatch(/<|>/);
    const texts = body.blocks.flatMap((b) => [
      ...(b.text ? [b.text.text] : []),
      ...(b.elements ?? []).map((e) => e.text),
    ]);
    const all = texts.join('\n');
    expect(all).toContain('a&lt;b&gt;&amp;c');
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('a<b>');
    expect(all).toContain('<https://runbooks.example/x?a=1&amp;b=2|Runbook>');
    expect(escapeMrkdwn('1 < 2 && 3 > 2')).toBe('1 &lt; 2 &amp;&amp; 3 &gt; 2');
  });
});

describe('backoff', () => {
  const opts = { baseMs: 5_000, capMs: 3_600_000 };

  it('full jitter spans [0, min(cap, base·2^(attempt-1))]', () => {
    expect(fullJitterDelay(1, opts, () => 0)).toBe(0);
    expect(fullJitterDelay(1, opts, () => 0.999999)).toBe(5_000);
    expect(fullJitterDelay(3, opts, () => 0.5)).toBe(10_000);
    expect(fullJitterDelay(20, opts, () => 1)).toBe(3_600_000);
    expect(fullJitterDelay(5000, opts, () => 0.5)).toBe(1_800_000);
    for (let i = 0; i < 100; i++) {
      const d = fullJitterDelay(4, opts);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(40_000);
    }
  });

  it('parses Retry-After seconds and HTTP-dates, clamped at 0', () => {
    const now = Date.UTC(2025, 5, 1, 8, 0, 0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('Sun, 01 Jun 2025 08:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 07:00:00 GMT', now)).toBe(0);
  });

  it('next delay is the later of jitter and Retry-After (capped)', () => {
    expect(nextDelay(1, undefined, opts, () => 0.5)).toBe(2_500);
    expect(nextDelay(1, 60_000, opts, () => 0.5)).toBe(60_000);
    expect(nextDelay(10, 1_000, opts, () => 1)).toBe(2_560_000);
    expect(nextDelay(1, 86_400_000, opts, () => 0)).toBe(3_600_000);
  });
});
