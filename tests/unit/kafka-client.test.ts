import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DriftwatchError } from '../../src/errors.js';
import { jwtExpiry, oauthBearerProvider } from '../../src/kafka/oauth-token.js';
import { createLogger } from '../../src/logger.js';

const SRC = path.join(import.meta.dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [path.join(dir, e.name)]
        : [],
  );
}

describe('Kafka clients', () => {
  it('are made in src/kafka/client.ts only, so every one gets the TLS and SASL settings', () => {
    const makers = sourceFiles(SRC).filter((f) => /new\s+Kafka\s*\(/.test(readFileSync(f, 'utf8')));
    expect(makers.map((f) => path.relative(SRC, f))).toEqual([path.join('kafka', 'client.ts')]);
  });
});

describe('OAUTHBEARER tokens', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-oauth-'));
  const jwt = (exp: number) =>
    `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', exp })).toString('base64url')}.`;

  it('reads a token file at every authentication (a refreshed mount is picked up)', async () => {
    const file = path.join(dir, 'token');
    const provider = oauthBearerProvider({ mechanism: 'oauthbearer', tokenFile: file });
    writeFileSync(file, 'first\n');
    expect(await provider()).toEqual({ value: 'first' });
    writeFileSync(file, 'second');
    expect(await provider()).toEqual({ value: 'second' });
    writeFileSync(file, '\n');
    await expect(provider()).rejects.toMatchObject({ code: 'KAFKA_AUTH_FAILED' });
  });

  it("runs a token command once per token lifetime: until a minute before a JWT's exp", async () => {
    const counter = path.join(dir, 'runs');
    writeFileSync(counter, '');
    let now = 1_000_000_000_000;
    const token = jwt(now / 1000 + 600);
    // Appends a line per run, prints the token.
    const command = ['sh', '-c', `echo run >> ${counter}; echo ${token}`];
    const provider = oauthBearerProvider(
      { mechanism: 'oauthbearer', tokenCommand: command },
      () => now,
    );
    const runs = () => readFileSync(counter, 'utf8').split('\n').filter(Boolean).length;
    await Promise.all([provider(), provider(), provider()]);
    expect(await provider()).toEqual({ value: token });
    expect(runs()).toBe(1);
    now += 540_000; // exactly one minute before exp
    await provider();
    expect(runs()).toBe(2);
    expect(jwtExpiry('opaque-token')).toBeUndefined();
  });

  it('a failing command is KAFKA_AUTH_FAILED naming kafka.sasl.tokenCommand, without the output', async () => {
    const provider = oauthBearerProvider({
      mechanism: 'oauthbearer',
      tokenCommand: ['sh', '-c', 'echo secret-ish; echo "no credentials found" >&2; exit 3'],
    });
    const err = await provider().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriftwatchError);
    expect((err as DriftwatchError).code).toBe('KAFKA_AUTH_FAILED');
    expect((err as DriftwatchError).message).toContain(
      'kafka.sasl.tokenCommand sh failed (exit code 3)',
    );
    expect((err as DriftwatchError).message).toContain('no credentials found');
    expect((err as DriftwatchError).message).not.toContain('secret-ish');
  });
});

describe('logs', () => {
  it('redact Kafka, InfluxDB and SMTP secrets and key material if they ever reach a log call', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (s: string) => void lines.push(s) });
    logger.info(
      {
        config: { secrets: { kafkaPassword: 'pw1', tls: { kafka: { key: 'KEY1' } } } },
        sasl: { mechanism: 'plain', username: 'u', password: 'pw2' },
        ssl: { key: 'KEY2', ca: 'public' },
        kafkaPassword: 'pw3',
      },
      'x',
    );
    const out = lines.join('');
    for (const secret of ['pw1', 'pw2', 'pw3', 'KEY1', 'KEY2']) expect(out).not.toContain(secret);
    expect(out).toContain('public');
  });
});
