import { describe, expect, it } from 'vitest';
import { driftSettingsFrom } from '../../src/windows/evaluate.js';
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
      thresholds: { psi: 0.25, psiWarning: 0.1, ks: 0.05, chiSquare: 0.05 },
      minSamples: 30,
      correction: 'none',
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
