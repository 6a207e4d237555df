import confluent from '@kafkajs/confluent-schema-registry';
import { AVRO_SCHEMA, JSON_SCHEMA, PROTO_SCHEMA, type RegistryEvent } from './registry-schemas.js';

const { SchemaRegistry, SchemaType } = confluent;

export type RegistryFormat = 'avro' | 'json' | 'protobuf';

/** The three schemas of the tests registered in a registry, with the producers' serializer. */
export interface RegisteredSchemas {
  registry: InstanceType<typeof SchemaRegistry>;
  ids: Record<RegistryFormat, number>;
}

export async function registerTestSchemas(
  url: string,
  prefix: string,
  auth?: { username: string; password: string },
): Promise<RegisteredSchemas> {
  const registry = new SchemaRegistry({ host: url, ...(auth ? { auth } : {}) });
  const subject = (name: string) => ({ subject: `${prefix}-${name}-value` });
  const avro = await registry.register(
    { type: SchemaType.AVRO, schema: AVRO_SCHEMA },
    subject('avro'),
  );
  const json = await registry.register(
    { type: SchemaType.JSON, schema: JSON_SCHEMA },
    subject('json'),
  );
  const protobuf = await registry.register(
    { type: SchemaType.PROTOBUF, schema: PROTO_SCHEMA },
    subject('protobuf'),
  );
  return {
    registry,
    ids: {
      avro: avro.id,
      json: json.id,
      protobuf: protobuf.id,
    },
  };
}

/**
 * A Kafka message value as a Confluent producer writes it, made by @kafkajs/confluent-schema-
 * registry's serializer. That serializer leaves out the Protobuf message-index list the wire
 * format requires after the schema id (Confluent's serializers write it): the list `[0]`, a
 * single 0 byte, is put in here, as a Confluent producer sends it. Its Protobuf objects name
 * fields in camelCase (protobufjs' default), so `model_version` is given as `modelVersion`.
 */
export async function encodeEvent(
  s: RegisteredSchemas,
  format: RegistryFormat,
  event: RegistryEvent,
): Promise<Buffer> {
  if (format !== 'protobuf') return s.registry.encode(s.ids[format], event);
  const { model_version: modelVersion, ...rest } = event;
  const bytes = await s.registry.encode(s.ids[format], { ...rest, modelVersion });
  return Buffer.concat([bytes.subarray(0, 5), Buffer.from([0]), bytes.subarray(5)]);
}
