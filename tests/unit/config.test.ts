import { describe, expect, it } from 'vitest';
import { driftSettingsFrom } from '../../src/drift/window-points.js';
import { parseConfig } from '../../src/config/load.js';
import { parseByteSize } from '../../src/config/byte-size.js';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { DriftwatchError } from '../../src/errors.js';

const VALID = `
kafka:
  brokers: ["127.0.0.1:9092"]
  topic: predictions
  deadLetterTopic: predictions.dlq
influx:
  url: http://127.0.0.1:8086
  org: acme
  bucket: drift
windows:
  size: 5m
baselines:
  dir: ./baselines
`;

function errorOf(fn: () => unknown): DriftwatchError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DriftwatchError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

const parse = (text: string) => parseConfig(text, 'x.yaml', { INFLUX_TOKEN: 't' });

/** VALID with one more `kafka` key. */
const withKafka = (line: string) =>
  VALID.replace('deadLetterTopic: predictions.dlq', `deadLetterTopic: predictions.dlq\n  ${line}`);

describe('configuration', () => {
  it('parses a valid file, applies defaults and takes the token from env', () => {
    const config = parseConfig(VALID, '/etc/driftwatch/driftwatch.yaml', {
      INFLUX_TOKEN: 's3cret',
    });
    expect(config.windows.size).toBe(300_000);
    expect(config.kafka.groupId).toBe('driftwatch');
    expect(config.baselines.dir).toBe('/etc/driftwatch/baselines');
    expect(config.secrets.influxToken).toBe('s3cret');
    expect(config.drift).toMatchObject({
      methods: { numeric: ['ks', 'psi'], categorical: ['chi_square', 'psi'] },
      thresholds: { psi: 0.25, psiWarning: 0.1, psiAlpha: 0.05, ks: 0.05, chiSquare: 0.05 },
      minSamples: 30,
      minExpected: { psi: 10, chiSquare: 5 },
      ksMaxExactWork: 1e4,
      correction: 'benjamini_hochberg',
    });
  });

  it('checks drift methods per feature type and keeps the deprecated psiThreshold working', () => {
    const withDrift = (drift: string) =>
      errorOf(() => parseConfig(`${VALID}\ndrift:\n${drift}`, 'd.yaml', { INFLUX_TOKEN: 'x' }));
    expect(withDrift('  methods: { categorical: [ks] }').message).toContain(
      'drift.methods.categorical[0]',
    );
    expect(withDrift('  features: { amount: { thresholds: { ks: 2 } } }').message).toContain(
      'drift.features.amount.thresholds.ks',
    );
    expect(withDrift('  thresholds: { psi: 0.1, psiWarning: 0.2 }').message).toContain(
      'drift.thresholds.psiWarning: psiWarning must not exceed psi',
    );
    const legacy = parseConfig(`${VALID}\ndrift:\n  psiThreshold: 0.2`, 'd.yaml', {
      INFLUX_TOKEN: 'x',
    });
    expect(driftSettingsFrom(legacy.drift).thresholds.psi).toBe(0.2);
  });

  it('names the path of every bad key and what was expected', () => {
    const bad = VALID.replace('brokers: ["127.0.0.1:9092"]', 'brokers: [9092]')
      .replace('size: 5m', 'size: five minutes')
      .replace('org: acme', 'org: acme\n  orgg: typo');
    const err = errorOf(() => parseConfig(bad, 'driftwatch.yaml', { INFLUX_TOKEN: 'x' }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(
      'kafka.brokers[0]: Invalid input: expected string, received number',
    );
    expect(err.message).toContain(
      'windows.size: expected a duration such as "30s", "5m" or "1h", got "five minutes"',
    );
    expect(err.message).toMatch(/influx: Unrecognized key: "orgg"/);
  });

  it('takes additional window sizes only as larger multiples of windows.size', () => {
    const ok = parseConfig(
      VALID.replace('size: 5m', 'size: 5m\n  additionalSizes: [1h, 1d]'),
      'd.yaml',
      {
        INFLUX_TOKEN: 'x',
      },
    );
    expect(ok.windows.additionalSizes).toEqual([3_600_000, 86_400_000]);
    const bad = VALID.replace('size: 5m', 'size: 5m\n  additionalSizes: [7m, 5m, 1h, 1h]');
    const err = errorOf(() => parseConfig(bad, 'd.yaml', { INFLUX_TOKEN: 'x' }));
    for (const i of [0, 1, 3]) {
      expect(err.message).toContain(
        `windows.additionalSizes[${i}]: expected a multiple of windows.size`,
      );
    }
    expect(err.message).not.toContain('windows.additionalSizes[2]');
  });

  it('takes windows.count with maxSpan 1d by default, and no maxSpan below windows.size', () => {
    const parse = (count: string) =>
      parseConfig(VALID.replace('size: 5m', `size: 5m\n  count: ${count}`), 'd.yaml', {
        INFLUX_TOKEN: 'x',
      });
    expect(parse('{ events: 500 }').windows.count).toEqual({ events: 500, maxSpan: 86_400_000 });
    expect(errorOf(() => parse('{ events: 500, maxSpan: 1m }')).message).toContain(
      'windows.count.maxSpan: expected at least windows.size',
    );
    expect(errorOf(() => parse('{ events: 0 }')).message).toContain('windows.count.events');
  });

  it('refuses a windows.count.maxSpan longer than the partials topic keeps (7d): a restart could not re-read its panes', () => {
    const parse = (count: string) =>
      parseConfig(VALID.replace('size: 5m', `size: 5m\n  count: ${count}`), 'd.yaml', {
        INFLUX_TOKEN: 'x',
      });
    expect(() => parse('{ events: 500, maxSpan: 30d }')).toThrow(/windows\.count\.maxSpan/);
  });

  it('bounds kafka.sessionTimeout so a batch fits between two heartbeats, and the broker accepts it', () => {
    const cases: Array<[string, string]> = [
      ['1s', 'kafka.sessionTimeout: expected at least 10s'],
      ['6s', 'kafka.sessionTimeout: expected at least 10s'],
      ['10m', 'kafka.sessionTimeout: expected at most 5m'],
    ];
    for (const [value, expected] of cases) {
      const err = errorOf(() => parse(withKafka(`sessionTimeout: ${value}`)));
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.message).toContain(expected);
    }
    expect(parse(withKafka('sessionTimeout: 10s')).kafka.sessionTimeout).toBe(10_000);
    expect(parse(withKafka('sessionTimeout: 5m')).kafka.sessionTimeout).toBe(300_000);
    expect(parse(VALID).kafka.sessionTimeout).toBe(30_000);
  });

  it('bounds kafka.maxBatchBytes, 1 MiB by default', () => {
    expect(parse(VALID).kafka.maxBatchBytes).toBe(1_048_576);
    expect(parse(withKafka('maxBatchBytes: 262144')).kafka.maxBatchBytes).toBe(262_144);
    expect(errorOf(() => parse(withKafka('maxBatchBytes: 1000'))).message).toContain(
      'kafka.maxBatchBytes: expected at least 16384 bytes',
    );
    expect(errorOf(() => parse(withKafka('maxBatchBytes: 100000000'))).message).toContain(
      'kafka.maxBatchBytes: expected at most 10485760 bytes',
    );
  });

  it('refuses addresses that can only fail at start-up: influx.url, http.host, http.port, kafka.brokers', () => {
    const withHttp = (http: string) => `${VALID}http:\n${http}\n`;
    const cases: Array<[string, string]> = [
      [
        VALID.replace('http://127.0.0.1:8086', 'file:///var/lib/influx'),
        'influx.url: expected an http:// or https:// URL',
      ],
      [
        withHttp('  host: 999.1.1.1'),
        'http.host: expected an IPv4 address (four numbers 0–255), got "999.1.1.1"',
      ],
      [withHttp('  host: 10.0.0'), 'http.host: expected an IPv4 address'],
      [
        withHttp('  host: "not a host"'),
        'http.host: expected an IP address (e.g. 0.0.0.0, ::) or a host name',
      ],
      [withHttp('  host: ""'), 'http.host: expected an IP address'],
      [withHttp('  port: 70000'), 'http.port: Too big: expected number to be <=65535'],
      [withHttp('  port: -1'), 'http.port: Too small'],
      [
        VALID.replace('127.0.0.1:9092', '127.0.0.1:99999'),
        'kafka.brokers[0]: expected a port 1–65535, got 99999',
      ],
      [
        VALID.replace('127.0.0.1:9092', '300.0.0.1:9092'),
        'kafka.brokers[0]: expected an IPv4 address',
      ],
    ];
    for (const [text, expected] of cases) {
      const err = errorOf(() => parse(text));
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.message).toContain(expected);
    }
    expect(
      parse(VALID.replace('http://127.0.0.1:8086', 'https://influx.example.com')).influx.url,
    ).toBe('https://influx.example.com');
    for (const host of ['0.0.0.0', '127.0.0.1', '::', '::1', 'localhost', 'metrics.internal.']) {
      expect(parse(withHttp(`  host: "${host}"`)).http.host).toBe(host);
    }
    expect(parse(withHttp('  port: 0')).http.port).toBe(0);
    expect(parse(VALID.replace('127.0.0.1:9092', 'kafka-0.kafka:9092')).kafka.brokers).toEqual([
      'kafka-0.kafka:9092',
    ]);
  });

  it('reports a missing section', () => {
    const err = errorOf(() => parseConfig('kafka: {}', 'x.yaml', {}));
    expect(err.message).toContain('kafka.brokers');
    expect(err.message).toContain('influx:');
  });

  it('stops when the secret env variable is unset, without printing any secret', () => {
    const err = errorOf(() => parseConfig(VALID, 'x.yaml', {}));
    expect(err.code).toBe('CONFIG_SECRET_MISSING');
    expect(err.message).toContain('INFLUX_TOKEN');
  });

  it('stops when smtp.user is set but its password variable is not', () => {
    const smtp = `${VALID}smtp:\n  host: mail\n  user: driftwatch\n  from: dw@example.com\n`;
    const err = errorOf(() => parseConfig(smtp, 'x.yaml', { INFLUX_TOKEN: 't' }));
    expect(err.code).toBe('CONFIG_SECRET_MISSING');
    expect(err.message).toContain('SMTP_PASSWORD');
    const ok = parseConfig(smtp, 'x.yaml', { INFLUX_TOKEN: 't', SMTP_PASSWORD: 'p' });
    expect(ok.secrets.smtpPassword).toBe('p');
  });

  it('resolves alerts.rules against the config file and defaults the alert settings', () => {
    const config = parseConfig(`${VALID}alerts:\n  rules: rules.yaml\n`, '/etc/dw/x.yaml', {
      INFLUX_TOKEN: 't',
    });
    expect(config.alerts).toMatchObject({
      rules: '/etc/dw/rules.yaml',
      measurement: 'driftwatch_alerts',
      retention: 14 * 86_400_000,
      retryInitialDelay: 5_000,
      retryMaxDelay: 3_600_000,
    });
  });

  it('reports YAML syntax errors with the line', () => {
    const err = errorOf(() => parseConfig('kafka:\n  brokers: [\n', 'x.yaml', {}));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/x\.yaml line \d+: not valid YAML/);
  });

  it('reads baselines.maxFileSize as a size or a number of bytes, up to 512MB', () => {
    const withSize = (size: string) =>
      parseConfig(
        VALID.replace('dir: ./baselines', `dir: ./baselines\n  maxFileSize: ${size}`),
        'd.yaml',
        {
          INFLUX_TOKEN: 'x',
        },
      ).baselines.maxFileSize;
    expect(parseConfig(VALID, 'd.yaml', { INFLUX_TOKEN: 'x' }).baselines.maxFileSize).toBe(256e6);
    expect(withSize('64MB')).toBe(64e6);
    expect(withSize('1.5KiB')).toBe(1536);
    expect(withSize('1000')).toBe(1000);
    expect(errorOf(() => withSize('1GB')).message).toContain(
      'baselines.maxFileSize: expected a size from 1B to 512MB',
    );
    expect(errorOf(() => withSize('lots')).message).toContain(
      'baselines.maxFileSize: expected a size such as "512KB", "256MB" or "1GiB", got "lots"',
    );
  });

  it('reads sizes', () => {
    expect(parseByteSize('256MB')).toBe(256_000_000);
    expect(parseByteSize('1gib')).toBe(1024 ** 3);
    expect(parseByteSize('100 B')).toBe(100);
    expect(parseByteSize('5 megabytes')).toBeUndefined();
    expect(parseByteSize('MB')).toBeUndefined();
  });

  it('reads and prints durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('5 minutes')).toBeUndefined();
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1_500)).toBe('1500ms');
  });
});
