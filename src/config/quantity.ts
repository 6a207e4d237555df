import { z } from 'zod';

/**
 * A quantity in config: a plain number in the base unit, or a string with a unit that `parse`
 * understands. One shape for durations and sizes, so both read and fail alike.
 */
export function quantitySchema(parse: (text: string) => number | undefined, expected: string) {
  return z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
    if (typeof v === 'number') return v;
    const value = parse(v);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}, got "${v}"` });
      return z.NEVER;
    }
    return value;
  });
}
