/**
 * A retraining/webhook receiver in a few lines, as a training pipeline would run it: verify
 * the Standard Webhooks signature over the raw body, drop replays by webhook-id, answer 2xx.
 * `npx tsx scripts/demo-receiver.ts` listens on :18099 with DRIFTWATCH_WEBHOOK_SECRET.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../src/delivery/notifiers/signing.js';

export interface ReceivedWebhook {
  path: string;
  id: string;
  verified: boolean;
  body: Record<string, unknown>;
}

export function startReceiver(
  secret: string,
  port: number,
  onRequest: (r: ReceivedWebhook) => void,
): Promise<{ server: Server; port: number }> {
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8'); // sign and verify the exact bytes
      const header = (name: string) => req.headers[name] as string | undefined;
      const verified = verifyWebhook(
        secret,
        {
          'webhook-id': header('webhook-id'),
          'webhook-timestamp': header('webhook-timestamp'),
          'webhook-signature': header('webhook-signature'),
        },
        raw,
      );
      if (!verified) {
        res.writeHead(401).end('bad signature');
        return;
      }
      const id = header('webhook-id') ?? '';
      if (!seen.has(id)) {
        seen.add(id); // a redelivery (same webhook-id) is acknowledged, not acted on twice
        onRequest({
          path: req.url ?? '/',
          id,
          verified,
          body: JSON.parse(raw) as Record<string, unknown>,
        });
      }
      res.writeHead(202).end('accepted');
    });
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as AddressInfo).port }),
    ),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const secret = process.env.DRIFTWATCH_WEBHOOK_SECRET;
  if (!secret) throw new Error('set DRIFTWATCH_WEBHOOK_SECRET (whsec_…)');
  void startReceiver(secret, Number(process.env.PORT ?? 18099), (r) =>
    process.stdout.write(`${r.path} ${r.id} ${JSON.stringify(r.body)}\n`),
  ).then(({ port }) => process.stdout.write(`receiver listening on 127.0.0.1:${port}\n`));
}
