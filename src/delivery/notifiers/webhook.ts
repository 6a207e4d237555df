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
import { parseRetryAfter } from './backoff.js';
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
/** How much of an error response's body is read and quoted. */
const ERROR_BODY_READ_BYTES = 4096;
const ERROR_BODY_QUOTE_CHARS = 200;

/** A URL as it may appear in logs: no user info, no query string, no fragment. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '<invalid url>';
  }
}

/** The first bytes of a response body as text (the rest is discarded, the stream released). */
async function readPrefix(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (chunk.done || !chunk.value) break;
      chunks.push(chunk.value);
      size += chunk.value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

function resolveUrl(location: string, base: string): string {
  try {
    return new URL(location, base).href;
  } catch {
    return location;
  }
}

function quote(body: string): string {
  const text = body.replace(/\s+/g, ' ').trim();
  if (text === '') return '';
  const cut =
    text.length > ERROR_BODY_QUOTE_CHARS ? `${text.slice(0, ERROR_BODY_QUOTE_CHARS)}…` : text;
  return `: ${cut}`;
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch() wraps socket errors: "fetch failed" with the useful part in `cause`.
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code)
      ? `${code} ${cause.message}`
      : cause.message;
  }
  return err.message;
}

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
    let parsed: URL;
    try {
      parsed = new URL(opts.url);
    } catch {
      throw new Error(`webhook receiver "${opts.name}": invalid url`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new Error(
        `webhook receiver "${opts.name}": url must be http(s), got ${parsed.protocol}`,
      );
    }
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
    if (this.closing.signal.aborted) {
      return { kind: 'retry', error: `${this.where()}: notifier closed` };
    }
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

    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = AbortSignal.any([timeout, this.closing.signal]);
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url, { method: 'POST', headers, body, redirect: 'manual', signal });
      const ok = res.status >= 200 && res.status < 300;
      // Success bodies are not interesting; release them without reading much.
      text = await readPrefix(res, ok ? 0 : ERROR_BODY_READ_BYTES);
    } catch (err) {
      const reason = timeout.aborted
        ? `timed out after ${this.timeoutMs} ms`
        : this.closing.signal.aborted
          ? 'aborted: notifier closed'
          : describeError(err);
      return { kind: 'retry', error: `${this.where()}: ${reason}` };
    }

    const status = res.status;
    if (status >= 200 && status < 300) {
      return { kind: 'delivered', detail: `${this.where()}: HTTP ${status}` };
    }
    const error = `${this.where()}: HTTP ${status}${quote(text)}`;
    if (status === 410) return { kind: 'permanent', error, disable: true };
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.now());
      return retryAfterMs === undefined
        ? { kind: 'retry', error }
        : { kind: 'retry', error, retryAfterMs };
    }
    if (status >= 300 && status < 400) {
      const location = res.headers.get('location');
      const to = location ? ` to ${redactUrl(resolveUrl(location, this.url))}` : '';
      return { kind: 'permanent', error: `${error} (redirect${to} not followed)` };
    }
    return { kind: 'permanent', error };
  }

  close(): Promise<void> {
    this.closing.abort();
    return Promise.resolve();
  }
}
