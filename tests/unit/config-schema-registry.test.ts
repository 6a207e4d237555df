import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { makeTestPki, type TestPki } from '../../scripts/services/certs.js';
import { parseConfig } from '../../src/config/load.js';
import { DriftwatchError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';

let pki: TestPki;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-config-registry-'));
  pki = await makeTestPki(path.join(dir, 'tls'));
});

/** A valid config with these top-level sections, parsed as if it lay in `dir`. */
function parse(more: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const file = {
    kafka: { brokers: ['b:9092'], topic: 'p', deadLetterTopic: 'p.dlq' },
    influx: { url: 'http://influx:8086', org: 'o', bucket: 'b' },
    baselines: { dir: '.' },
    ...more,
  };
  return parseConfig(stringify(file), path.join(dir, 'driftwatch.yaml'), {
    INFLUX_TOKEN: 't',
    ...env,
  });
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof DriftwatchError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'no error';
}

const registry = { url: 'https://registry:8081' };

describe('input.format and the schemaRegistry section', () => {
  it('defaults to JSON without a registry, and fills in the registry defaults', () => {
    expect(parse({}).input.format).toBe('json');
    const config = parse({ input: { format: 'schema-registry' }, schemaRegistry: registry });
    expect(config.schemaRegistry).toEqual({
      url: registry.url,
      cacheSize: 1000,
      requestTimeout: 10_000,
      startTimeout: 30_000,
    });
  });

  it('requires the section for input.format schema-registry, naming the key', () => {
    expect(codeOf(() => parse({ input: { format: 'schema-registry' } }))).toMatch(
      /^CONFIG_INVALID: [\s\S]*input\.format is schema-registry, so the schemaRegistry section/,
    );
    expect(
      codeOf(() =>
        parse({ input: { topics: [{ topic: 'x' }, { topic: 'y', format: 'schema-registry' }] } }),
      ),
    ).toMatch(
      /^CONFIG_INVALID: [\s\S]*input\.topics\[1\]\.format is schema-registry, so the schemaRegistry/,
    );
    expect(codeOf(() => parse({ input: { format: 'avro' } }))).toMatch(
      /^CONFIG_INVALID: [\s\S]*input\.format/,
    );
    expect(codeOf(() => parse({ schemaRegistry: { url: 'ftp://x' } }))).toMatch(
      /^CONFIG_INVALID: [\s\S]*schemaRegistry\.url/,
    );
    expect(codeOf(() => parse({ schemaRegistry: { ...registry, cacheSize: 0 } }))).toMatch(
      /^CONFIG_INVALID: [\s\S]*schemaRegistry\.cacheSize/,
    );
  });

  it('reads the basic-auth password from passwordEnv (default SCHEMA_REGISTRY_PASSWORD) or passwordFile', () => {
    const auth = { username: 'u' };
    expect(
      parse({ schemaRegistry: { ...registry, auth } }, { SCHEMA_REGISTRY_PASSWORD: 'p1' }).secrets
        .schemaRegistryPassword,
    ).toBe('p1');
    expect(
      parse(
        { schemaRegistry: { ...registry, auth: { ...auth, passwordEnv: 'MINE' } } },
        { MINE: 'p2' },
      ).secrets.schemaRegistryPassword,
    ).toBe('p2');
    writeFileSync(path.join(dir, 'registry-password'), 'p3\n');
    expect(
      parse({
        schemaRegistry: { ...registry, auth: { ...auth, passwordFile: 'registry-password' } },
      }).secrets.schemaRegistryPassword,
    ).toBe('p3');
    expect(codeOf(() => parse({ schemaRegistry: { ...registry, auth } }))).toMatch(
      /^CONFIG_SECRET_MISSING: [\s\S]*schemaRegistry\.auth\.passwordEnv \(default SCHEMA_REGISTRY_PASSWORD\)/,
    );
    expect(
      codeOf(() =>
        parse({
          schemaRegistry: { ...registry, auth: { ...auth, passwordEnv: 'A', passwordFile: 'f' } },
        }),
      ),
    ).toMatch(/^CONFIG_INVALID: [\s\S]*schemaRegistry\.auth\.passwordFile/);
  });

  it('reads the CA of schemaRegistry.tls.caFile at start-up, refusing a file that holds none', () => {
    const config = parse({ schemaRegistry: { ...registry, tls: { caFile: pki.caFile } } });
    expect(config.secrets.tls?.schemaRegistry?.ca).toContain('BEGIN CERTIFICATE');
    expect(config.schemaRegistry?.tls?.rejectUnauthorized).toBe(true);
    expect(
      codeOf(() => parse({ schemaRegistry: { ...registry, tls: { caFile: pki.serverKeyFile } } })),
    ).toMatch(/^CONFIG_INVALID: [\s\S]*schemaRegistry\.tls\.caFile/);
  });

  it('never logs the password, even when a whole config is logged by mistake', () => {
    let out = '';
    const logger = createLogger('info', { write: (line: string) => (out += line) });
    const config = parse(
      { schemaRegistry: { ...registry, auth: { username: 'u' } } },
      { SCHEMA_REGISTRY_PASSWORD: 'do-not-log-me' },
    );
    logger.info({ config }, 'config');
    logger.info({ secrets: config.secrets, schemaRegistryPassword: 'do-not-log-me' }, 'secrets');
    expect(out).not.toContain('do-not-log-me');
  });
});
