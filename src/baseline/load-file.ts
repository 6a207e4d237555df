import { DriftwatchError } from '../errors.js';
import { formatIssues } from '../zod-issues.js';
import { baselineIdentity, toBaseline, type Baseline } from './baseline.js';
import { contentSha256 } from './canonical.js';
import { readBoundedFile, type ReadMode } from './file-read.js';
import { baselineSchemaFor, type BaselineFile } from './file-format.js';
import { MAX_BASELINE_FILE_SIZE } from './limits.js';

/** Schema problems listed per file: a non-baseline JSON file would otherwise list every key. */
const MAX_ISSUES = 20;

export interface ReadOptions {
  maxBytes?: number;
  mode?: ReadMode;
}

export async function loadBaselineFile(file: string, options?: ReadOptions): Promise<Baseline> {
  const { parsed, hash } = await readBaselineFile(file, options);
  return toBaseline(parsed, hash, file);
}

/** Reads, validates (schema and, for format 2, the content hash) and identifies a file. */
export async function readBaselineFile(
  file: string,
  { maxBytes = MAX_BASELINE_FILE_SIZE, mode = 'named' }: ReadOptions = {},
): Promise<{ parsed: BaselineFile; hash: string }> {
  return parseBaselineBytes(await readBoundedFile(file, maxBytes, mode), file);
}

export function parseBaselineBytes(
  bytes: Buffer,
  file: string,
): { parsed: BaselineFile; hash: string } {
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DriftwatchError(
      'BASELINE_INVALID',
      `${file}: not valid JSON: ${describeJsonError((err as Error).message, text)}`,
    );
  }
  const result = baselineSchemaFor(json).safeParse(json);
  if (!result.success) {
    throw new DriftwatchError(
      'BASELINE_INVALID',
      `${file} is not a valid baseline:\n${formatIssues(result.error.issues, MAX_ISSUES)}`,
    );
  }
  const parsed = result.data;
  if ('content_sha256' in parsed && contentSha256(parsed) !== parsed.content_sha256) {
    throw new DriftwatchError(
      'BASELINE_INVALID',
      `${file}: content_sha256 does not match the content — the file was changed after it was built; rebuild it instead of editing`,
    );
  }
  return { parsed, hash: baselineIdentity(parsed, bytes) };
}

/**
 * V8's JSON.parse messages quote up to ten characters of the input ("hello worl"...), which
 * for a file that is no baseline at all (a key, a password file) would put its first bytes in
 * the log. Only the kind of problem, its position and at most the one offending character
 * (escaped) are kept.
 */
export function describeJsonError(message: string, text: string): string {
  const token = /^Unexpected token '(.+?)', "/su.exec(message);
  if (token) return `unexpected character ${JSON.stringify(token[1])}`;
  const at = /^(.*?) in JSON at position (\d+)/su.exec(message);
  if (at) {
    const offset = Number(at[2]);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    return `${at[1]} at line ${line}, column ${column} (character ${offset})`;
  }
  const after = /^(.*?) after JSON at position (\d+)/su.exec(message);
  if (after) return `${after[1]} after the JSON value (character ${after[2]})`;
  // Any other wording might quote the input: say only that it failed.
  return /^[\w ,.'-]{1,80}$/.test(message) ? message : 'syntax error';
}
