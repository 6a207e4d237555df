import { z } from 'zod';
import { baselineFileV1Schema, type BaselineFileV1 } from './file-format-v1.js';
import { ascending, proportion, sumsToOne } from './schema-parts.js';

/** The baseline file format written today; bump on any incompatible change. */
export const BASELINE_FORMAT_VERSION = 2;

/** Largest reference sample a baseline stores per numeric feature (KS / Wasserstein). */
export const REFERENCE_SAMPLE_SIZE = 10_000;
/** Categories kept by name per categorical feature; the rest are counted as "other". */
export const DEFAULT_TOP_K = 1_000;
/** Quantiles stored per numeric feature for people (inspect, dashboards). */
export const SUMMARY_QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] as const;
/**
 * The tail quantiles a window's out-of-range counts compare against, stored with the summary
 * quantiles; files written before they were added load without them (no tail counts).
 */
export const TAIL_QUANTILES = [0.001, 0.999] as const;

const count = z.number().int().nonnegative();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex SHA-256');

const numericFeature = z
  .strictObject({
    kind: z.literal('numeric'),
    /** Non-missing training values. */
    count: count.positive(),
    /** Missing training values: empty, NA tokens, null. */
    missing: count,
    /** Over the non-missing values; std with ddof 0. */
    summary: z.strictObject({
      mean: z.number(),
      std: z.number().nonnegative(),
      min: z.number(),
      max: z.number(),
    }),
    /** numpy linear quantiles at SUMMARY_QUANTILES (and, since they were added, TAIL_QUANTILES). */
    quantiles: z.array(z.strictObject({ q: z.number().gt(0).lt(1), value: z.number() })),
    /** Ascending interior cut points; bins are (-inf, c1), [c1, c2), …, [ck, +inf). */
    cuts: z.array(z.number()).min(1),
    /** Training proportion per bin: cuts.length + 1 entries summing to 1. */
    proportions: z.array(proportion),
    /** Reference sample for KS and Wasserstein: its size is the n_ref of the KS test. */
    sample: z.strictObject({
      /** `all`: every training value; `quantiles`: `size` mid-point quantiles (i + ½)/size. */
      method: z.enum(['all', 'quantiles']),
      size: count.positive(),
      values: z.array(z.number()),
    }),
  })
  .refine((f) => f.proportions.length === f.cuts.length + 1, {
    message: 'proportions must have one entry more than cuts',
    path: ['proportions'],
  })
  .refine((f) => sumsToOne(f.proportions), {
    message: 'proportions must sum to 1',
    path: ['proportions'],
  })
  .refine((f) => ascending(f.cuts, true), {
    message: 'cuts must be strictly ascending',
    path: ['cuts'],
  })
  .refine((f) => f.sample.values.length === f.sample.size && ascending(f.sample.values, false), {
    message: 'sample.values must be ascending, sample.size of them',
    path: ['sample', 'values'],
  });

const categoricalFeature = z
  .strictObject({
    kind: z.literal('categorical'),
    count: count.positive(),
    missing: count,
    /** Distinct training categories. */
    distinct: count.positive(),
    /** Training count of each of the top-K categories (canonical string form of the value). */
    counts: z.record(z.string(), count),
    /** Training values of the categories beyond the top K, pooled. */
    other: count,
  })
  .refine((f) => Object.values(f.counts).reduce((a, b) => a + b, 0) + f.other === f.count, {
    message: 'counts plus other must add up to count',
    path: ['counts'],
  });

export const featureSchema = z.discriminatedUnion('kind', [numericFeature, categoricalFeature]);

/** Format 2: self-describing, traceable to its input, identified by its content hash. */
export const baselineFileV2Schema = z.strictObject({
  format_version: z.literal(BASELINE_FORMAT_VERSION),
  model: z.string().min(1),
  model_version: z.string().min(1),
  created_at: z.iso.datetime(),
  tool: z.strictObject({ name: z.literal('driftwatch'), version: z.string().min(1) }),
  source: z.strictObject({
    /** The input file's name as given to the builder. */
    file: z.string(),
    format: z.enum(['csv', 'jsonl', 'parquet', 'memory']),
    /** SHA-256 of the input file's bytes: ties the baseline to the exact training data. */
    sha256: sha256.nullable(),
    rows: count,
  }),
  options: z.strictObject({
    bins: z.number().int().min(2),
    top_k: z.number().int().min(1),
    sample_size: z.number().int().min(1),
    features: z.array(z.string()).nullable(),
    categorical: z.array(z.string()),
    prediction: z.string().nullable(),
  }),
  /** The feature that holds the model's output (prediction drift), if any. */
  prediction: z.string().nullable(),
  features: z.record(z.string(), featureSchema),
  /**
   * SHA-256 of the canonical JSON of every other field (keys sorted, no whitespace): the
   * baseline's identity, written (first 16 hex digits) with every drift point.
   */
  content_sha256: sha256,
});

export type BaselineFileV2 = z.infer<typeof baselineFileV2Schema>;
export type FeatureEntry = z.infer<typeof featureSchema>;

export type BaselineFile = BaselineFileV2 | BaselineFileV1;

/** Either format, told apart by its version field so errors speak of the right one. */
export function baselineSchemaFor(json: unknown) {
  const v1 =
    typeof json === 'object' && json !== null && 'format' in json && !('format_version' in json);
  return v1 ? baselineFileV1Schema : baselineFileV2Schema;
}
