import { expect } from 'vitest';
import {
  DEFAULT_WINDOW_DRIFT_SETTINGS,
  evaluateWindow,
  type WindowPoint,
} from '../../src/drift/window-points.js';
import type { Window } from '../../src/windows/window.js';

/** Every method on every feature: each statistic a window's state feeds gets compared. */
export function evaluateAllMethods(window: Window): WindowPoint[] {
  return evaluateWindow(window, {
    ...DEFAULT_WINDOW_DRIFT_SETTINGS,
    numericMethods: ['psi', 'ks', 'wasserstein', 'jensen_shannon', 'hellinger'],
    categoricalMethods: ['psi', 'chi_square', 'jensen_shannon', 'hellinger'],
  });
}

export const keyOf = (p: WindowPoint) =>
  `${p.feature}/${p.kind === 'summary' ? 'summary' : p.method}`;

/** Object.is, element by element for arrays (counts) and key by key for records (fields). */
function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && same(a[k], b[k]));
  }
  return Object.is(a, b);
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const show = (v: unknown): string => (isRecord(v) ? JSON.stringify(v) : String(v));

/** Every field of every point that differs (Object.is: last bits and signed zeros count). */
export function differences(a: readonly WindowPoint[], b: readonly WindowPoint[]): string[] {
  expect(b.map(keyOf)).toEqual(a.map(keyOf));
  const out: string[] = [];
  a.forEach((pa, i) => {
    const pb = b[i] as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(pa)) {
      if (!same(value, pb[key])) out.push(`${keyOf(pa)}.${key}: ${show(value)} ≠ ${show(pb[key])}`);
    }
    for (const key of Object.keys(pb)) {
      if (!(key in pa)) out.push(`${keyOf(pa)}.${key}: missing ≠ ${String(pb[key])}`);
    }
  });
  return out;
}

/**
 * The points a window merged from an older-format partial still writes: no model-level points,
 * no wrong-type counts (that format did not carry them).
 */
export function withoutOps(points: readonly WindowPoint[]): WindowPoint[] {
  return points.flatMap((p): WindowPoint[] => {
    if (p.kind === 'model') return [];
    if (p.kind !== 'summary') return [p];
    const copy = { ...p };
    delete copy.wrongType;
    return [copy];
  });
}
