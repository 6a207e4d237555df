import type { SchemaNames } from '../../../alert-engine/model.js';

/**
 * A schema alert's feature names as every body shows them: the count alone says *that* the
 * input changed shape; the names say which producer field to chase.
 */

type ListKey = 'missingFeatures' | 'wrongTypeFeatures' | 'newFeatures';

/** The three lists in the order bodies show them, with their labels. */
export const SCHEMA_LISTS: readonly [key: ListKey, label: string][] = [
  ['newFeatures', 'new features'],
  ['missingFeatures', 'missing features'],
  ['wrongTypeFeatures', 'wrong-type features'],
];

/** `a, b (+3 more)`; `none` when the list is empty. */
export function namesText(s: SchemaNames, key: ListKey): string {
  const names = s[key];
  const more = s.unlisted[key];
  if (names.length === 0 && more === 0) return 'none';
  return `${names.join(', ')}${more > 0 ? ` (+${more} more)` : ''}`;
}

/** "new features: a, b; missing features: c": the non-empty lists on one line (pagers, Slack). */
export function schemaText(s: SchemaNames): string {
  const parts = SCHEMA_LISTS.filter(([key]) => s[key].length > 0 || s.unlisted[key] > 0).map(
    ([key, label]) => `${label}: ${namesText(s, key)}`,
  );
  return parts.length > 0 ? parts.join('; ') : 'no schema changes';
}

/** The names as the webhook payload carries them (snake_case). */
export function schemaJson(s: SchemaNames | null): Record<string, unknown> | null {
  if (!s) return null;
  return {
    missing_features: s.missingFeatures,
    wrong_type_features: s.wrongTypeFeatures,
    new_features: s.newFeatures,
    unlisted: {
      missing_features: s.unlisted.missingFeatures,
      wrong_type_features: s.unlisted.wrongTypeFeatures,
      new_features: s.unlisted.newFeatures,
    },
  };
}
