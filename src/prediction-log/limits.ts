import { createHash } from 'node:crypto';

/**
 * Bounds on the strings a prediction log carries (README "Limits"). Model, version and feature
 * names become InfluxDB tags, map keys and log fields, and categorical values are kept by name
 * while their window is open: without bounds one message could make a point InfluxDB refuses
 * or hold hundreds of megabytes. The values are far above what real producers send.
 */
export const LIMITS = {
  /** Characters of `model`, `model_version` and each feature name. */
  nameLength: 256,
  /** Features in one event. */
  featuresPerEvent: 10_000,
  /** Characters of a categorical value kept by name (longer unseen ones are shortened). */
  categoryLength: 256,
} as const;

/** Characters a name must not contain (U+0000–U+001F, U+007F): they would reach tags and logs. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * The name an over-long categorical value is kept under: a prefix for people plus a hash, so
 * distinct values stay distinct categories (the statistics see the same counts) while the
 * name is bounded. Deterministic, so every replica and replay gives the same name.
 */
export function shortenedCategory(value: string): string {
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 32);
  return `${value.slice(0, 64)}…[${value.length} characters, sha256 ${hash}]`;
}
