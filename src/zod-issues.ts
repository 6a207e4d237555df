import type { z } from 'zod';

/** Longest key or message shown: the input may be any file, and its keys are its content. */
const MAX_TEXT = 200;

function shorten(text: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return printable.length > MAX_TEXT ? `${printable.slice(0, MAX_TEXT)}…` : printable;
}

/**
 * One line per problem: `kafka.brokers[0]: expected string, received number`; past `max`
 * problems, a count of the rest (input that is not even the right kind of file lists many).
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], max = Infinity): string {
  const lines = issues.slice(0, max).map((issue) => {
    let keyPath = '';
    for (const key of issue.path) {
      keyPath += typeof key === 'number' ? `[${key}]` : keyPath ? `.${String(key)}` : String(key);
    }
    return `  - ${shorten(keyPath) || '(root)'}: ${shorten(issue.message)}`;
  });
  if (issues.length > max) lines.push(`  - … and ${issues.length - max} more`);
  return lines.join('\n');
}
