import { z } from 'zod';
import { parsePath } from '../shared/json-path.js';

/**
 * `input`: how messages of the input topic become prediction events (README "Input formats
 * and field mapping"). Without `mapping`, messages are the default prediction-log JSON shape.
 */

/** A JSON Pointer (`/a/b/0`) or a dotted path (`a.b.0`); `""` is the whole message. */
const pathSchema = z.string().superRefine((text, ctx) => {
  const parsed = parsePath(text);
  if (!Array.isArray(parsed)) ctx.addIssue({ code: 'custom', message: parsed.error });
});

const regexSchema = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    try {
      new RegExp(text);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: `not a regular expression: ${(err as Error).message}`,
      });
    }
  });

/** Where one string value comes from. A plain string is a path. */
const valueSourceSchema = z.union(
  [
    pathSchema,
    z.strictObject({ path: pathSchema }),
    /** A Kafka record header (exact name, value read as UTF-8). */
    z.strictObject({ header: z.string().min(1) }),
    /** The topic name: the regex's first capture group, or its whole match without a group. */
    z.strictObject({ topic: regexSchema }),
    /** The same value for every message. */
    z.strictObject({ value: z.string().min(1) }),
  ],
  {
    error:
      'expected a path ("/a/b" or "a.b"), or one of { path }, { header }, { topic: regex }, { value }',
  },
);

/** One source, or a list tried in order: the first one present in the message is used. */
const valueSourcesSchema = z.union([valueSourceSchema, z.array(valueSourceSchema).min(1)]);

export const TIMESTAMP_UNITS = ['auto', 'iso', 's', 'ms', 'us'] as const;

const timestampSourceSchema = z.union(
  [
    pathSchema,
    /**
     * `unit`: `iso` (ISO 8601 string with a zone), `s`, `ms`, `us` (epoch numbers), `auto`
     * (as the default shape: a number is epoch ms, a string ISO 8601).
     */
    z.strictObject({ path: pathSchema, unit: z.enum(TIMESTAMP_UNITS).default('auto') }),
    /** The Kafka record timestamp (producer create time or broker log-append time). */
    z.strictObject({ kafkaTimestamp: z.literal(true) }),
  ],
  {
    error: 'expected a path, { path, unit: auto|iso|s|ms|us }, or { kafkaTimestamp: true }',
  },
);

const featuresSchema = z.union(
  [
    /** An object of feature values at a path. */
    pathSchema,
    z.strictObject({ path: pathSchema }),
    /** A list of names and a list of values, paired by position. */
    z.strictObject({ names: pathSchema, values: pathSchema }),
    /** Every field of the object at `at` (default: the whole message) except these keys. */
    z.strictObject({ except: z.array(z.string()).default([]), at: pathSchema.default('') }),
    /** Named features, each at its own path. */
    z.strictObject({ fields: z.record(z.string().min(1), pathSchema) }),
  ],
  {
    error:
      'expected a path, or one of { path }, { names, values }, { except: [keys], at }, { fields: { name: path } }',
  },
);

export const OIP_MESSAGE_KINDS = ['pair', 'request', 'response'] as const;

/** Options of the Open Inference Protocol (V2) preset. */
const oipSchema = z.strictObject({
  /** Feature names of a tensor's columns (shape [N, k]), by tensor name; default name_0…name_{k-1}. */
  featureNames: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)).default({}),
  /** The output tensor that is the prediction (default: the first output). */
  prediction: z.string().min(1).optional(),
  /**
   * Which messages make events: `pair` (request and response in one message), `request`
   * (inputs only: features, no prediction), `response` (outputs only: prediction, no features).
   * A message of a kind not listed yields no event (counted as skipped).
   */
  messages: z
    .array(z.enum(OIP_MESSAGE_KINDS))
    .min(1)
    .default([...OIP_MESSAGE_KINDS]),
});

export const mappingSchema = z
  .strictObject({
    /** `oip-v2`: Open Inference Protocol tensors; the keys below then override its defaults. */
    preset: z.literal('oip-v2').optional(),
    model: valueSourcesSchema.optional(),
    version: valueSourcesSchema.optional(),
    timestamp: z.union([timestampSourceSchema, z.array(timestampSourceSchema).min(1)]).optional(),
    id: valueSourcesSchema.optional(),
    features: featuresSchema.optional(),
    prediction: pathSchema.optional(),
    label: pathSchema.optional(),
    /** The serving latency in milliseconds (ops series: latency quantiles). */
    latency: pathSchema.optional(),
    /** An error flag: true, a non-empty message or a non-zero code (ops series: error share). */
    error: pathSchema.optional(),
    oip: oipSchema.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.preset === undefined) {
      for (const key of ['model', 'version', 'timestamp', 'features'] as const) {
        if (m[key] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'required (without a preset, the mapping says where every field is)',
          });
        }
      }
      if (m.oip !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['oip'], message: 'only with preset: oip-v2' });
      }
      return;
    }
    for (const key of ['features', 'prediction', 'label'] as const) {
      if (m[key] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'not with preset oip-v2 (features and prediction come from its tensors)',
        });
      }
    }
  });

export const INPUT_FORMATS = ['json', 'schema-registry'] as const;

/** How one topic's messages become events: the default JSON shape without a mapping. */
const topicInputShape = {
  /**
   * How a message's bytes are read: `json` (UTF-8 JSON text) or `schema-registry` (Confluent
   * wire format: Avro, JSON Schema or Protobuf, schemas from the `schemaRegistry` section).
   */
  format: z.enum(INPUT_FORMATS).default('json'),
  mapping: mappingSchema.optional(),
};

/**
 * A further input topic, named or matched by a regular expression (topics matching it when the
 * daemon starts), with its own mapping. A topic is read under the first entry that names or
 * matches it; `kafka.topic` always under the top-level mapping.
 */
const topicInputSchema = z.union(
  [
    z.strictObject({ topic: z.string().min(1), ...topicInputShape }),
    z.strictObject({ pattern: regexSchema, ...topicInputShape }),
  ],
  { error: 'expected { topic: name, format?, mapping? } or { pattern: regex, format?, mapping? }' },
);

export const inputSchema = z.strictObject({
  ...topicInputShape,
  /** More input topics, each with its own mapping (README "Several input topics"). */
  topics: z.array(topicInputSchema).default([]),
});

export type InputConfig = z.output<typeof inputSchema>;

/** The key of the first input read in the Schema Registry wire format, if any. */
export function schemaRegistryFormatKey(input: InputConfig): string | undefined {
  if (input.format === 'schema-registry') return 'input.format';
  const i = input.topics.findIndex((t) => t.format === 'schema-registry');
  return i < 0 ? undefined : `input.topics[${i}].format`;
}

/** Whether any input topic is read in the Schema Registry wire format. */
export function readsSchemaRegistry(input: InputConfig): boolean {
  return schemaRegistryFormatKey(input) !== undefined;
}
/** The part of `input` that says how one topic's messages are read. */
export type TopicInputConfig = Pick<InputConfig, keyof typeof topicInputShape>;
export type ExtraTopicConfig = z.output<typeof topicInputSchema>;
export type MappingConfig = z.output<typeof mappingSchema>;
export type ValueSourceConfig = z.output<typeof valueSourceSchema>;
export type TimestampSourceConfig = z.output<typeof timestampSourceSchema>;
export type FeaturesConfig = z.output<typeof featuresSchema>;
export type OipConfig = z.output<typeof oipSchema>;
