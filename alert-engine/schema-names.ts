import type { DetailName, SchemaNames } from './model.js';

/**
 * The name lists of the schema point (`missing_feature_names`, …): written comma-joined and
 * bounded by the daemon, read back here into the names a notification shows. One module holds
 * both directions so the format cannot drift between writer and reader.
 */

/** Method of the schema point (src/drift/model-points.ts writes it). */
export const SCHEMA_POINT_METHOD = 'schema';
/** Names listed in one field, at most: a window with thousands of new keys stays one point. */
export const LISTED_NAMES = 20;

const MORE = /^…\((\d+) more\)$/;

/** `a,b,c`, or past the bound `a,…,t,…(5 more)`; empty when there are none. */
export function listNames(names: readonly string[]): string {
  return names.length <= LISTED_NAMES
    ? names.join(',')
    : `${names.slice(0, LISTED_NAMES).join(',')},…(${names.length - LISTED_NAMES} more)`;
}

/** The names a field lists and how many it left out (its `…(N more)` tail). */
export function parseListed(field: string | undefined): { names: string[]; unlisted: number } {
  // Restored state is JSON as written; anything but a non-empty string lists nothing.
  if (typeof field !== 'string' || field === '') return { names: [], unlisted: 0 };
  const names = field.split(',');
  const tail = MORE.exec(names[names.length - 1] ?? '');
  if (!tail) return { names, unlisted: 0 };
  return { names: names.slice(0, -1), unlisted: Number(tail[1]) };
}

/**
 * The schema names of an alert's last window: for schema points with their text fields, else
 * null (other methods; state kept before the names were).
 */
export function schemaNamesOf(
  method: string,
  details: Readonly<Partial<Record<DetailName, string>>> | null | undefined,
): SchemaNames | null {
  if (method !== SCHEMA_POINT_METHOD || !details) return null;
  const missing = parseListed(details.missing_feature_names);
  const wrong = parseListed(details.wrong_type_feature_names);
  const added = parseListed(details.new_feature_names);
  return {
    missingFeatures: missing.names,
    wrongTypeFeatures: wrong.names,
    newFeatures: added.names,
    unlisted: {
      missingFeatures: missing.unlisted,
      wrongTypeFeatures: wrong.unlisted,
      newFeatures: added.unlisted,
    },
  };
}
