import type { Cell as TableCell } from './input/types.js';

/** A training cell as a reader gives it (or a short in-memory column leaves undefined). */
export type Cell = TableCell | undefined;
/** What a cell means once interpreted: missing (null), a boolean, a number, or text. */
export type Present = string | number | boolean;

/** Cells read as missing, as pandas' read_csv does by default. */
export const MISSING_TOKENS: ReadonlySet<string> = new Set([
  '',
  'NA',
  'N/A',
  'NaN',
  'nan',
  'null',
  'NULL',
  'None',
  '#N/A',
  'n/a',
]);
/** Number-like text: input/decimal.ts reads the same texts from bytes. */
export const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Interprets one cell. `textual` (CSV) cells are read as pandas does: NA tokens are missing,
 * True/False booleans, number-like text a number ("05" is 5, like an hour the logs send as 5);
 * other text is kept exactly as written (padding included: production values are compared
 * as they come). Typed cells keep their type; a non-finite number (and "1e400", which
 * overflows) is missing.
 */
export function interpretCell(cell: Cell, textual: boolean): Present | null {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  if (typeof cell === 'boolean' || !textual) return cell;
  const text = cell.trim();
  if (MISSING_TOKENS.has(text)) return null;
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (NUMBER.test(text)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : null;
  }
  return cell;
}

/**
 * A cell of a column declared categorical: text stays exactly as written ("01234", "1.0",
 * "+5" are categories, not numbers), only NA tokens are missing.
 */
export function interpretCategoricalCell(cell: Cell, textual: boolean): Present | null {
  if (typeof cell === 'string' && textual) return MISSING_TOKENS.has(cell.trim()) ? null : cell;
  return interpretCell(cell, textual);
}
