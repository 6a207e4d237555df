import { isNode, type Document, type LineCounter } from 'yaml';
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
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  max = Infinity,
  lineOf?: (path: readonly PropertyKey[]) => number | undefined,
): string {
  const lines = issues.slice(0, max).map((issue) => {
    const line = lineOf?.(issue.path);
    const at = line !== undefined ? ` (line ${line})` : '';
    return `  - ${shorten(keyPathOf(issue.path))}: ${shorten(issue.message)}${at}`;
  });
  if (issues.length > max) lines.push(`  - … and ${issues.length - max} more`);
  return lines.join('\n');
}

/** `kafka.brokers[0]`: a zod issue's path as the user writes the key. */
export function keyPathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

/**
 * The line of a key path in a parsed YAML document: that of the deepest node that exists along
 * the path (a missing key is reported at its parent's line).
 */
export function yamlLineOf(
  doc: Document,
  lines: LineCounter,
): (path: readonly PropertyKey[]) => number | undefined {
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
}
