import { DetectorInputError } from './errors.js';

/** Sum of a vector of counts or weights, rejecting a negative, NaN or infinite one by name. */
export function nonNegativeSum(fn: string, name: string, v: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    if (!(x >= 0) || x === Infinity) {
      throw new DetectorInputError(
        fn,
        `${name}[${i}] is ${x}; counts and proportions must be finite and >= 0`,
      );
    }
    total += x;
  }
  return total;
}

/** The total of a distribution to normalise by: non-empty, valid, not all zeros. */
export function checkedTotal(fn: string, name: string, v: ArrayLike<number>): number {
  if (v.length === 0) throw new DetectorInputError(fn, `${name} is empty`);
  const total = nonNegativeSum(fn, name, v);
  if (!(total > 0)) throw new DetectorInputError(fn, `${name} sums to 0; nothing to compare`);
  return total;
}

export function checkSameLength(
  fn: string,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  names = ['reference', 'current'],
): void {
  if (a.length !== b.length) {
    throw new DetectorInputError(
      fn,
      `${names[0]} and ${names[1]} must have the same number of bins (${a.length} vs ${b.length})`,
    );
  }
}
