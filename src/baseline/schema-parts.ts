import { z } from 'zod';

export const proportion = z.number().min(0).max(1);

/** Proportions written by the builder sum to 1 up to rounding; anything else is corrupt. */
export const sumsToOne = (values: readonly number[]) =>
  Math.abs(values.reduce((a, b) => a + b, 0) - 1) <= 1e-6;

export const ascending = (values: readonly number[], strict: boolean) =>
  values.every(
    (v, i) => i === 0 || (strict ? v > (values[i - 1] as number) : v >= (values[i - 1] as number)),
  );
