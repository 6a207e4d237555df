/**
 * cell.ts's reading of a text cell, for a CSV cell still in the reader's bytes (trimmed, see
 * CellSink.bytes): the NA tokens, true/false in any letter case, and category text, without a
 * string per cell for the first two and one string per distinct recent value for the last.
 * Numbers are input/decimal.ts's. tests/unit/baseline-cell-bytes.test.ts checks the result is
 * interpretCell's for random cells.
 */
import { MISSING_TOKENS } from './cell.js';

const TOKENS = [...MISSING_TOKENS].filter((t) => t !== '').map((t) => Buffer.from(t, 'latin1'));
const LONGEST_TOKEN = Math.max(...TOKENS.map((t) => t.length));

/** Whether buf[start, end) is one of the NA tokens (the empty cell included). */
export function isMissingBytes(buf: Buffer, start: number, end: number): boolean {
  const n = end - start;
  if (n === 0) return true;
  if (n > LONGEST_TOKEN) return false;
  tokens: for (const token of TOKENS) {
    if (token.length !== n) continue;
    for (let k = 0; k < n; k++) if (buf[start + k] !== token[k]) continue tokens;
    return true;
  }
  return false;
}

/** Whether the bytes spell `word` (lower-case ASCII) in any letter case. */
function spells(buf: Buffer, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  // | 0x20 folds exactly the ASCII upper-case letters onto lower case among bytes that can
  // equal a lower-case letter after it (0x41–0x5A → 0x61–0x7A).
  for (let k = 0; k < word.length; k++) {
    if (((buf[start + k] as number) | 0x20) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** The category key of a cell that reads as a boolean ("TRUE" → "true"), else undefined. */
export function booleanKey(buf: Buffer, start: number, end: number): string | undefined {
  if (spells(buf, start, end, 'true')) return 'true';
  if (spells(buf, start, end, 'false')) return 'false';
  return undefined;
}

const CACHE_SLOTS = 1024;
/** Longer values (identifiers, free text) are rarely repeated: not worth hashing. */
const CACHE_MAX_BYTES = 32;

/**
 * The text of category cells of one column: a direct-mapped cache of recent values, so a
 * column of a few hundred codes costs a hash of a few bytes per cell and no allocation, while
 * a column of unique identifiers costs a string per cell as without it (and stays bounded).
 */
export class TextCache {
  private readonly slots: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS).fill(
    undefined,
  );

  /** buf[start, end) as a string (UTF-8). */
  text(buf: Buffer, start: number, end: number): string {
    const n = end - start;
    if (n > CACHE_MAX_BYTES) return buf.toString('utf8', start, end);
    let hash = 0x811c9dc5 ^ n;
    for (let i = start; i < end; i++) {
      const byte = buf[i] as number;
      if (byte >= 0x80) return buf.toString('utf8', start, end);
      hash = Math.imul(hash ^ byte, 0x01000193);
    }
    const slot = (hash ^ (hash >>> 16)) & (CACHE_SLOTS - 1);
    const cached = this.slots[slot];
    if (cached !== undefined && cached.length === n) {
      let k = 0;
      while (k < n && cached.charCodeAt(k) === buf[start + k]) k++;
      if (k === n) return cached;
    }
    const text = buf.toString('latin1', start, end); // ASCII, checked above
    this.slots[slot] = text;
    return text;
  }
}
