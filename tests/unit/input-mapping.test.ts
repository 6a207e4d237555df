import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { formatIssues } from '../../src/zod-issues.js';
import { eventsOf, expectRefusal, readWith } from '../support/input-source.js';

const nested = {
  meta: { model: 'fraud', version: 3, ts: '2026-01-01T00:00:00.000Z', request_id: 'r-1' },
  payload: { features: { amount: 12.5, country: 'DE', vip: true, note: null } },
  output: { score: 0.87 },
  truth: 1,
};

const mapping = {
  model: '/meta/model',
  version: 'meta.version',
  timestamp: '/meta/ts',
  id: '/meta/request_id',
  features: '/payload/features',
  prediction: '/output/score',
  label: 'truth',
};

describe('input.mapping: where each field of an event is', () => {
  it('extracts a nested message into the default event', () => {
    expect(eventsOf(readWith(mapping, nested))).toEqual([
      {
        model: 'fraud',
        model_version: '3',
        timestamp: Date.parse('2026-01-01T00:00:00.000Z'),
        id: 'r-1',
        features: { amount: 12.5, country: 'DE', vip: true, note: null },
        prediction: 0.87,
        label: 1,
      },
    ]);
  });

  it.each([
    ['iso', '2026-01-01T00:00:01.500+01:00', Date.parse('2026-01-01T00:00:01.500+01:00')],
    ['s', 1_767_225_601.5, 1_767_225_601_500],
    ['ms', 1_767_225_601_500, 1_767_225_601_500],
    ['us', 1_767_225_601_500_250, 1_767_225_601_500.25],
    ['auto', 1_767_225_601_500, 1_767_225_601_500],
    ['auto', '2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:00:00Z')],
  ])('reads a timestamp in unit %s', (unit, ts, ms) => {
    const [event] = eventsOf(
      readWith(
        { ...mapping, timestamp: { path: '/meta/ts', unit } },
        { ...nested, meta: { ...nested.meta, ts } },
      ),
    );
    expect(event?.timestamp).toBe(ms);
  });

  it('takes the Kafka record timestamp when asked, or as the fallback of a list', () => {
    const noTs = { ...nested, meta: { ...nested.meta, ts: undefined } };
    const [fromRecord] = eventsOf(
      readWith({ ...mapping, timestamp: { kafkaTimestamp: true } }, nested, {
        timestamp: 1_700_000_000_123,
      }),
    );
    expect(fromRecord?.timestamp).toBe(1_700_000_000_123);
    const [fallback] = eventsOf(
      readWith({ ...mapping, timestamp: ['/meta/ts', { kafkaTimestamp: true }] }, noTs, {
        timestamp: 42,
      }),
    );
    expect(fallback?.timestamp).toBe(42);
  });

  it.each([
    [
      { path: '/meta/ts', unit: 's' },
      'later',
      'BAD_TIMESTAMP',
      '/meta/ts: "later" is not a number (epoch s)',
    ],
    [
      { path: '/meta/ts', unit: 'iso' },
      1_767_225_600,
      'BAD_TIMESTAMP',
      '/meta/ts: 1767225600 is not an ISO 8601 string',
    ],
    [{ path: '/meta/ts', unit: 'ms' }, -5, 'BAD_TIMESTAMP', '/meta/ts: -5 (ms) is not a time'],
    [
      { path: '/meta/ts', unit: 'auto' },
      '2026-01-01 10:00',
      'BAD_TIMESTAMP',
      'is not an ISO 8601 date-time',
    ],
    ['/meta/ts', undefined, 'FIELD_MISSING', 'timestamp: nothing at /meta/ts'],
  ])('refuses timestamp %j = %j with %s naming the path', (timestamp, ts, code, reason) => {
    const result = readWith({ ...mapping, timestamp }, { ...nested, meta: { ...nested.meta, ts } });
    expectRefusal(result, code, reason);
  });

  it('reads features as names + values lists, every field except some, or one path each', () => {
    const flat = {
      model: 'fraud',
      v: '3',
      ts: 5,
      amount: 1.5,
      country: 'FR',
      cols: ['a', 'b'],
      vals: [1, 'x'],
    };
    const base = { model: '/model', version: '/v', timestamp: '/ts' };
    expect(
      eventsOf(readWith({ ...base, features: { names: '/cols', values: '/vals' } }, flat))[0]
        ?.features,
    ).toEqual({
      a: 1,
      b: 'x',
    });
    expect(
      eventsOf(
        readWith({ ...base, features: { except: ['model', 'v', 'ts', 'cols', 'vals'] } }, flat),
      )[0]?.features,
    ).toEqual({ amount: 1.5, country: 'FR' });
    expect(
      eventsOf(
        readWith(
          { ...base, features: { except: ['c'], at: '/meta' } },
          { ...flat, meta: { a: 1, c: 2 } },
        ),
      )[0]?.features,
    ).toEqual({ a: 1 });
    expect(
      eventsOf(
        readWith(
          { ...base, features: { fields: { amt: '/amount', first: '/cols/0', gone: '/nope' } } },
          flat,
        ),
      )[0]?.features,
    ).toEqual({ amt: 1.5, first: 'a' });
  });

  it.each([
    [
      { path: '/payload/features' },
      { payload: { features: { a: { b: 1 } } } },
      'FEATURE_NOT_SCALAR',
      '/payload/features/a',
    ],
    [
      { path: '/payload/features' },
      { payload: { features: [1] } },
      'FIELD_INVALID',
      'features at /payload/features is a list',
    ],
    [
      { path: '/payload/features' },
      { payload: {} },
      'FIELD_MISSING',
      'features: nothing at /payload/features',
    ],
    [
      { names: '/n', values: '/v' },
      { n: ['a'], v: [1, 2] },
      'FEATURES_MISMATCH',
      '1 feature names at /n but 2 values at /v',
    ],
    [
      { names: '/n', values: '/v' },
      { n: ['a', 'a'], v: [1, 2] },
      'FEATURES_MISMATCH',
      'appears twice',
    ],
    [
      { names: '/n', values: '/v' },
      { n: [1], v: [1] },
      'FEATURES_MISMATCH',
      'feature name at /n/0',
    ],
    [{ names: '/n', values: '/v' }, { n: ['a'], v: [[1]] }, 'FEATURE_NOT_SCALAR', '/v/0'],
    [{ except: [] }, { x: { y: 1 } }, 'FEATURE_NOT_SCALAR', 'feature at /x is an object'],
    [{ fields: { a: 'p.q' } }, { p: { q: [1] } }, 'FEATURE_NOT_SCALAR', 'feature at p.q is a list'],
  ])('refuses features %j of %j with %s naming the path', (features, body, code, reason) => {
    const message = { model: 'm', ver: '1', ts: 5, ...body };
    const result = readWith(
      { model: '/model', version: '/ver', timestamp: '/ts', features },
      message,
    );
    expectRefusal(result, code, reason);
  });

  it('takes model and version from a header, the topic name or a constant', () => {
    const body = { ts: 5, f: { a: 1 } };
    const result = readWith(
      {
        model: { topic: '^preds\\.(.+)$' },
        version: { header: 'model-version' },
        timestamp: '/ts',
        features: '/f',
      },
      body,
      { topic: 'preds.fraud', headers: { 'model-version': Buffer.from('7') } },
    );
    expect(eventsOf(result)[0]).toMatchObject({ model: 'fraud', model_version: '7' });
    const constant = readWith(
      { model: { topic: 'preds' }, version: { value: 'v1' }, timestamp: '/ts', features: '/f' },
      body,
      {
        topic: 'preds.fraud',
      },
    );
    expect(eventsOf(constant)[0]).toMatchObject({ model: 'preds', model_version: 'v1' });
    const firstPresent = readWith(
      {
        model: ['/model', { header: 'x-model' }],
        version: { value: '1' },
        timestamp: '/ts',
        features: '/f',
      },
      body,
      { headers: { 'x-model': 'from-header' } },
    );
    expect(eventsOf(firstPresent)[0]?.model).toBe('from-header');
  });

  it('refuses a message whose model is missing, or not a string, naming where it looked', () => {
    const m = {
      model: { topic: '^preds\\.(.+)$' },
      version: { value: '1' },
      timestamp: '/ts',
      features: '/f',
    };
    expect(readWith(m, { ts: 5, f: {} }, { topic: 'other' })).toMatchObject({
      code: 'FIELD_MISSING',
      reason: 'model: nothing at topic /^preds\\.(.+)$/',
    });
    expectRefusal(
      readWith({ ...m, model: '/m' }, { m: { x: 1 }, ts: 5, f: {} }),
      'FIELD_INVALID',
      'model at /m is an object',
    );
    expectRefusal(
      readWith({ ...m, model: '/m', prediction: '/p' }, { m: 'x', p: [1], ts: 5, f: {} }),
      'FIELD_INVALID',
      'prediction at /p',
    );
  });

  it('applies the limits to mapped events, control characters from headers included', () => {
    const m = {
      model: { header: 'model' },
      version: { value: '1' },
      timestamp: '/ts',
      features: '/f',
    };
    expect(readWith(m, { ts: 5, f: {} }, { headers: { model: 'a\u0001b' } })).toMatchObject({
      code: 'INVALID_NAME',
    });
    expect(readWith(m, { ts: 5, f: {} }, { headers: { model: 'x'.repeat(300) } })).toMatchObject({
      code: 'FIELD_TOO_LONG',
    });
  });

  it('keeps EMPTY and NOT_JSON from the payload decoder', () => {
    expect(readWith(mapping, '')).toMatchObject({ code: 'EMPTY' });
    expect(readWith(mapping, '{nope')).toMatchObject({ code: 'NOT_JSON' });
  });
});

describe('input.mapping in the config file', () => {
  const base = {
    kafka: { brokers: ['k:9092'], topic: 't', deadLetterTopic: 'd' },
    influx: { url: 'http://i:8086', org: 'o', bucket: 'b' },
    baselines: { dir: 'b' },
  };
  const issues = (input: unknown) => {
    const r = configSchema.safeParse({ ...base, input });
    return r.success ? '' : formatIssues(r.error.issues);
  };

  it('is optional: without it, messages are the default shape', () => {
    expect(configSchema.parse(base).input).toEqual({ format: 'json', topics: [] });
  });

  it('names the bad key of a mapping', () => {
    expect(
      issues({ mapping: { ...mapping, timestamp: { path: '/t', unit: 'minutes' } } }),
    ).toContain('input.mapping.timestamp');
    expect(issues({ mapping: { ...mapping, model: 'a..b' } })).toContain('input.mapping.model');
    expect(issues({ mapping: { ...mapping, model: { topic: '(' } } })).toContain(
      'input.mapping.model',
    );
    expect(issues({ mapping: { ...mapping, modle: '/m' } })).toContain('modle');
    const noFeatures: Record<string, unknown> = { ...mapping };
    delete noFeatures.features;
    expect(issues({ mapping: noFeatures })).toContain('input.mapping.features: required');
    expect(issues({ mapping: { ...mapping, oip: {} } })).toContain(
      'input.mapping.oip: only with preset',
    );
    expect(issues({ mapping: { preset: 'oip-v2', features: '/f' } })).toContain(
      'input.mapping.features: not with preset',
    );
  });
});
