/**
 * The prediction log of the tests (default shape: model, model_version, epoch-ms timestamp,
 * id, features a, b, country, a numeric prediction) as an Avro, JSON Schema and Protobuf
 * schema, the way a team registering its producer's schema would write them.
 */
export interface RegistryEvent {
  model: string;
  model_version: string;
  timestamp: number;
  id: string;
  features: { a: number | null; b: number | null; country: string | null };
  prediction: number;
}

export const AVRO_SCHEMA = JSON.stringify({
  type: 'record',
  name: 'PredictionLog',
  namespace: 'driftwatch.test',
  fields: [
    { name: 'model', type: 'string' },
    { name: 'model_version', type: 'string' },
    { name: 'timestamp', type: 'long' },
    { name: 'id', type: 'string' },
    {
      name: 'features',
      type: {
        type: 'record',
        name: 'Features',
        fields: [
          { name: 'a', type: ['null', 'double'], default: null },
          { name: 'b', type: ['null', 'double'], default: null },
          { name: 'country', type: ['null', 'string'], default: null },
        ],
      },
    },
    { name: 'prediction', type: 'double' },
  ],
});

export const JSON_SCHEMA = JSON.stringify({
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'PredictionLog',
  type: 'object',
  required: ['model', 'model_version', 'timestamp', 'features', 'prediction'],
  properties: {
    model: { type: 'string' },
    model_version: { type: 'string' },
    timestamp: { type: 'integer' },
    id: { type: 'string' },
    features: {
      type: 'object',
      properties: {
        a: { type: ['number', 'null'] },
        b: { type: ['number', 'null'] },
        country: { type: ['string', 'null'] },
      },
    },
    prediction: { type: 'number' },
  },
});

export const PROTO_SCHEMA = `syntax = "proto3";
package driftwatch.test;

message PredictionLog {
  string model = 1;
  string model_version = 2;
  int64 timestamp = 3;
  string id = 4;
  Features features = 5;
  double prediction = 6;

  message Features {
    optional double a = 1;
    optional double b = 2;
    optional string country = 3;
  }
}

message Other {
  string note = 1;
  message Deeper {
    string model = 1;
  }
}
`;

/** The Confluent wire-format header: magic byte 0 and the schema id, big-endian. */
export function wireHeader(id: number): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return header;
}
