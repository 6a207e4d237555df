import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/services/process.js';
import {
  startSchemaRegistry,
  stopSchemaRegistry,
  type SchemaRegistryService,
} from '../../scripts/services/schema-registry.js';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { queryDrift, waitForDriftRows } from '../support/influx.js';
import { createTopics, readAll, toolingKafka } from '../support/kafka.js';
import { metric, waitForMetric } from '../support/metrics.js';
import { startInputRuns } from '../support/input-runs.js';
import { wireHeader, type RegistryEvent } from '../support/registry-schemas.js';
import {
  encodeEvent,
  registerTestSchemas,
  type RegisteredSchemas,
  type RegistryFormat,
} from '../support/schema-registry.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const registryUrl = inject('schemaRegistry').url;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const MINUTE = 60_000;
const WINDOWS = 3;
const FEATURES = 3;

const spec: SyntheticSpec = {
  model: 'fraud',
  modelVersion: '3',
  numericFeatures: ['a', 'b'],
  shifted: { features: ['b'], shift: 1.5, shiftFrom: T0 + 2 * MINUTE },
  seed: 11,
};

/** 1,800 events over three 1-minute windows, then one that moves the watermark past them. */
function events(): RegistryEvent[] {
  const out = [...predictionLogs(spec, T0, 100, 1_800)].map((l) => ({
    model: l.model,
    model_version: l.model_version,
    timestamp: Date.parse(l.timestamp),
    id: l.id,
    features: l.features as RegistryEvent['features'],
    prediction: l.prediction,
  }));
  const last = out[0] as RegistryEvent;
  out.push({ ...last, timestamp: T0 + 3 * MINUTE + 1, id: 'last' });
  return out;
}

const registryInput = (url: string) => ({
  input: { format: 'schema-registry' },
  schemaRegistry: { url, requestTimeout: '2s', startTimeout: '10s' },
});

async function encodeAll(s: RegisteredSchemas, format: RegistryFormat, all: RegistryEvent[]) {
  const out: Message[] = [];
  for (const e of all) out.push({ value: await encodeEvent(s, format, e) });
  return out;
}

describe(`Schema Registry input against real Kafka, InfluxDB and a registry (${inject('servicesMode')})`, () => {
  const kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
  const baselinesDir = baselineDirFor(spec);
  const daemons: DaemonProcess[] = [];
  const runs = {
    json: { names: uniqueNames('sr-json'), extra: {}, messages: [] as Message[] },
    avro: {
      names: uniqueNames('sr-avro'),
      extra: registryInput(registryUrl),
      messages: [] as Message[],
    },
    jsonSchema: {
      names: uniqueNames('sr-jsonschema'),
      extra: registryInput(registryUrl),
      messages: [] as Message[],
    },
    protobuf: {
      names: uniqueNames('sr-protobuf'),
      extra: registryInput(registryUrl),
      messages: [] as Message[],
    },
  };

  beforeAll(async () => {
    const all = events();
    const schemas = await registerTestSchemas(registryUrl, runs.avro.names.topic);
    const avro = await encodeAll(schemas, 'avro', all);
    const avroBytes = avro[0]?.value as Buffer;
    runs.json.messages = all.map((e) => ({ value: JSON.stringify(e) }));
    runs.avro.messages = [
      ...avro.slice(0, 600),
      // No wire-format header, an id the registry does not know, a truncated Avro payload.
      { value: JSON.stringify(all[0]) },
      { value: Buffer.concat([wireHeader(987_654), avroBytes.subarray(5)]) },
      { value: avroBytes.subarray(0, avroBytes.length - 4) },
      ...avro.slice(600),
    ];
    const jsonSchema = await encodeAll(schemas, 'json', all);
    runs.jsonSchema.messages = [
      ...jsonSchema.slice(0, 900),
      {
        value: Buffer.concat([
          wireHeader(schemas.ids.json),
          Buffer.from(JSON.stringify({ ...all[0], prediction: 'high' })),
        ]),
      },
      ...jsonSchema.slice(900),
    ];
    const protobuf = await encodeAll(schemas, 'protobuf', all);
    runs.protobuf.messages = [
      ...protobuf.slice(0, 1200),
      { value: Buffer.concat([wireHeader(schemas.ids.protobuf), Buffer.from([0, 0x18, 0x80])]) },
      ...protobuf.slice(1200),
    ];
    daemons.push(...(await startInputRuns(kafka, services, baselinesDir, Object.values(runs))));
  });

  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stopGracefully()));
  });

  it('writes the same drift points from Avro, JSON Schema and Protobuf as from the default JSON shape', async () => {
    const rows = await Promise.all(
      Object.values(runs).map(async ({ names }) => {
        await waitForDriftRows(services.influx, names.measurement, WINDOWS * FEATURES);
        return queryDrift(services.influx, names.measurement, null);
      }),
    );
    const [jsonRows, ...registryRows] = rows;
    expect(jsonRows?.filter((r) => r.method === 'psi')).toHaveLength(WINDOWS * FEATURES);
    expect(jsonRows?.find((r) => r.feature === 'a')?.n).toBe(600);
    for (const r of registryRows) expect(r).toEqual(jsonRows);
  });

  it('dead-letters an unknown schema id, a message without the header and payloads not matching their schema, with their codes', async () => {
    const codes = async (topic: string, n: number) =>
      (await readAll(kafka, topic, n)).map((m) => m.headers['driftwatch-error-code']);
    expect(await codes(runs.avro.names.deadLetterTopic, 3)).toEqual([
      'NOT_SCHEMA_REGISTRY',
      'SCHEMA_NOT_FOUND',
      'AVRO_INVALID',
    ]);
    expect(await codes(runs.jsonSchema.names.deadLetterTopic, 1)).toEqual(['JSON_SCHEMA_INVALID']);
    expect(await codes(runs.protobuf.names.deadLetterTopic, 1)).toEqual(['PROTOBUF_INVALID']);
  });
});

describe('a schema registry outage mid-stream', () => {
  const kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
  const baselinesDir = baselineDirFor(spec);
  const reference = uniqueNames('sr-outage-json');
  const names = uniqueNames('sr-outage');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-registry-outage-'));
  const daemons: DaemonProcess[] = [];
  let port = 0;
  let registry: SchemaRegistryService | undefined;

  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stopGracefully()));
    if (registry) await stopSchemaRegistry(registry);
  });

  it('makes consumption wait, dead-letters nothing and loses nothing', async () => {
    port = await freePort();
    registry = await startSchemaRegistry({ dir, port, detached: false });
    const schemas = await registerTestSchemas(registry.url, names.topic);
    const all = events();
    // The first half in Avro (its schema is fetched while the registry is up), the second in
    // JSON Schema, whose schema the daemon first asks for while the registry is down.
    const firstHalf = await encodeAll(schemas, 'avro', all.slice(0, 900));
    const secondHalf = await encodeAll(schemas, 'json', all.slice(900));
    await createTopics(kafka, [
      names.topic,
      names.deadLetterTopic,
      reference.topic,
      reference.deadLetterTopic,
    ]);
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: reference.topic,
        messages: all.map((e) => ({ value: JSON.stringify(e) })),
      });
      const ref = await writeDaemonConfig(services, {
        ...reference,
        baselinesDir,
        windowSize: '1m',
      });
      daemons.push(new DaemonProcess(ref.file, { INFLUX_TOKEN: services.influx.token }));
      const { file, httpPort } = await writeDaemonConfig(services, {
        ...names,
        baselinesDir,
        windowSize: '1m',
        extra: registryInput(registry.url),
      });
      const daemon = new DaemonProcess(file, { INFLUX_TOKEN: services.influx.token });
      daemons.push(daemon);
      await producer.send({ topic: names.topic, messages: firstHalf });
      await waitForMetric(httpPort, /^driftwatch_messages_consumed_total (\d+)/m, 900);
      await stopSchemaRegistry(registry);
      await producer.send({ topic: names.topic, messages: secondHalf });
      await waitForMetric(httpPort, /^driftwatch_schema_registry_failures_total (\d+)/m, 1);
      const health = (await fetch(`http://127.0.0.1:${httpPort}/healthz`).then((r) =>
        r.json(),
      )) as {
        schemaRegistry: string;
      };
      expect(health.schemaRegistry).toBe('unreachable');
      expect(await metric(httpPort, /^driftwatch_messages_consumed_total (\d+)/m)).toBe(900);
      registry = await startSchemaRegistry({ dir, port, detached: false });
      await waitForDriftRows(services.influx, names.measurement, WINDOWS * FEATURES);
      await waitForDriftRows(services.influx, reference.measurement, WINDOWS * FEATURES);
      expect(await queryDrift(services.influx, names.measurement, null)).toEqual(
        await queryDrift(services.influx, reference.measurement, null),
      );
      expect(await metric(httpPort, /^driftwatch_messages_invalid_total\{[^}]*\} (\d+)/m)).toBe(0);
      expect(await metric(httpPort, /^driftwatch_messages_consumed_total (\d+)/m)).toBe(all.length);
    } finally {
      await producer.disconnect();
    }
  });
});
