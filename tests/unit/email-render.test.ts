import { describe, expect, it } from 'vitest';
import { fmtNum, iso, renderEmail } from '../../src/delivery/notifiers/email-render.js';
import { classifySendError } from '../../src/delivery/notifiers/email.js';
import {
  DASHBOARD_URL,
  RUNBOOK_URL,
  repeatNotification,
  resolvedNotification,
  sampleAlert,
  sampleAlert2,
  sampleNotification,
  schemaAlert,
} from '../support/notifications.js';

const OPTS = { mailDomain: 'alerts.example.com' };

describe('renderEmail', () => {
  it('keeps one subject for firing, update, repeat and resolved of a group episode', () => {
    const firing = sampleNotification();
    const update = sampleNotification({
      id: 'n-5d0c2b9e7a13f468-0002',
      kind: 'update',
      groupSeq: 2,
      severity: 'warning',
      alerts: [sampleAlert({ severity: 'info' })],
    });
    const subjects = [firing, update, repeatNotification(firing), resolvedNotification(firing)].map(
      (n) => renderEmail(n, OPTS).subject,
    );
    expect(new Set(subjects).size).toBe(1);
    expect(subjects[0]).toBe('[driftwatch] drift_high — fraud@3');
    // Neither status nor severity is in it: both change within an episode.
    expect(subjects[0]).not.toMatch(/firing|resolved|critical|warning/i);
  });

  it('shows group labels other than model and version, and honours the prefix', () => {
    const n = sampleNotification({
      groupLabels: { window: '5m', model: 'fraud', feature: 'amount', model_version: '3' },
    });
    expect(renderEmail(n, { ...OPTS, subjectPrefix: 'ml-prod' }).subject).toBe(
      '[ml-prod] drift_high — fraud@3 (feature=amount, window=5m)',
    );
  });

  it('threads every mail of an episode under a phantom root', () => {
    const firing = renderEmail(sampleNotification(), OPTS);
    const resolved = renderEmail(resolvedNotification(), OPTS);
    const root = '<ep-gep-5d0c2b9e7a13f468-1768471200000@alerts.example.com>';
    expect(firing.messageId).toBe('<n-5d0c2b9e7a13f468-0001@alerts.example.com>');
    expect(resolved.messageId).toBe('<n-5d0c2b9e7a13f468-0003@alerts.example.com>');
    for (const m of [firing, resolved]) {
      expect(m.inReplyTo).toBe(root);
      expect(m.references).toEqual([root]);
      expect(m.messageId).not.toBe(root);
    }
  });

  it('puts status, kind, severity, group and episode in headers', () => {
    const { headers } = renderEmail(resolvedNotification(), OPTS);
    expect(headers).toMatchObject({
      'X-Driftwatch-Status': 'resolved',
      'X-Driftwatch-Kind': 'resolved',
      'X-Driftwatch-Severity': 'critical',
      'X-Driftwatch-Group': '5d0c2b9e7a13f468c2a1b0e9d8f7a6b5',
      'X-Driftwatch-Episode': 'gep-5d0c2b9e7a13f468-1768471200000',
    });
  });

  it('gives the on-call engineer everything needed in the text part', () => {
    const { text } = renderEmail(sampleNotification(), OPTS);
    const first = text.split('\n')[0];
    expect(first).toBe('FIRING (new, critical): 2 alerts for fraud@3');
    for (const needle of [
      'fraud@3',
      'psi = 0.3123', // value, 4 significant digits
      '> 0.25', // op and threshold
      'recover threshold 0.15',
      'chi_square p_value = 1.234e-5', // small p-value in exponent form
      '(adjusted: Benjamini-Hochberg across 20 tests)', // which correction made it
      '< 0.001',
      'fraud-3-abcdef012345', // baseline
      '2026-01-15T09:55:00Z – 2026-01-15T10:00:00Z', // window range
      'n = 4210', // samples
      'n = 4198',
      'ep-3f1c9a0e5b7d42e8-1768471200000', // episode
      'Input drift on amount', // summary annotation
      'moved away from the training baseline', // description annotation
      RUNBOOK_URL,
      DASHBOARD_URL,
      'amount',
      'country',
    ]) {
      expect(text).toContain(needle);
    }
  });

  it('says repeat, update and resolved in the first line', () => {
    expect(renderEmail(repeatNotification(), OPTS).text.split('\n')[0]).toBe(
      'REPEAT (still firing since 2026-01-15T10:00:00Z, critical): 2 alerts for fraud@3',
    );
    const update = sampleNotification({ kind: 'update', groupSeq: 2 });
    expect(renderEmail(update, OPTS).text).toMatch(/^UPDATE \(firing, critical\): 2 alerts/);
    const resolved = renderEmail(resolvedNotification(), OPTS);
    expect(resolved.text.split('\n')[0]).toBe('RESOLVED: 2 alerts for fraud@3');
    expect(resolved.text).toContain('resolved at 2026-01-15T11:30:00Z');
    expect(resolved.text).toContain('not breaching');
    expect(resolved.html).toContain('RESOLVED: 2 alerts for fraud@3');
  });

  it('shows flapping, the state reason and missing values', () => {
    const n = sampleNotification({
      alerts: [sampleAlert({ flapping: true, stateReason: 'no sufficient window', value: null })],
    });
    const { text } = renderEmail(n, OPTS);
    expect(text).toContain('FLAPPING');
    expect(text).toContain('no sufficient window');
    expect(text).toContain('psi = n/a');
  });

  it('says when and by whom an alert was silenced, and why (the notification after a silence)', () => {
    const silenced = {
      id: 'c0ffee',
      startsAt: Date.parse('2026-01-15T09:00:00Z'),
      endsAt: Date.parse('2026-01-15T10:30:00Z'),
      createdBy: 'ana',
      comment: 'feature <store> migration',
    };
    const { text, html } = renderEmail(
      sampleNotification({ alerts: [sampleAlert({ silenced })] }),
      OPTS,
    );
    expect(text).toContain(
      'silenced 2026-01-15T09:00:00.000Z – 2026-01-15T10:30:00.000Z by ana (silence c0ffee): feature <store> migration',
    );
    expect(html).toContain('by ana (silence c0ffee): feature &lt;store&gt; migration');
  });

  it('follows a schema alert with a schema section naming the features; others have none', () => {
    const { text, html } = renderEmail(
      sampleNotification({ alerts: [schemaAlert(), sampleAlert()] }),
      OPTS,
    );
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.startsWith('Schema: fraud@3'));
    expect(at).toBeGreaterThan(lines.findIndex((l) => l.startsWith('Alert 1/2: schema_changed')));
    expect(at).toBeLessThan(lines.findIndex((l) => l.startsWith('Alert 2/2')));
    const row = (label: string) =>
      lines
        .slice(at + 1, at + 4)
        .find((l) => l.trimStart().startsWith(`${label}:`))
        ?.slice(`  ${label}:`.length)
        .trim();
    expect(row('new')).toBe('new_signal, <b>promo</b>');
    expect(row('missing')).toBe('age (+3 more)');
    expect(row('wrong type')).toBe('none');
    expect(lines.filter((l) => l.startsWith('Schema:'))).toHaveLength(1);
    expect(html).toContain('new_signal, &lt;b&gt;promo&lt;/b&gt;');
    expect(html).not.toContain('<b>promo');
  });

  it('escapes every untrusted string in the HTML part and links only http(s) URLs', () => {
    const evil = '<script>alert(1)</script>';
    const n = sampleNotification({
      groupLabels: { model: 'fr"aud<b>', model_version: '3' },
      alerts: [
        sampleAlert({ feature: evil, annotations: { runbook_url: 'javascript:alert(1)' } }),
        sampleAlert2({ labels: { team: "r'isk&co" } }),
      ],
      links: { dashboard: 'https://grafana.example.com/d/x?a=1&b="2"', runbook: null },
    });
    const { html, text, subject } = renderEmail(n, OPTS);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<b>');
    expect(html).toContain('fr&quot;aud&lt;b&gt;');
    expect(html).toContain('r&#39;isk&amp;co');
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).toContain('javascript:alert(1)'); // shown, as text
    expect(html).not.toMatch(/<a href="https:\/\/grafana/); // a quote in a URL: not linked
    // The text part keeps the raw name (it is plain text), the subject too.
    expect(text).toContain(evil);
    expect(subject).toContain('fr"aud<b>@3');
  });

  it('keeps untrusted newlines from forging lines in the text part and headers', () => {
    const n = sampleNotification({
      groupKey: 'g\r\nBcc: someone@example.com',
      alerts: [sampleAlert({ feature: 'amount\nRESOLVED: all fine' })],
    });
    const { text, headers } = renderEmail(n, OPTS);
    expect(text.split('\n')).not.toContain('RESOLVED: all fine');
    expect(text).toContain('amount\\u000aRESOLVED: all fine');
    expect(headers['X-Driftwatch-Group']).not.toMatch(/[\r\n]/);
  });

  it('renders a retraining request reasonably', () => {
    const n = sampleNotification({
      kind: 'retrain',
      retrain: {
        requestId: 'rr-0123456789abcdef',
        model: 'fraud',
        modelVersion: '3',
        baseline: 'fraud-3-abcdef012345',
        windowStart: Date.parse('2026-01-15T09:00:00Z'),
        windowEnd: Date.parse('2026-01-15T10:00:00Z'),
        severity: 'critical',
        episodeId: 'ep-3f1c9a0e5b7d42e8-1768471200000',
        firingSince: Date.parse('2026-01-15T03:00:00Z'),
        driftedFeatures: [
          {
            feature: 'amount',
            method: 'psi',
            statistic: 'value',
            value: 0.41,
            threshold: 0.25,
            samples: 40_000,
          },
        ],
      },
    });
    const { subject, text, html } = renderEmail(n, OPTS);
    expect(subject).toBe('[driftwatch] retraining request — fraud@3');
    expect(text.split('\n')[0]).toBe('RETRAINING REQUESTED (critical): fraud@3, 1 drifted feature');
    expect(text).toContain('rr-0123456789abcdef');
    expect(text).toContain('firing since 2026-01-15T03:00:00Z');
    expect(html).toContain('<td style="padding:2px 0;vertical-align:top">0.41</td>');
  });
});

describe('number and time formatting', () => {
  it('uses 4 significant digits, exponents for tiny values, n/a for null', () => {
    expect(fmtNum(0.312345)).toBe('0.3123');
    expect(fmtNum(0.25)).toBe('0.25');
    expect(fmtNum(12.5)).toBe('12.5');
    expect(fmtNum(4210)).toBe('4210');
    expect(fmtNum(0.001)).toBe('0.001');
    expect(fmtNum(0.00001234)).toBe('1.234e-5');
    expect(fmtNum(3e-12)).toBe('3e-12');
    expect(fmtNum(0)).toBe('0');
    expect(fmtNum(null)).toBe('n/a');
    expect(fmtNum(Number.NaN)).toBe('NaN');
  });

  it('prints times as ISO UTC', () => {
    expect(iso(Date.parse('2026-01-15T10:00:00Z'))).toBe('2026-01-15T10:00:00Z');
    expect(iso(Date.parse('2026-01-15T10:00:00.250Z'))).toBe('2026-01-15T10:00:00.250Z');
    expect(iso(null)).toBe('n/a');
  });
});

describe('classifySendError (email notifier)', () => {
  const err = (props: Record<string, unknown>) => Object.assign(new Error('failed'), props);

  it('retries SMTP 4xx replies and connection failures', () => {
    expect(classifySendError(err({ code: 'EENVELOPE', responseCode: 450 }), 'r').kind).toBe(
      'retry',
    );
    expect(classifySendError(err({ code: 'EMESSAGE', responseCode: 421 }), 'r').kind).toBe('retry');
    for (const code of ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'ECONNRESET']) {
      expect(classifySendError(err({ code }), 'r').kind).toBe('retry');
    }
    expect(classifySendError(err({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }), 'r')).toEqual({
      kind: 'retry',
      error: 'email receiver "r": ESOCKET/ECONNREFUSED: failed',
    });
    expect(classifySendError(new Error('something odd'), 'r').kind).toBe('retry');
  });

  it('dead-letters SMTP 5xx replies, bad envelopes and bad credentials', () => {
    const rejected = classifySendError(
      err({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 no such user' }),
      'oncall',
    );
    expect(rejected.kind).toBe('permanent');
    expect(rejected.kind === 'permanent' && rejected.error).toContain('550 5.1.1 no such user');
    expect(classifySendError(err({ code: 'EENVELOPE' }), 'r').kind).toBe('permanent');
    expect(classifySendError(err({ code: 'EMESSAGE', responseCode: 552 }), 'r').kind).toBe(
      'permanent',
    );
    const auth = classifySendError(err({ code: 'EAUTH', responseCode: 535 }), 'oncall');
    expect(auth.kind).toBe('permanent');
    expect(auth.kind === 'permanent' && auth.error).toMatch(/credentials/);
    expect(auth.kind === 'permanent' && auth.error).toContain('"oncall"');
    expect(classifySendError(err({ code: 'ENOAUTH' }), 'r').kind).toBe('permanent');
  });
});
