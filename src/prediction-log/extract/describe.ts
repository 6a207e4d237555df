import { preview } from '../../shared/untrusted-text.js';

/** A value found in a message, for a refusal's reason: short, escaped, never the whole value. */
export function describeFound(v: unknown): string {
  if (typeof v === 'string') return preview(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : typeof v;
}
