import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { makeTestPki, type TestPki } from '../../scripts/services/certs.js';
import { parseConfig } from '../../src/config/load.js';
import type { SecretScope } from '../../src/config/secrets.js';
import { DriftwatchError } from '../../src/errors.js';
import { kafkaSaslOptions, kafkaSslOptions } from '../../src/kafka/client.js';

let pki: TestPki;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-config-security-'));
  pki = await makeTestPki(path.join(dir, 'tls'));
});

/** A valid config with these kafka (and other) keys, parsed as if it lay in `dir`. */
function parse(
  kafka: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
  more: Record<string, unknown> = {},
  scope: SecretScope = 'all',
) {
  const file = {
    kafka: { brokers: ['b:9093'], topic: 'p', deadLetterTopic: 'p.dlq', ...kafka },
    influx: { url: 'https://influx:8086', org: 'o', bucket: 'b' },
    baselines: { dir: '.' },
    ...more,
  };
  return parseConfig(
    stringify(file),
    path.join(dir, 'driftwatch.yaml'),
    {
      INFLUX_TOKEN: 't',
      ...env,
    },
    scope,
  );
}

function errorOf(fn: () => unknown): DriftwatchError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DriftwatchError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('kafka.sasl', () => {
  it('takes the password from KAFKA_SASL_PASSWORD by default, from passwordEnv, or from passwordFile (trailing newline dropped)', () => {
    const sasl = { mechanism: 'scram-sha-512', username: 'u' };
    expect(parse({ sasl }, { KAFKA_SASL_PASSWORD: 'p1' }).secrets.kafkaPassword).toBe('p1');
    expect(
      parse({ sasl: { ...sasl, passwordEnv: 'MY_PW' } }, { MY_PW: 'p2' }).secrets.kafkaPassword,
    ).toBe('p2');
    writeFileSync(path.join(dir, 'pw'), 'p3\n');
    const fromFile = parse({ sasl: { ...sasl, passwordFile: 'pw' } });
    expect(fromFile.secrets.kafkaPassword).toBe('p3');
    expect(kafkaSaslOptions(fromFile)).toEqual({
      mechanism: 'scram-sha-512',
      username: 'u',
      password: 'p3',
    });
  });

  it('names the key of a missing or unreadable password', () => {
    const sasl = { mechanism: 'plain', username: 'u' };
    expect(errorOf(() => parse({ sasl }))).toMatchObject({
      code: 'CONFIG_SECRET_MISSING',
      message: expect.stringContaining(
        'kafka.sasl.passwordEnv (default KAFKA_SASL_PASSWORD) names KAFKA_SASL_PASSWORD',
      ) as unknown,
    });
    expect(errorOf(() => parse({ sasl: { ...sasl, passwordFile: 'nope' } }))).toMatchObject({
      code: 'CONFIG_SECRET_MISSING',
      message: expect.stringContaining('kafka.sasl.passwordFile names') as unknown,
    });
  });

  it.each([
    [{ mechanism: 'gssapi', username: 'u' }, 'kafka.sasl.mechanism'],
    [{ mechanism: 'plain' }, 'kafka.sasl.username'],
    [{ mechanism: 'plain', username: 'u', password: 'inline' }, 'kafka.sasl'],
    [
      { mechanism: 'plain', username: 'u', passwordEnv: 'A', passwordFile: 'f' },
      'kafka.sasl.passwordFile',
    ],
    [{ mechanism: 'oauthbearer' }, 'kafka.sasl.tokenFile'],
    [{ mechanism: 'oauthbearer', tokenFile: 't', tokenCommand: ['x'] }, 'kafka.sasl.tokenFile'],
    [{ mechanism: 'oauthbearer', username: 'u', tokenFile: 't' }, 'kafka.sasl'],
  ])('refuses %j naming %s', (sasl, key) => {
    const err = errorOf(() => parse({ sasl }, { KAFKA_SASL_PASSWORD: 'p' }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(`  - ${key}`);
  });

  it('resolves an OAUTHBEARER token file against the config file, read only when a connection authenticates', () => {
    const config = parse({ sasl: { mechanism: 'oauthbearer', tokenFile: 'token' } });
    expect(config.kafka.sasl).toEqual({
      mechanism: 'oauthbearer',
      tokenFile: path.join(dir, 'token'),
    });
    expect(kafkaSaslOptions(config)?.mechanism).toBe('oauthbearer');
  });
});

describe('kafka.ssl, influx.tls, smtp.tls', () => {
  it('reads the PEM files at start-up, relative to the config file', () => {
    const config = parse({
      ssl: {
        caFile: path.relative(dir, pki.caFile),
        certFile: pki.clientCertFile,
        keyFile: pki.clientKeyFile,
        servername: 'kafka.internal',
      },
    });
    expect(kafkaSslOptions(config)).toEqual({
      ca: expect.stringContaining('BEGIN CERTIFICATE') as unknown,
      cert: expect.stringContaining('BEGIN CERTIFICATE') as unknown,
      key: expect.stringContaining('PRIVATE KEY') as unknown,
      servername: 'kafka.internal',
      rejectUnauthorized: true,
    });
    expect(kafkaSslOptions(parse({ ssl: {} }))).toEqual({ rejectUnauthorized: true });
    expect(kafkaSslOptions(parse({}))).toBeUndefined();
  });

  it.each([
    [
      { certFile: 'CLIENT_CERT' },
      'CONFIG_INVALID',
      'kafka.ssl.keyFile: expected certFile and keyFile together',
    ],
    [{ caFile: 'missing.pem' }, 'CONFIG_INVALID', 'kafka.ssl.caFile names'],
    [
      { caFile: 'CLIENT_KEY' },
      'CONFIG_INVALID',
      'kafka.ssl.caFile (CLIENT_KEY) holds no PEM certificate',
    ],
    [
      { certFile: 'CLIENT_CERT', keyFile: 'SERVER_KEY' },
      'CONFIG_INVALID',
      'kafka.ssl.certFile and kafka.ssl.keyFile cannot be used: ',
    ],
    [
      { certFile: 'CLIENT_CERT', keyFile: 'CA' },
      'CONFIG_INVALID',
      'kafka.ssl.keyFile (CA) holds no PEM private key',
    ],
  ])('refuses %j: %s %s', (ssl, code, message) => {
    const files: Record<string, string> = {
      CLIENT_CERT: pki.clientCertFile,
      CLIENT_KEY: pki.clientKeyFile,
      SERVER_KEY: pki.serverKeyFile,
      CA: pki.caFile,
    };
    const resolved = Object.fromEntries(Object.entries(ssl).map(([k, v]) => [k, files[v] ?? v]));
    const err = errorOf(() => parse({ ssl: resolved }));
    expect(err.code).toBe(code);
    expect(
      err.message.replace(pki.clientKeyFile, 'CLIENT_KEY').replace(pki.caFile, 'CA'),
    ).toContain(message);
  });

  it('reads influx.tls and smtp.tls CAs; a Kafka-only command needs neither their files nor their secrets', () => {
    const more = {
      influx: { url: 'https://influx:8086', org: 'o', bucket: 'b', tls: { caFile: pki.caFile } },
      smtp: {
        host: 'mail',
        from: 'dw@example.com',
        user: 'u',
        tls: { caFile: pki.caFile, rejectUnauthorized: false },
      },
    };
    const config = parse({}, { SMTP_PASSWORD: 's' }, more);
    expect(config.secrets.tls?.influx?.ca).toContain('BEGIN CERTIFICATE');
    expect(config.secrets.tls?.smtp?.ca).toContain('BEGIN CERTIFICATE');
    expect(config.smtp?.tls?.rejectUnauthorized).toBe(false);

    const missing = { ...more, influx: { ...more.influx, tls: { caFile: 'nope.pem' } } };
    expect(errorOf(() => parse({}, { SMTP_PASSWORD: 's' }, missing)).message).toContain(
      'influx.tls.caFile names',
    );
    const replay = parseConfig(
      stringify({
        kafka: { brokers: ['b:9093'], topic: 'p', deadLetterTopic: 'p.dlq' },
        ...missing,
        baselines: { dir: '.' },
      }),
      path.join(dir, 'driftwatch.yaml'),
      {},
      'kafka',
    );
    expect(replay.secrets.tls).toBeUndefined();
  });
});
