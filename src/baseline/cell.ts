/** A training cell as a reader gives it: text from CSV, typed values from JSONL/Parquet. */
export type Cell = string | number | boolean | null | undefined;
/** What a cell means once interpreted: missing (null), a boolean, a number, or text. */
export type Present = string | number | boolean;

/** Cells read as missing, as pandas' read_csv does by default. */
const MISSING_TOKENS = new Set([
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
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** "01234" is a code (zip, account), not a number: its leading zero carries meaning. */
const LEADING_ZERO = /^[+-]?0\d/;

/**
 * Interprets one cell. `textual` (CSV) cells are read as pandas does: NA tokens are missing,
 * True/False booleans, numbers numbers unless a leading zero marks a code. Typed cells keep
 * their type; a non-finite number (and "1e400", which overflows) is missing.
 */
export function interpretCell(cell: Cell, textual: boolean): Present | null {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  if (typeof cell === 'boolean' || !textual) return cell;
  const text = cell.trim();
  if (MISSING_TOKENS.has(text)) return null;
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (NUMBER.test(text) && !LEADING_ZERO.test(text)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : null;
  }
  return text;
}
