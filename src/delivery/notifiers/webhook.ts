/**
 * HTTP webhook receivers (alerts and retraining requests): one signed POST per attempt,
 * classified so the durable consumer knows whether to retry, dead-letter or disable.
 *
 * Headers (Standard Webhooks): `webhook-id` (the notification id, or a retrain request's id;
 * the same on every attempt), `webhook-timestamp` (this attempt, Unix seconds),
 * `webhook-signature` (when secrets are configured), `idempotency-key` (= webhook-id).
 * Redirects are never followed: a 3xx is a configuration error, and following one would send
 * the signed body somewhere nobody configured.
 */
import type { AlertNotification } from '../../../alert-engine/model.js';
import { checkHttpUrl, describeError, postOnce, redactUrl } from './http-post.js';
import type { DeliveryOutcome, Notifier } from './notifier.js';
import { parseSecret, signWebhook } from './signing.js';
import { deliveryId, renderWebhookBody, type WebhookFormat } from './webhook-body.js';

export interface WebhookNotifierOptions {
  name: string;
  type?: 'webhook' | 'retrain';
  url: string;
  /** Signing secret values (`whsec_…` or raw); the first is current, a second one is rotating. */
  secrets: string[];
  format: WebhookFormat;
  /** Per attempt, connect to end of response body. Default 15 s. */
  timeoutMs?: number;
  /** Extra request headers (e.g. authorization); they cannot replace the protocol headers. */
  headers?: Record<string, string>;
  /** This daemon's instance name (the body's `source`). */
  source: string;
  /** PagerDuty integration key (`format: pagerduty`). */
  routingKey?: string;
  userAgent?: string;
  now?: () => number;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 15_000;

export class WebhookNotifier implements Notifier {
  readonly name: string;
  readonly type: 'webhook' | 'retrain';
  private readonly url: string;
  private readonly shownUrl: string;
  private readonly secrets: string[];
  private readonly format: WebhookFormat;
  private readonly timeoutMs: number;
  private readonly extraHeaders: Record<string, string>;
  private readonly source: string;
  private readonly routingKey: string | undefined;
  private readonly userAgent: string;
  private readonly now: () => number;
  private readonly closing = new AbortController();

  constructor(opts: WebhookNotifierOptions) {
    this.name = opts.name;
    this.type = opts.type ?? 'webhook';
    checkHttpUrl(opts.url, `webhook receiver "${opts.name}"`);
    this.url = opts.url;
    this.shownUrl = redactUrl(opts.url);
    for (const s of opts.secrets) parseSecret(s); // a malformed whsec_ secret fails at startup
    this.secrets = [...opts.secrets];
    this.format = opts.format;
    if (this.format === 'pagerduty' && !opts.routingKey) {
      throw new Error(`webhook receiver "${opts.name}": format pagerduty needs a routing key`);
    }
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) extra[k.toLowerCase()] = v;
    this.extraHeaders = extra;
    this.source = opts.source;
    this.routingKey = opts.routingKey;
    this.userAgent = opts.userAgent ?? 'driftwatch';
    this.now = opts.now ?? Date.now;
  }

  private where(): string {
    return `webhook receiver "${this.name}" (${this.shownUrl})`;
  }

  async deliver(n: AlertNotification, _attempt: number): Promise<DeliveryOutcome> {
    if (this.type === 'retrain' && !n.retrain) {
      return {
        kind: 'permanent',
        error: `${this.where()}: notification ${n.id} has no retrain evidence`,
      };
    }

    let body: string;
    const headers: Record<string, string> = { ...this.extraHeaders };
    try {
      const id = deliveryId(n);
      const timestamp = Math.floor(this.now() / 1000);
      body = renderWebhookBody(n, this.format, {
        source: this.source,
        ...(this.routingKey ? { routingKey: this.routingKey } : {}),
      });
      headers['content-type'] = 'application/json';
      headers['user-agent'] = this.userAgent;
      headers['webhook-id'] = id;
      headers['webhook-timestamp'] = String(timestamp);
      headers['idempotency-key'] = id;
      if (this.secrets.length > 0) {
        headers['webhook-signature'] = signWebhook(this.secrets, id, timestamp, body);
      } else {
        delete headers['webhook-signature'];
      }
    } catch (err) {
      return {
        kind: 'permanent',
        error: `${this.where()}: cannot build request: ${describeError(err)}`,
      };
    }

    return postOnce({
      url: this.url,
      headers,
      body,
      timeoutMs: this.timeoutMs,
      closing: this.closing.signal,
      where: this.where(),
      now: this.now,
    });
  }

  close(): Promise<void> {
    this.closing.abort();
    return Promise.resolve();
  }
}
