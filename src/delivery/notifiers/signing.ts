/**
 * Standard Webhooks v1 signatures (symmetric, HMAC-SHA256).
 *
 * Signed content is `${webhook-id}.${webhook-timestamp}.${raw body}`; the `webhook-signature`
 * header is a space-separated list of `v1,<base64 HMAC>` (one per secret, so a secret can be
 * rotated without downtime). Secrets are `whsec_<base64>` or, failing that, raw UTF-8 bytes.
 *
 * `verifyWebhook` is what a receiver needs and depends only on node:crypto, so it can be copied
 * into a receiver as is.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The key bytes of a secret: the base64 part of `whsec_…`, else the secret's UTF-8 bytes.
 * A `whsec_` secret whose rest is not base64 throws: it is a typo, and signing with its text
 * would only fail later, at every receiver, as "bad signature".
 */
export function parseSecret(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) return Buffer.from(secret, 'utf8');
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) {
    throw new Error(`webhook secret starts with ${SECRET_PREFIX} but the rest is not base64`);
  }
  return Buffer.from(encoded, 'base64');
}

function hmac(key: Buffer, id: string, timestampSec: number | string, body: string): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestampSec}.${body}`, 'utf8').digest();
}

/** The `webhook-signature` header value: `v1,<base64>` per secret, space-separated. */
export function signWebhook(
  secrets: readonly string[],
  id: string,
  timestampSec: number,
  body: string,
): string {
  if (id.includes('.')) throw new Error(`webhook-id must not contain '.': ${id}`);
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) {
    throw new Error(`webhook-timestamp must be a non-negative integer: ${timestampSec}`);
  }
  return secrets
    .map((s) => `v1,${hmac(parseSecret(s), id, timestampSec, body).toString('base64')}`)
    .join(' ');
}

export interface WebhookHeaders {
  'webhook-id'?: string;
  'webhook-timestamp'?: string;
  'webhook-signature'?: string;
}

/**
 * True when the request carries a valid v1 signature under `secret` and its timestamp lies
 * within `toleranceSec` (default 300) of now, in either direction. `body` must be the raw bytes
 * received, decoded as UTF-8 — not a re-serialized parse.
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string,
  opts: { toleranceSec?: number; nowSec?: number } = {},
): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signature = headers['webhook-signature'];
  if (!id || !timestamp || !signature || id.includes('.')) return false;
  if (!/^\d{1,15}$/.test(timestamp)) return false;

  const nowSec = opts.nowSec ?? Math.floor(Date.now() / 1000);
  const toleranceSec = opts.toleranceSec ?? 300;
  if (Math.abs(nowSec - Number(timestamp)) > toleranceSec) return false;

  const expected = hmac(parseSecret(secret), id, timestamp, body);
  let ok = false;
  for (const entry of signature.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    // Check every entry (no early exit) so timing doesn't reveal which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
  }
  return ok;
}
