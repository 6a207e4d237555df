import avro from 'avsc';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { eventSourceFor } from '../../src/prediction-log/event-source.js';
import type { InputMessage } from '../../src/prediction-log/payload-decoder.js';
import type { RegisteredSchema } from '../../src/prediction-log/registry/registered-schema.js';
import {
  SchemaRegistryDecoder,
  type SchemaSource,
} from '../../src/prediction-log/registry/registry-decoder.js';
import { MISSING_RETRY_MS, SchemaCache } from '../../src/prediction-log/registry/schema-cache.js';
import { writeZigzagVarint } from '../../src/prediction-log/registry/wire-format.js';
import { schemaSourceContract } from '../support/schema-source-contract.js';
import {
  AVRO_SCHEMA,
  JSON_SCHEMA,
  PROTO_SCHEMA,
  wireHeader,
  type RegistryEvent,
} from '../support/registry-schemas.js';

const AVRO = 1;
const JSON_ID = 2;
const PROTO = 3;
const UNUSABLE = 4;
const REFERENCING = 5;

const schemas = new Map<number, RegisteredSchema>([
  [AVRO, { schemaType: 'AVRO', schema: AVRO_SCHEMA, references: 0 }],
  [JSON_ID, { schemaType: 'JSON', schema: JSON_SCHEMA, references: 0 }],
  [PROTO, { schemaType: 'PROTOBUF', schema: PROTO_SCHEMA, references: 0 }],
  [UNUSABLE, { schemaType: 'AVRO', schema: '{"type":"no such type"}', references: 0 }],
  [REFERENCING, { schemaType: 'AVRO', schema: AVRO_SCHEMA, references: 1 }],
]);

/** The registry of the tests: a map, with a switch for an outage and a count of requests. */
class MapSource implements SchemaSource {
  down = false;
  requests: number[] = [];
  fetch(id: number): Promise<RegisteredSchema | undefined> {
    this.requests.push(id);
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    return Promise.resolve(schemas.get(id));
  }
}

const event: RegistryEvent = {
  model: 'fraud',
  model_version: '3',
  timestamp: Date.parse('2026-01-01T00:00:00.000Z'),
  id: 'r1',
  features: { a: 1.5, b: 0, country: 'DE' },
  prediction: 0.25,
};

const avroType = avro.Type.forSchema(JSON.parse(AVRO_SCHEMA) as avro.Schema);
const protoRoot = protobuf.parse(PROTO_SCHEMA, { keepCase: true }).root;
const protoType = protoRoot.lookupType('driftwatch.test.PredictionLog');

const msg = (value: Buffer): InputMessage => ({ value, timestamp: '0' });
const avroMessage = (e: RegistryEvent) =>
  msg(Buffer.concat([wireHeader(AVRO), avroType.toBuffer(e)]));
const jsonMessage = (e: unknown) =>
  msg(Buffer.concat([wireHeader(JSON_ID), Buffer.from(JSON.stringify(e))]));
const protoMessage = (e: object, indexes: number[] = [0], type = protoType) =>
  msg(
    Buffer.concat([
      wireHeader(PROTO),
      Buffer.from(
        indexes.length === 1 && indexes[0] === 0
          ? [0]
          : [indexes.length, ...indexes].flatMap(writeZigzagVarint),
      ),
      Buffer.from(type.encode(type.fromObject(e)).finish()),
    ]),
  );

async function decoded(message: InputMessage, source = new MapSource()) {
  const decoder = new SchemaRegistryDecoder(source, 10);
  await decoder.prepare([message], 0);
  return decoder.decode(message);
}

describe('Schema Registry decoder', () => {
  it('gives the same events for Avro, JSON Schema and Protobuf as for the default JSON shape', async () => {
    const json = eventSourceFor({ format: 'json' });
    const expected = json.read(msg(Buffer.from(JSON.stringify(event))), 't');
    expect(expected.ok).toBe(true);
    const decoder = new SchemaRegistryDecoder(new MapSource(), 10);
    const source = eventSourceFor({ format: 'schema-registry' }, decoder);
    const messages = [avroMessage(event), jsonMessage(event), protoMessage(event)];
    await source.prepare?.(messages, 0, 't');
    for (const m of messages) expect(source.read(m, 't')).toEqual(expected);
  });

  it('keeps a missing feature missing and a zero a zero', async () => {
    const partial = { ...event, features: { a: null, b: 0, country: null } };
    for (const m of [
      avroMessage(partial),
      jsonMessage(partial),
      protoMessage({ ...event, features: { b: 0 } }),
    ]) {
      const out = await decoded(m);
      expect(out.ok && (out.value as RegistryEvent).features.b).toBe(0);
      const a = out.ok ? (out.value as RegistryEvent).features.a : 'failed';
      expect(a ?? undefined).toBeUndefined();
    }
  });

  it('reads the Protobuf message type the message indexes name, nested ones too', async () => {
    const other = protoRoot.lookupType('driftwatch.test.Other');
    const deeper = protoRoot.lookupType('driftwatch.test.Other.Deeper');
    const first = await decoded(protoMessage({ note: 'hi' }, [1], other));
    expect(first.ok && first.value).toEqual({ note: 'hi' });
    const nested = await decoded(protoMessage({ model: 'm' }, [1, 0], deeper));
    expect(nested.ok && nested.value).toEqual({ model: 'm' });
    const none = await decoded(protoMessage({ model: 'm' }, [1, 3], deeper));
    expect(!none.ok && none.code).toBe('PROTOBUF_INDEX_INVALID');
  });

  it('refuses, with a stable code, what does not match its schema', async () => {
    const avroBytes = avroMessage(event).value as Buffer;
    const cases: [InputMessage, string][] = [
      [msg(Buffer.from(JSON.stringify(event))), 'NOT_SCHEMA_REGISTRY'],
      [msg(avroBytes.subarray(0, avroBytes.length - 3)), 'AVRO_INVALID'],
      [msg(Buffer.concat([avroBytes, Buffer.from([1])])), 'AVRO_INVALID'],
      [jsonMessage({ ...event, prediction: 'high' }), 'JSON_SCHEMA_INVALID'],
      [msg(Buffer.concat([wireHeader(JSON_ID), Buffer.from('{"model":')])), 'NOT_JSON'],
      [msg(Buffer.concat([wireHeader(PROTO), Buffer.from([0, 0x18, 0x80])])), 'PROTOBUF_INVALID'],
      [msg(Buffer.concat([wireHeader(PROTO), Buffer.from([0x80])])), 'PROTOBUF_INDEX_INVALID'],
      [msg(Buffer.concat([wireHeader(99), Buffer.from('x')])), 'SCHEMA_NOT_FOUND'],
      [msg(Buffer.concat([wireHeader(UNUSABLE), Buffer.from('x')])), 'SCHEMA_UNUSABLE'],
      [msg(Buffer.concat([wireHeader(REFERENCING), Buffer.from('x')])), 'SCHEMA_UNUSABLE'],
    ];
    for (const [message, code] of cases) {
      const out = await decoded(message);
      expect(out.ok ? 'decoded' : out.code, code).toBe(code);
    }
  });

  it('rejects prepare while the registry is down, decodes nothing, and asks only for what is missing after', async () => {
    const source = new MapSource();
    const decoder = new SchemaRegistryDecoder(source, 10);
    const batch = [avroMessage(event), jsonMessage(event), avroMessage(event)];
    await decoder.prepare([batch[0] as InputMessage], 0);
    source.down = true;
    source.requests = [];
    await expect(decoder.prepare(batch, 0)).rejects.toThrow('ECONNREFUSED');
    expect(source.requests).toEqual([JSON_ID]);
    source.down = false;
    source.requests = [];
    await decoder.prepare(batch, 0);
    expect(source.requests).toEqual([JSON_ID]);
    for (const m of batch) expect(decoder.decode(m).ok).toBe(true);
    // Prepared once: the next batch with the same ids costs no request.
    await decoder.prepare(batch, 1);
    expect(source.requests).toEqual([JSON_ID]);
  });

  it('prepares from the given index only', async () => {
    const source = new MapSource();
    const decoder = new SchemaRegistryDecoder(source, 10);
    await decoder.prepare([jsonMessage(event), avroMessage(event)], 1);
    expect(source.requests).toEqual([AVRO]);
  });
});

describe('schema cache', () => {
  const decode = () => ({ ok: false as const, code: 'X', reason: 'x' });

  it('drops the least recently used above its capacity, never an id of the batch in hand', () => {
    const cache = new SchemaCache(2);
    cache.put(1, decode);
    cache.put(2, decode);
    cache.touch(1);
    cache.put(3, decode);
    cache.trim(new Set([3]));
    expect([1, 2, 3].map((id) => cache.lookup(id) !== undefined)).toEqual([true, false, true]);
    cache.put(4, decode);
    cache.put(5, decode);
    cache.trim(new Set([1, 3, 4, 5]));
    expect(cache.size).toBe(4);
    cache.trim(new Set([5]));
    expect(cache.size).toBe(2);
    expect(cache.lookup(5)).toBeDefined();
  });

  it('remembers an unknown id for a while, then asks again', () => {
    const cache = new SchemaCache(10);
    expect(cache.needs(7, 0)).toBe(true);
    cache.putMissing(7, 1_000 + MISSING_RETRY_MS);
    expect(cache.needs(7, 1_000)).toBe(false);
    expect(cache.lookup(7)).toMatchObject({ ok: false, code: 'SCHEMA_NOT_FOUND' });
    expect(cache.needs(7, 1_000 + MISSING_RETRY_MS)).toBe(true);
  });

  it('bounds the decoder to its cache size across batches', async () => {
    const decoder = new SchemaRegistryDecoder(new MapSource(), 2);
    for (const id of [AVRO, JSON_ID, PROTO, UNUSABLE]) {
      await decoder.prepare([msg(Buffer.concat([wireHeader(id), Buffer.from('x')]))], 0);
    }
    expect(decoder.cachedSchemas).toBe(2);
  });
});

schemaSourceContract('the map of the unit tests', () => {
  const source = new MapSource();
  return Promise.resolve({
    source,
    ids: { avro: AVRO, json: JSON_ID, protobuf: PROTO },
    unknownId: 99,
    takeDown: () => Promise.resolve(void (source.down = true)),
    bringUp: () => Promise.resolve(void (source.down = false)),
  });
});
