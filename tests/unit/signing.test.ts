import { describe, expect, it } from 'vitest';
import { parseSecret, signWebhook, verifyWebhook } from '../../src/delivery/notifiers/signing.js';

// The Standard Webhooks reference vector (published with the spec's reference libraries).
// The expected signature was recomputed independently of this code with
// `openssl dgst -sha256 -mac HMAC -macopt hexkey:<base64-decoded secret>` over the signed content.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const SECRET = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
const OLD_SECRET = 'whsec_' + Buffer.from('an older key, still accepted....').toString('base64');
const NOW = 1_700_000_000;

function headers(signature: string, id = 'evt_1', timestamp = NOW) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  };
}

describe('Standard Webhooks signing', () => {
  it('reproduces the reference vector', () => {
    expect(signWebhook([VECTOR.secret], VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(
      VECTOR.signature,
    );
    expect(
      verifyWebhook(
        VECTOR.secret,
        {
          'webhook-id': VECTOR.id,
          'webhook-timestamp': String(VECTOR.timestamp),
          'webhook-signature': VECTOR.signature,
        },
        VECTOR.body,
        { nowSec: VECTOR.timestamp + 10 },
      ),
    ).toBe(true);
  });

  it('decodes whsec_ secrets and takes anything else as raw bytes', () => {
    expect(parseSecret(VECTOR.secret)).toEqual(
      Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'),
    );
    expect(parseSecret(VECTOR.secret)).toHaveLength(24);
    expect(parseSecret('plain secret')).toEqual(Buffer.from('plain secret', 'utf8'));
    expect(() => parseSecret('whsec_not base64!')).toThrow(/not base64/);
    expect(() => parseSecret('whsec_')).toThrow(/not base64/);
    const raw = signWebhook(['plain secret'], 'evt_1', NOW, '{}');
    expect(verifyWebhook('plain secret', headers(raw), '{}', { nowSec: NOW })).toBe(true);
  });

  it('signs with every secret during a rotation; either verifies', () => {
    const sig = signWebhook([SECRET, OLD_SECRET], 'evt_1', NOW, '{"a":1}');
    const parts = sig.split(' ');
    expect(parts).toHaveLength(2);
    for (const p of parts) expect(p).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(verifyWebhook(SECRET, headers(sig), '{"a":1}', { nowSec: NOW })).toBe(true);
    expect(verifyWebhook(OLD_SECRET, headers(sig), '{"a":1}', { nowSec: NOW })).toBe(true);
    expect(verifyWebhook('whsec_' + 'A'.repeat(32), headers(sig), '{"a":1}', { nowSec: NOW })).toBe(
      false,
    );
  });

  it('rejects a tampered body, id or timestamp', () => {
    const sig = signWebhook([SECRET], 'evt_1', NOW, '{"a":1}');
    expect(verifyWebhook(SECRET, headers(sig), '{"a":2}', { nowSec: NOW })).toBe(false);
    expect(verifyWebhook(SECRET, headers(sig), '{"a":1} ', { nowSec: NOW })).toBe(false);
    expect(verifyWebhook(SECRET, headers(sig, 'evt_2'), '{"a":1}', { nowSec: NOW })).toBe(false);
    expect(verifyWebhook(SECRET, headers(sig, 'evt_1', NOW + 1), '{"a":1}', { nowSec: NOW })).toBe(
      false,
    );
  });

  it('rejects stale and future timestamps outside the tolerance', () => {
    const at = (ts: number) => headers(signWebhook([SECRET], 'evt_1', ts, '{}'), 'evt_1', ts);
    expect(verifyWebhook(SECRET, at(NOW - 300), '{}', { nowSec: NOW })).toBe(true);
    expect(verifyWebhook(SECRET, at(NOW - 301), '{}', { nowSec: NOW })).toBe(false);
    expect(verifyWebhook(SECRET, at(NOW + 300), '{}', { nowSec: NOW })).toBe(true);
    expect(verifyWebhook(SECRET, at(NOW + 301), '{}', { nowSec: NOW })).toBe(false);
    expect(verifyWebhook(SECRET, at(NOW - 3600), '{}', { nowSec: NOW, toleranceSec: 7200 })).toBe(
      true,
    );
    // Default clock: a signature made now verifies, one from an hour ago does not.
    const real = Math.floor(Date.now() / 1000);
    expect(verifyWebhook(SECRET, at(real), '{}')).toBe(true);
    expect(verifyWebhook(SECRET, at(real - 3600), '{}')).toBe(false);
  });

  it('rejects malformed headers', () => {
    const sig = signWebhook([SECRET], 'evt_1', NOW, '{}');
    const ok = headers(sig);
    expect(verifyWebhook(SECRET, ok, '{}', { nowSec: NOW })).toBe(true);
    expect(verifyWebhook(SECRET, { ...ok, 'webhook-id': undefined }, '{}', { nowSec: NOW })).toBe(
      false,
    );
    expect(verifyWebhook(SECRET, { ...ok, 'webhook-signature': '' }, '{}', { nowSec: NOW })).toBe(
      false,
    );
    expect(
      verifyWebhook(SECRET, { ...ok, 'webhook-timestamp': `${NOW}.5` }, '{}', { nowSec: NOW }),
    ).toBe(false);
    expect(
      verifyWebhook(SECRET, { ...ok, 'webhook-timestamp': `-${NOW}` }, '{}', { nowSec: NOW }),
    ).toBe(false);
    // Wrong scheme tag, truncated signature: ignored, not accepted.
    expect(
      verifyWebhook(SECRET, { ...ok, 'webhook-signature': sig.replace('v1,', 'v1a,') }, '{}', {
        nowSec: NOW,
      }),
    ).toBe(false);
    expect(
      verifyWebhook(SECRET, { ...ok, 'webhook-signature': sig.slice(0, 20) }, '{}', {
        nowSec: NOW,
      }),
    ).toBe(false);
    // Unknown entries next to a valid one do not hide it.
    expect(
      verifyWebhook(SECRET, { ...ok, 'webhook-signature': `v2,abc v1,bm9wZQ== ${sig}` }, '{}', {
        nowSec: NOW,
      }),
    ).toBe(true);
  });

  it("refuses ids containing '.' (they would make the signed content ambiguous)", () => {
    expect(() => signWebhook([SECRET], 'evt.1', NOW, '{}')).toThrow(/must not contain/);
    expect(() => signWebhook([SECRET], 'evt_1', 1.5, '{}')).toThrow(/integer/);
    // A signature over "evt.1" + timestamp could be replayed as id "evt" with another timestamp.
    const sig = signWebhook([SECRET], 'evt_1', NOW, '{}');
    expect(verifyWebhook(SECRET, headers(sig, 'evt.1'), '{}', { nowSec: NOW })).toBe(false);
  });

  it('returns an empty header value when no secret is configured', () => {
    expect(signWebhook([], 'evt_1', NOW, '{}')).toBe('');
  });
});
