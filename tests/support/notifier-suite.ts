/**
 * The contract every HTTP notifier (webhook, retrain, Alertmanager) keeps with the durable
 * receiver consumer, run against a real HTTP server on 127.0.0.1: one attempt per `deliver`,
 * never a throw, and the outcome classified by the one shared retry policy (http-post.ts).
 * `make(url)` builds the notifier under test posting to `url`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notifier } from '../../src/delivery/notifiers/notifier.js';
import { sampleNotification } from './notifications.js';
import { WebhookReceiver } from './webhook-receiver.js';

export function httpNotifierSuite(label: string, make: (url: string) => Notifier): void {
  describe(`${label}: the HTTP notifier contract`, () => {
    let receiver: WebhookReceiver;
    let notifier: Notifier;

    beforeEach(async () => {
      receiver = new WebhookReceiver();
      await receiver.start();
      notifier = make(receiver.url('/hook'));
    });

    afterEach(async () => {
      await notifier.close();
      await receiver.stop();
    });

    const deliver = () => notifier.deliver(sampleNotification(), 1, { partition: 0 });

    it('2xx: delivered, in one POST', async () => {
      expect((await deliver()).kind).toBe('delivered');
      expect(receiver.requests).toHaveLength(1);
    });

    it('408, 429, 5xx: retry, not before Retry-After', async () => {
      for (const status of [408, 429, 500, 503]) {
        receiver.respond = () => ({ status, headers: { 'retry-after': '7' } });
        expect(await deliver()).toMatchObject({ kind: 'retry', retryAfterMs: 7_000 });
      }
    });

    it('other 4xx: permanent; 410: permanent and disables the receiver', async () => {
      receiver.respond = () => 400;
      expect(await deliver()).toMatchObject({ kind: 'permanent' });
      receiver.respond = () => 410;
      expect(await deliver()).toMatchObject({ kind: 'permanent', disable: true });
    });

    it('3xx: permanent, the redirect is not followed', async () => {
      receiver.respond = () => ({ status: 302, headers: { location: '/elsewhere' } });
      expect(await deliver()).toMatchObject({ kind: 'permanent' });
      expect(receiver.requests).toHaveLength(1);
    });

    it('nobody listening: retry', async () => {
      await receiver.stop();
      expect((await deliver()).kind).toBe('retry');
    });

    it('closed: retry, nothing sent', async () => {
      await notifier.close();
      expect((await deliver()).kind).toBe('retry');
      expect(receiver.requests).toHaveLength(0);
    });
  });
}
