import { z } from 'zod';
import { proportion, sumsToOne } from './schema-parts.js';

/**
 * The first baseline format (driftwatch 0.1), still read so files built then keep working;
 * new files are written in format 2 (file-format.ts).
 */
export const BASELINE_FORMAT_V1 = 'driftwatch.baseline/v1';

const numericFeature = z
  .strictObject({
    kind: z.literal('numeric'),
    /** Ascending interior cut points; bins are (-inf, c1), [c1, c2), …, [ck, +inf). */
    cuts: z.array(z.number()).min(1),
    /** Training proportion per bin: cuts.length + 1 entries summing to 1. */
    proportions: z.array(proportion),
    count: z.number().int().positive(),
    missing: z.number().int().nonnegative(),
    /** Training standard deviation (ddof 0); scales the Wasserstein distance. */
    std: z.number().nonnegative().optional(),
    /**
     * Reference sample for KS and Wasserstein, ascending (written by 0.1 builds after the
     * detectors landed). Absent: KS/Wasserstein unavailable.
     */
    sample: z.array(z.number()).min(1).optional(),
  })
  .refine((f) => f.proportions.length === f.cuts.length + 1, {
    message: 'proportions must have one entry more than cuts',
    path: ['proportions'],
  })
  .refine((f) => sumsToOne(f.proportions), {
    message: 'proportions must sum to 1',
    path: ['proportions'],
  })
  .refine((f) => f.cuts.every((c, i) => i === 0 || c > (f.cuts[i - 1] as number)), {
    message: 'cuts must be strictly ascending',
    path: ['cuts'],
  })
  .refine(
    (f) => !f.sample || f.sample.every((v, i) => i === 0 || v >= (f.sample?.[i - 1] as number)),
    {
      message: 'sample must be ascending',
      path: ['sample'],
    },
  );

const categoricalFeature = z
  .strictObject({
    kind: z.literal('categorical'),
    /** Training proportion per category (canonical string form of the value). */
    proportions: z.record(z.string(), proportion),
    count: z.number().int().positive(),
    missing: z.number().int().nonnegative(),
  })
  .refine((f) => sumsToOne(Object.values(f.proportions)), {
    message: 'proportions must sum to 1 (and name at least one category)',
    path: ['proportions'],
  });

export const baselineFileV1Schema = z.strictObject({
  format: z.literal(BASELINE_FORMAT_V1),
  model: z.string().min(1),
  model_version: z.string().min(1),
  created_at: z.iso.datetime(),
  source: z.strictObject({ file: z.string(), rows: z.number().int().nonnegative() }),
  features: z.record(
    z.string(),
    z.discriminatedUnion('kind', [numericFeature, categoricalFeature]),
  ),
});

export type BaselineFileV1 = z.infer<typeof baselineFileV1Schema>;
