/**
 * One HTTP POST of a notifier (webhook, retrain, Alertmanager) and what it came to, classified
 * once for every HTTP receiver so they share one retry policy:
 *
 * | response                        | outcome                                                  |
 * | ------------------------------- | -------------------------------------------------------- |
 * | 2xx                             | delivered                                                |
 * | 408, 429, 5xx, network, timeout | retry (not before Retry-After, when given)               |
 * | 410                             | permanent, disable the receiver                          |
 * | 3xx                             | permanent: redirects are never followed (a configuration |
 * |                                 | error, and the body would go somewhere nobody chose)     |
 * | other 4xx                       | permanent                                                |
 */
import { parseRetryAfter } from './backoff.js';
import type { DeliveryOutcome } from './notifier.js';

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

/** A receiver's http(s) URL, checked at start-up; `what` names the receiver in the error. */
export function checkHttpUrl(url: string, what: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${what}: invalid url`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`${what}: url must be http(s), got ${parsed.protocol}`);
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

export function describeError(err: unknown): string {
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

export interface HttpPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Per attempt, connect to end of response body. */
  timeoutMs: number;
  /** Aborted when the notifier closes. */
  closing: AbortSignal;
  /** How the receiver is named in outcomes, e.g. `webhook receiver "ops" (https://…)`. */
  where: string;
  now: () => number;
}

/** One POST, never throwing: every failure is an outcome (see the table above). */
export async function postOnce(p: HttpPost): Promise<DeliveryOutcome> {
  if (p.closing.aborted) return { kind: 'retry', error: `${p.where}: notifier closed` };
  const timeout = AbortSignal.timeout(p.timeoutMs);
  const signal = AbortSignal.any([timeout, p.closing]);
  let res: Response;
  let text: string;
  try {
    res = await fetch(p.url, {
      method: 'POST',
      headers: p.headers,
      body: p.body,
      redirect: 'manual',
      signal,
    });
    const ok = res.status >= 200 && res.status < 300;
    // Success bodies are not interesting; release them without reading much.
    text = await readPrefix(res, ok ? 0 : ERROR_BODY_READ_BYTES);
  } catch (err) {
    const reason = timeout.aborted
      ? `timed out after ${p.timeoutMs} ms`
      : p.closing.aborted
        ? 'aborted: notifier closed'
        : describeError(err);
    return { kind: 'retry', error: `${p.where}: ${reason}` };
  }

  const status = res.status;
  if (status >= 200 && status < 300) {
    return { kind: 'delivered', detail: `${p.where}: HTTP ${status}` };
  }
  const error = `${p.where}: HTTP ${status}${quote(text)}`;
  if (status === 410) return { kind: 'permanent', error, disable: true };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), p.now());
    return retryAfterMs === undefined
      ? { kind: 'retry', error }
      : { kind: 'retry', error, retryAfterMs };
  }
  if (status >= 300 && status < 400) {
    const location = res.headers.get('location');
    const to = location ? ` to ${redactUrl(resolveUrl(location, p.url))}` : '';
    return { kind: 'permanent', error: `${error} (redirect${to} not followed)` };
  }
  return { kind: 'permanent', error };
}
