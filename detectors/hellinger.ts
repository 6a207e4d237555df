import { checkedTotal, checkSameLength } from './distribution.js';

/**
 * Hellinger distance between two discrete distributions over the same bins, each normalised
 * to sum 1: sqrt(Σ(√p − √q)²)/√2, in [0, 1]. The √-difference form keeps precision for
 * near-identical inputs, where 1 − Σ√(pq) rounds to 0.
 */
export function hellingerDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkSameLength('hellingerDistance', p, q, ['p', 'q']);
  const pTotal = checkedTotal('hellingerDistance', 'p', p);
  const qTotal = checkedTotal('hellingerDistance', 'q', q);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const d = Math.sqrt((p[i] as number) / pTotal) - Math.sqrt((q[i] as number) / qTotal);
    sum += d * d;
  }
  return Math.min(1, Math.sqrt(sum) / Math.SQRT2);
}
