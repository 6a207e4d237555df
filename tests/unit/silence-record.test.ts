import { describe, expect, it } from 'vitest';
import {
  createSilence,
  decodeSilence,
  expireSilence,
  newSilenceSchema,
  parseMatcher,
  silenceMessage,
} from '../../src/alerting/silence-record.js';
import { DriftwatchError } from '../../src/errors.js';

const NOW = Date.UTC(2026, 5, 1, 12);
const HOUR = 3_600_000;

const request = (p: Record<string, unknown>) =>
  newSilenceSchema.parse({
    matchers: [{ name: 'model', value: 'fraud' }],
    createdBy: 'ana',
    ...p,
  });

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return err instanceof DriftwatchError ? err.code : 'other';
  }
  return undefined;
};

describe('silence records', () => {
  it('parses matchers: name=value is equality, name~glob a glob', () => {
    expect(parseMatcher('model=fraud')).toEqual({ name: 'model', value: 'fraud', glob: false });
    expect(parseMatcher('feature~amount_*')).toEqual({
      name: 'feature',
      value: 'amount_*',
      glob: true,
    });
    expect(parseMatcher('model_version=3=4')).toEqual({
      name: 'model_version',
      value: '3=4',
      glob: false,
    });
    for (const bad of ['model', '=fraud', 'model=', 'mo del=x']) {
      expect(codeOf(() => parseMatcher(bad))).toBe('SILENCE_INVALID');
    }
  });

  it('starts now by default and ends after the duration or at the end given', () => {
    const s = createSilence(request({ duration: '2h', comment: 'migration' }), NOW);
    expect(s).toMatchObject({ startsAt: NOW, endsAt: NOW + 2 * HOUR, createdBy: 'ana' });
    expect(s.id).toMatch(/^[0-9a-f-]{36}$/);
    const at = createSilence(
      request({ startsAt: new Date(NOW + HOUR).toISOString(), endsAt: NOW + 3 * HOUR }),
      NOW,
    );
    expect([at.startsAt, at.endsAt]).toEqual([NOW + HOUR, NOW + 3 * HOUR]);
  });

  it('refuses an end not after the start, no end, or both forms', () => {
    expect(codeOf(() => createSilence(request({}), NOW))).toBe('SILENCE_INVALID');
    expect(codeOf(() => createSilence(request({ endsAt: NOW - 1 }), NOW))).toBe('SILENCE_INVALID');
    expect(
      codeOf(() => createSilence(request({ startsAt: NOW + HOUR, endsAt: NOW + HOUR }), NOW)),
    ).toBe('SILENCE_INVALID');
    expect(codeOf(() => createSilence(request({ duration: '1h', endsAt: NOW + HOUR }), NOW))).toBe(
      'SILENCE_INVALID',
    );
    expect(codeOf(() => createSilence(request({ duration: 'soon' }), NOW))).toBe('SILENCE_INVALID');
  });

  it('expiring ends it now; a silence not yet begun never holds; over stays over', () => {
    const s = createSilence(request({ duration: '2h' }), NOW);
    expect(expireSilence(s, NOW + HOUR)).toMatchObject({
      endsAt: NOW + HOUR,
      updatedAt: NOW + HOUR,
    });
    const later = createSilence(request({ startsAt: NOW + HOUR, duration: '1h' }), NOW);
    const expired = expireSilence(later, NOW);
    expect(expired.endsAt).toBe(expired.startsAt);
    expect(expireSilence(s, NOW + 5 * HOUR)).toBe(s);
  });

  it('round-trips through its Kafka record, keyed by id', () => {
    const s = createSilence(request({ duration: '1h' }), NOW);
    const m = silenceMessage(s);
    expect(m.key).toBe(s.id);
    expect(decodeSilence(Buffer.from(m.value as string))).toEqual(s);
    expect(() => decodeSilence(Buffer.from('{"v":2}'))).toThrow();
  });
});
