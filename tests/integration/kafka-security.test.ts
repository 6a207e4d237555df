import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { parseConfig } from '../../src/config/load.js';
import { DriftwatchError } from '../../src/errors.js';
import { createKafkaClient } from '../../src/kafka/client.js';
import { checkKafkaAccess } from '../../src/kafka/reach.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { waitForDriftRows } from '../support/influx.js';
import { createTopics, readAll, sendInChunks, toolingKafka } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';
import { SECURE_KAFKA_USERS, secureServices } from '../support/secure-services.js';

const services = inject('services');
const T0 = Date.parse('2026-02-01T00:00:00.000Z');
const MINUTE = 60_000;
const { scram, plain } = SECURE_KAFKA_USERS;

const spec: SyntheticSpec = {
  model: 'fraud',
  modelVersion: '3',
  numericFeatures: ['a', 'b'],
  seed: 7,
};

/** An event whose only job is to move the watermark past the second window. */
function watermarkEvent(t: number) {
  return JSON.stringify({
    model: 'fraud',
    model_version: '3',
    timestamp: t,
    features: { a: 0, b: 0, country: 'DE' },
    prediction: 0.5,
  });
}

/**
 * The daemon against a second, separate broker whose listeners are SASL_SSL (PLAIN,
 * SCRAM-SHA-256/512, OAUTHBEARER), SSL with client certificates, and PLAINTEXT (used here only
 * to set topics up and to read results back), with certificates from a throwaway CA.
 */
describe(`Kafka over TLS and SASL (${inject('servicesMode')})`, () => {
  const secure = secureServices();
  const names = uniqueNames('kafka-sec');
  const baselinesDir = baselineDirFor(spec);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-kafka-sec-'));
  const passwordFile = path.join(dir, 'scram-password');
  let setup: Kafka;

  /** A config for the daemon with these kafka keys (brokers: the SASL_SSL listener unless given). */
  const daemonConfig = (
    measurement: string,
    kafka: Record<string, unknown>,
    influx: Record<string, unknown> = {},
    influxEndpoint = services.influx,
  ) =>
    writeDaemonConfig(
      { ...services, kafkaBrokers: secure.kafka.saslSslBrokers, influx: influxEndpoint },
      { ...names, measurement, baselinesDir, windowSize: '1m', kafka, influx, configDir: dir },
    );

  beforeAll(async () => {
    writeFileSync(passwordFile, `${scram.password}\n`);
    setup = toolingKafka(secure.kafka.plaintextBrokers, 'driftwatch-tests');
    await createTopics(setup, [names.topic, names.deadLetterTopic]);
    const producer = setup.producer();
    await producer.connect();
    // Two 1-minute windows, one message no decoder can read, and an event that closes both.
    const logs = [...predictionLogs(spec, T0, 100, 1_200)].map((l) => ({
      value: JSON.stringify(l),
    }));
    await sendInChunks(producer, names.topic, [
      ...logs.slice(0, 600),
      { value: '{"model": "fraud", "features": ' },
      ...logs.slice(600),
      { value: watermarkEvent(T0 + 2 * MINUTE) },
    ]);
    await producer.disconnect();
  });

  it('SCRAM-SHA-512 with the password from a file, InfluxDB over TLS with its CA: events in, drift points out, dead letters written', async () => {
    const measurement = `${names.measurement}_scram512`;
    const { file } = await daemonConfig(
      measurement,
      {
        groupId: `${names.groupId}-scram512`,
        ssl: { caFile: secure.pki.caFile },
        sasl: { mechanism: 'scram-sha-512', username: scram.username, passwordFile },
      },
      { tls: { caFile: secure.pki.caFile } },
      { ...services.influx, url: secure.influxUrl },
    );
    const daemon = new DaemonProcess(file, { INFLUX_TOKEN: services.influx.token });
    try {
      const rows = await waitForDriftRows(
        { ...services.influx, url: secure.influxUrl, ca: secure.ca },
        measurement,
        2 * 3,
      );
      expect(new Set(rows.map((r) => Date.parse(r.time)))).toEqual(
        new Set([T0 + MINUTE, T0 + 2 * MINUTE]),
      );
      expect(rows.every((r) => r.n === 600)).toBe(true);
      // The dead letter went out through the transactional producer over SASL_SSL.
      const dead = await readAll(setup, names.deadLetterTopic, 1);
      expect(dead.map((d) => d.headers['driftwatch-error-code'])).toContain('NOT_JSON');
      await daemon.stopGracefully();
      // Secrets are never logged (pino's redaction is the second guard, not the first).
      expect(daemon.output).not.toContain(scram.password);
    } finally {
      daemon.kill('SIGKILL');
    }
  });

  it('PLAIN with the password from an env variable', async () => {
    const measurement = `${names.measurement}_plain`;
    const { file } = await daemonConfig(measurement, {
      groupId: `${names.groupId}-plain`,
      ssl: { caFile: secure.pki.caFile },
      sasl: { mechanism: 'plain', username: plain.username, passwordEnv: 'PLAIN_PASSWORD' },
    });
    const daemon = new DaemonProcess(file, {
      INFLUX_TOKEN: services.influx.token,
      PLAIN_PASSWORD: plain.password,
    });
    try {
      const rows = await waitForDriftRows(services.influx, measurement, 2 * 3);
      expect(rows.every((r) => r.n === 600)).toBe(true);
      await daemon.stopGracefully();
      expect(daemon.output).not.toContain(plain.password);
    } finally {
      daemon.kill('SIGKILL');
    }
  });

  /** The daemon's exit and the lines it wrote to stderr that are not JSON logs. */
  async function startFails(kafka: Record<string, unknown>, env: Record<string, string> = {}) {
    const { file } = await daemonConfig(`${names.measurement}_fails`, {
      groupId: `${names.groupId}-fails`,
      ...kafka,
    });
    const daemon = new DaemonProcess(file, { INFLUX_TOKEN: services.influx.token, ...env });
    const { code } = await daemon.exited;
    const lines = daemon.output.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
    return { code, lines, output: daemon.output };
  }

  const sasl512 = { mechanism: 'scram-sha-512', username: scram.username, passwordFile };

  it.each([
    {
      what: 'a wrong password',
      kafka: {
        ssl: { caFile: 'CA' },
        sasl: { mechanism: 'scram-sha-512', username: scram.username, passwordEnv: 'WRONG' },
      },
      code: 'KAFKA_AUTH_FAILED',
      names: 'kafka.sasl.username and the password',
    },
    {
      what: 'an untrusted CA',
      kafka: { ssl: { caFile: 'OTHER_CA' }, sasl: sasl512 },
      code: 'KAFKA_TLS_FAILED',
      names: 'kafka.ssl.caFile',
    },
    {
      what: 'no CA (Node trusts only public CAs)',
      kafka: { ssl: {}, sasl: sasl512 },
      code: 'KAFKA_TLS_FAILED',
      names: 'kafka.ssl.caFile',
    },
    {
      what: 'a plaintext client on the SASL_SSL listener',
      kafka: { sasl: sasl512 },
      code: 'KAFKA_SECURITY_MISMATCH',
      names: 'kafka.ssl',
    },
    {
      what: 'a TLS client on the PLAINTEXT listener',
      kafka: { brokers: 'PLAINTEXT', ssl: { caFile: 'CA' }, sasl: sasl512 },
      code: 'KAFKA_SECURITY_MISMATCH',
      names: 'remove kafka.ssl',
    },
  ])('$what stops the start with exit code 2 and one line: $code', async (c) => {
    const kafka: Record<string, unknown> = JSON.parse(
      JSON.stringify(c.kafka)
        .replaceAll('"OTHER_CA"', JSON.stringify(secure.pki.otherCaFile))
        .replaceAll('"CA"', JSON.stringify(secure.pki.caFile)),
    ) as Record<string, unknown>;
    if (kafka.brokers === 'PLAINTEXT') kafka.brokers = secure.kafka.plaintextBrokers;
    const { code, lines, output } = await startFails(kafka, { WRONG: 'not-the-password' });
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^driftwatch: error ${c.code}: `));
    expect(lines[0]).toContain(c.names);
    // No kafkajs stack trace anywhere, and the password never shows.
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain(scram.password);
  });

  /** The client every command uses, from a config file's kafka section (no daemon). */
  const clientConfig = (kafka: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
    const yaml = JSON.stringify({
      kafka: { topic: names.topic, deadLetterTopic: names.deadLetterTopic, ...kafka },
      influx: { url: 'http://127.0.0.1:1', org: 'o', bucket: 'b' },
      baselines: { dir: '.' },
    });
    return parseConfig(yaml, path.join(dir, 'client.yaml'), env, 'kafka');
  };

  it('SCRAM-SHA-256 and OAUTHBEARER (token file or command) reach the SASL_SSL listener; a failing token command is KAFKA_AUTH_FAILED', async () => {
    await checkKafkaAccess(
      clientConfig(
        {
          brokers: secure.kafka.saslSslBrokers,
          ssl: { caFile: secure.pki.caFile },
          sasl: { mechanism: 'scram-sha-256', username: scram.username },
        },
        { KAFKA_SASL_PASSWORD: scram.password },
      ),
    );
    // The broker runs Kafka's unsecured-JWS validator: an unsigned token with sub and exp.
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const tokenFile = path.join(dir, 'token.jwt');
    writeFileSync(
      tokenFile,
      `${b64({ alg: 'none' })}.${b64({ sub: 'driftwatch', iat: now, exp: now + 3600 })}.\n`,
    );
    const oauth = clientConfig({
      brokers: secure.kafka.saslSslBrokers,
      ssl: { caFile: secure.pki.caFile },
      sasl: { mechanism: 'oauthbearer', tokenFile: 'token.jwt' },
    });
    const admin = createKafkaClient(oauth).admin();
    await admin.connect();
    expect(await admin.listTopics()).toContain(names.topic);
    await admin.disconnect();
    const command = (tokenCommand: string[]) =>
      clientConfig({
        brokers: secure.kafka.saslSslBrokers,
        ssl: { caFile: secure.pki.caFile },
        sasl: { mechanism: 'oauthbearer', tokenCommand },
      });
    await checkKafkaAccess(command(['cat', tokenFile]));
    await expect(checkKafkaAccess(command(['sh', '-c', 'exit 4']))).rejects.toSatisfy(
      (err: unknown) =>
        err instanceof DriftwatchError &&
        err.code === 'KAFKA_AUTH_FAILED' &&
        err.message.includes('kafka.sasl.tokenCommand sh failed (exit code 4)'),
    );
  });

  it('mutual TLS: a client certificate is accepted, no certificate is refused with KAFKA_TLS_FAILED', async () => {
    const mtls = { brokers: secure.kafka.mtlsBrokers };
    const withCert = clientConfig({
      ...mtls,
      ssl: {
        caFile: secure.pki.caFile,
        certFile: secure.pki.clientCertFile,
        keyFile: secure.pki.clientKeyFile,
      },
    });
    const admin = createKafkaClient(withCert).admin();
    await admin.connect();
    expect(await admin.listTopics()).toContain(names.topic);
    await admin.disconnect();

    await expect(
      checkKafkaAccess(clientConfig({ ...mtls, ssl: { caFile: secure.pki.caFile } })),
    ).rejects.toSatisfy(
      (err: unknown) =>
        err instanceof DriftwatchError &&
        err.code === 'KAFKA_TLS_FAILED' &&
        err.message.includes('kafka.ssl.certFile'),
    );
  });
});
