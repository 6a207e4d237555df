import { describe, expect, inject, it } from 'vitest';
import { createMailTransport } from '../../src/delivery/notifiers/email-transport.js';

const services = inject('services');

interface MailpitSummary {
  ID: string;
  Subject: string;
  To: { Address: string }[];
}

describe(`mail through a real SMTP server (${inject('servicesMode')})`, () => {
  it('a message sent with nodemailer arrives and can be read back through the mail API', async () => {
    const to = `oncall-${Date.now()}@driftwatch.test`;
    const transport = createMailTransport({
      ...services.smtp,
      secure: false,
      user: 'driftwatch',
      password: 'secret',
    });
    const info = await transport.sendMail({
      from: 'driftwatch@driftwatch.test',
      to,
      subject: '[driftwatch] fraud v3: feature b drifted (PSI 0.61)',
      text: 'PSI for feature b is 0.61 (threshold 0.2).\nRunbook: https://runbooks.example/drift',
    });
    transport.close();
    expect(info.accepted).toEqual([to]);

    const search = `${services.mailApiUrl}/api/v1/search?query=${encodeURIComponent(`to:"${to}"`)}`;
    let found: MailpitSummary | undefined;
    for (let i = 0; i < 50 && !found; i++) {
      const body = (await (await fetch(search)).json()) as { messages: MailpitSummary[] };
      found = body.messages[0];
      if (!found) await new Promise((r) => setTimeout(r, 100));
    }
    expect(found?.Subject).toBe('[driftwatch] fraud v3: feature b drifted (PSI 0.61)');
    const full = (await (
      await fetch(`${services.mailApiUrl}/api/v1/message/${found?.ID}`)
    ).json()) as { Text: string };
    expect(full.Text).toContain('Runbook: https://runbooks.example/drift');
  });
});
