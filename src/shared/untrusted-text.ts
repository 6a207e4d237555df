/** Untrusted values (event fields, timestamps) formatted for logs and error messages. */

/**
 * An untrusted string for a log line or an error reason: a short escaped prefix and, when
 * cut, the full length, so a 300 KB name never reaches a log or a header whole.
 */
export function preview(text: string, maxChars = 40): string {
  if (text.length <= maxChars) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, maxChars))}… (${text.length} characters)`;
}

/** Never throws: formatting untrusted values (e.g. a timestamp far out of range) must be safe. */
export function safeIso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
