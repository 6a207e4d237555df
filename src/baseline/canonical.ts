import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level and no whitespace: the same content always
 * gives the same bytes, whatever order it was built or pretty-printed in.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the canonical JSON of a baseline without its `content_sha256` field. */
export function contentSha256(file: Record<string, unknown>): string {
  const content = { ...file };
  delete content.content_sha256;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
