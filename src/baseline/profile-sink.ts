import { booleanKey, isMissingBytes, TextCache } from './cell-bytes.js';
import { interpretCategoricalCell, interpretCell } from './cell.js';
import type { ColumnProfile } from './column-profile.js';
import { parseDecimal } from './input/decimal.js';
import type { CellSink } from './input/types.js';

/** Where a CSV cell is, for the profile's error messages: the line its row starts on. */
const locateLine = (line: number) => `line ${line}`;

/**
 * Where a CSV reader puts a build's cells (TableSource.readCells): each cell goes straight into
 * its column's profile as BaselineBuilder.addRows would put it, read from the bytes (numbers
 * by input/decimal.ts, NA tokens and booleans by cell-bytes.ts), so a numeric cell never
 * becomes a string. take() returns the rows read so far.
 */
export class ProfileSink implements CellSink<number> {
  /** By column in file order; undefined for a column the build does not read. */
  private readonly profiles: readonly (ColumnProfile | undefined)[];
  /** Declared --categorical: text as written, only NA tokens missing. */
  private readonly categorical: readonly boolean[];
  private readonly texts: readonly TextCache[];
  private readonly onRows: (rows: number) => void;
  count = 0;
  private total = 0;

  constructor(
    profiles: readonly (ColumnProfile | undefined)[],
    categorical: readonly boolean[],
    onRows: (rows: number) => void,
  ) {
    this.profiles = profiles;
    this.categorical = categorical;
    this.texts = profiles.map(() => new TextCache());
    this.onRows = onRows;
  }

  bytes(column: number, buf: Buffer, start: number, end: number, line: number): void {
    const profile = this.profiles[column];
    if (profile === undefined) return;
    if (start === end) {
      profile.missing++;
      return;
    }
    if (!this.categorical[column]) {
      const x = parseDecimal(buf, start, end);
      if (x === x) {
        // "1e400" is a number text, but not a finite number: missing, as in cell.ts.
        if (x - x === 0) profile.addNumber(x);
        else profile.missing++;
        return;
      }
      const key = booleanKey(buf, start, end);
      if (key !== undefined) {
        profile.addText(key, locateLine, line);
        return;
      }
    }
    if (isMissingBytes(buf, start, end)) profile.missing++;
    else profile.addText((this.texts[column] as TextCache).text(buf, start, end), locateLine, line);
  }

  number(
    column: number,
    value: number,
    buf: Buffer,
    start: number,
    end: number,
    line: number,
  ): void {
    const profile = this.profiles[column];
    if (profile === undefined) return;
    if (this.categorical[column]) this.bytes(column, buf, start, end, line);
    else if (value - value === 0) profile.addNumber(value);
    else profile.missing++; // "1e400", as in cell.ts
  }

  text(column: number, text: string, line: number): void {
    const profile = this.profiles[column];
    if (profile === undefined) return;
    const interpret = this.categorical[column] ? interpretCategoricalCell : interpretCell;
    profile.add(interpret(text, true), locateLine, line);
  }

  endRow(): void {
    this.count++;
  }

  /**
   * Makes room in each numeric column for what the rest of the input will likely add, given
   * that `share` of it has been read: one allocation per column instead of a doubling (and a
   * copy) every time it fills. A little more than the estimate, for rows of uneven length.
   */
  expect(share: number): void {
    if (!(share > 0 && share < 1)) return;
    for (const profile of this.profiles) {
      const count = profile?.numericCount ?? 0;
      if (count > 0) profile?.reserve(Math.ceil((count / share) * 1.02) + 1024);
    }
  }

  take(): number {
    this.onRows(this.count);
    this.total += this.count;
    this.count = 0;
    return this.total;
  }
}
