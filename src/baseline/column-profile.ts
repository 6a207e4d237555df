import { categoryKey } from './baseline.js';
import type { Present } from './cell.js';

/** A text column with more distinct values than this is an identifier, not a feature. */
export const MAX_DISTINCT_CATEGORIES = 100_000;

/**
 * One training column, accumulated row by row: numbers in a growing typed array (needed in
 * full for exact quantiles), other values counted by category. Memory is 8 bytes per numeric
 * cell and one entry per distinct category, never the raw text of the file.
 */
export class ColumnProfile {
  readonly name: string;
  missing = 0;
  private numbers = new Float64Array(1024);
  private numberCount = 0;
  readonly categories = new Map<string, number>();
  private textCount = 0;
  /** Where the first non-number appeared, for "not a number" errors. */
  firstText: { value: string; location: string } | undefined;
  private tooManyAt: string | undefined;

  constructor(name: string) {
    this.name = name;
  }

  /** `locate(row)` names the cell's place; called only for the rare cell an error may cite. */
  add(value: Present | null, locate: (row: number) => string, row: number): void {
    if (value === null) this.missing++;
    else if (typeof value === 'number') this.addNumber(value);
    else this.addText(categoryKey(value), locate, row);
  }

  addNumber(value: number): void {
    // Small enough to be inlined into the reader's loop; growing is rare and kept out of it.
    if (this.numberCount === this.numbers.length) this.grow();
    this.numbers[this.numberCount++] = value;
  }

  private grow(): void {
    this.reserve(this.numbers.length * 2);
  }

  /** Room for `capacity` numbers in all, so that as many adds copy nothing. */
  reserve(capacity: number): void {
    if (capacity <= this.numbers.length) return;
    const grown = new Float64Array(capacity);
    grown.set(this.numbers.subarray(0, this.numberCount));
    this.numbers = grown;
  }

  /** A text or boolean cell, by its category key. */
  addText(key: string, locate: (row: number) => string, row: number): void {
    this.textCount++;
    this.firstText ??= { value: key, location: locate(row) };
    const seen = this.categories.get(key);
    if (seen !== undefined) this.categories.set(key, seen + 1);
    else if (this.categories.size < MAX_DISTINCT_CATEGORIES) this.categories.set(key, 1);
    else this.tooManyAt ??= locate(row);
  }

  get present(): number {
    return this.numberCount + this.textCount;
  }

  get numericCount(): number {
    return this.numberCount;
  }

  get textualCount(): number {
    return this.textCount;
  }

  /** Where the column passed MAX_DISTINCT_CATEGORIES distinct values, if it did. */
  get overflowedAt(): string | undefined {
    return this.tooManyAt;
  }

  /** The numeric cells (a view; valid until the next add). */
  numericValues(): Float64Array {
    return this.numbers.subarray(0, this.numberCount);
  }

  /**
   * Category counts with numbers counted under their canonical text, for categorical use;
   * undefined past MAX_DISTINCT_CATEGORIES distinct values (an identifier, not a feature).
   */
  allCategories(): Map<string, number> | undefined {
    if (this.tooManyAt !== undefined) return undefined;
    const all = new Map(this.categories);
    for (const x of this.numericValues()) {
      const key = categoryKey(x);
      const seen = all.get(key);
      if (seen !== undefined) all.set(key, seen + 1);
      else if (all.size < MAX_DISTINCT_CATEGORIES) all.set(key, 1);
      else return undefined;
    }
    return all;
  }
}
