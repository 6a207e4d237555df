import { z } from 'zod';

/** Identifier of the on-disk baseline format; bump on any incompatible change. */
export const BASELINE_FORMAT = 'driftwatch.baseline/v1';

/** Largest reference sample a baseline stores per numeric feature. */
export const REFERENCE_SAMPLE_SIZE = 10_000;

const proportion = z.number().min(0).max(1);

/** Proportions written by the builder sum to 1 up to rounding; anything else is corrupt. */
const sumsToOne = (values: readonly number[]) =>
  Math.abs(values.reduce((a, b) => a + b, 0) - 1) <= 1e-6;

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
     * Reference sample for KS and Wasserstein, ascending: every training value when there are
     * at most `REFERENCE_SAMPLE_SIZE`, else that many evenly spaced training quantiles. Its
     * length is the n_ref of the KS test. Absent in older files: KS/Wasserstein unavailable.
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

export const baselineFileSchema = z.strictObject({
  format: z.literal(BASELINE_FORMAT),
  model: z.string().min(1),
  model_version: z.string().min(1),
  created_at: z.iso.datetime(),
  source: z.strictObject({ file: z.string(), rows: z.number().int().nonnegative() }),
  features: z.record(
    z.string(),
    z.discriminatedUnion('kind', [numericFeature, categoricalFeature]),
  ),
});

export type BaselineFile = z.infer<typeof baselineFileSchema>;
