import { createServer } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { EmailNotifier } from '../../src/delivery/notifiers/email.js';
import { Mailpit, type MailpitMessage } from '../support/mailpit.js';
import { resolvedNotification, sampleNotification } from '../support/notifications.js';

const services = inject('services');
const MAIL_DOMAIN = 'alerts.driftwatch.test';
const mail = new Mailpit(services);

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe(`EmailNotifier through a real SMTP server (${inject('servicesMode')})`, () => {
  const notifiers: EmailNotifier[] = [];
  afterAll(async () => {
    await Promise.all(notifiers.map((n) => n.close()));
  });

  it('delivers firing and resolved of one episode as one thread, text and HTML', async () => {
    const run = `${Date.now()}-${Math.random().toString(16).slice(2, 8)}`;
    const to = `oncall-${run}@driftwatch.test`;
    const notifier = new EmailNotifier({
      name: 'oncall-email',
      to: [to],
      from: 'driftwatch@driftwatch.test',
      mailDomain: MAIL_DOMAIN,
      smtp: { ...services.smtp, secure: false, user: 'driftwatch', password: 'secret' },
    });
    notifiers.push(notifier);
    await notifier.verify();

    // Unique ids per run, so Message-IDs never repeat across runs against the same Mailpit.
    const firing = sampleNotification({
      id: `n-${run}-0001`,
      groupEpisodeId: `gep-${run}`,
    });
    const resolved = resolvedNotification(firing);
    const sentFiring = await notifier.deliver(firing, 1);
    const sentResolved = await notifier.deliver(resolved, 1);
    expect(sentFiring.kind).toBe('delivered');
    expect(sentResolved.kind).toBe('delivered');
    expect(sentFiring.kind === 'delivered' && sentFiring.detail).toContain(
      `n-${run}-0001@${MAIL_DOMAIN}`,
    );

    const found = await mail.messagesTo(to, 2);
    expect(found).toHaveLength(2);
    const root = `<ep-gep-${run}@${MAIL_DOMAIN}>`;
    const byId = new Map<string, { message: MailpitMessage; header: (n: string) => string[] }>();
    for (const summary of found) {
      const message = await mail.message(summary.ID);
      byId.set(message.MessageID.replace(/^<|>$/g, ''), {
        message,
        header: await mail.headersOf(summary.ID),
      });
    }
    const first = byId.get(`n-${run}-0001@${MAIL_DOMAIN}`);
    const last = byId.get(`n-${run}-0003@${MAIL_DOMAIN}`);
    expect(first, `Message-IDs received: ${[...byId.keys()].join(', ')}`).toBeDefined();
    expect(last).toBeDefined();
    if (!first || !last) return;

    expect(first.message.Subject).toBe('[driftwatch] drift_high — fraud@3');
    expect(last.message.Subject).toBe(first.message.Subject);
    for (const { header } of [first, last]) {
      expect(header('In-Reply-To')).toEqual([root]);
      expect(header('References')).toEqual([root]);
      expect(header('Auto-Submitted')).toEqual(['auto-generated']);
    }
    expect(first.header('X-Driftwatch-Status')).toEqual(['firing']);
    expect(last.header('X-Driftwatch-Status')).toEqual(['resolved']);
    expect(last.header('X-Driftwatch-Kind')).toEqual(['resolved']);
    expect(first.header('X-Driftwatch-Episode')).toEqual([`gep-${run}`]);

    expect(first.message.Text).toMatch(/^FIRING \(new, critical\): 2 alerts for fraud@3/);
    expect(first.message.Text).toContain('psi = 0.3123');
    expect(first.message.HTML).toContain('<table');
    expect(first.message.HTML).toContain('psi = 0.3123');
    expect(last.message.Text).toMatch(/^RESOLVED: 2 alerts for fraud@3/);
    expect(last.message.HTML).toContain('RESOLVED: 2 alerts for fraud@3');
  });

  it('reports a server that does not answer as retry', async () => {
    const notifier = new EmailNotifier({
      name: 'nowhere',
      to: ['oncall@driftwatch.test'],
      from: 'driftwatch@driftwatch.test',
      mailDomain: MAIL_DOMAIN,
      smtp: { host: '127.0.0.1', port: await closedPort(), secure: false },
      timeoutMs: 5_000,
    });
    notifiers.push(notifier);
    const outcome = await notifier.deliver(sampleNotification(), 1);
    expect(outcome.kind).toBe('retry');
    expect(outcome.kind === 'retry' && outcome.error).toContain('email receiver "nowhere"');
    await expect(notifier.verify()).rejects.toThrow(/nowhere/);
  });
});
