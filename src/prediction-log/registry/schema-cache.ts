import type { PayloadFailure } from '../payload-decoder.js';
import type { SchemaDecode } from './registered-schema.js';

/** How long a registry's "no such id" is believed before the id is asked for again. */
export const MISSING_RETRY_MS = 60_000;

type Entry =
  | { decode: SchemaDecode; missing?: undefined }
  | { decode?: undefined; missing: PayloadFailure; until: number };

/**
 * Compiled schemas by id, at most `capacity` of them, least recently used dropped first.
 * Ids the registry does not know are remembered for MISSING_RETRY_MS (their messages are
 * dead-lettered without a request each). A batch's ids are never dropped while it is decoded:
 * `trim` spares them, so a batch with more ids than the capacity holds them all until the next.
 */
export class SchemaCache {
  private readonly entries = new Map<number, Entry>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether `id` must be asked of the registry at `now`. */
  needs(id: number, now: number): boolean {
    const entry = this.entries.get(id);
    return entry === undefined || (entry.missing !== undefined && entry.until <= now);
  }

  /** The decoder of `id`, or why it has none; undefined when the id was never fetched. */
  lookup(id: number): SchemaDecode | PayloadFailure | undefined {
    const entry = this.entries.get(id);
    return entry === undefined ? undefined : (entry.decode ?? entry.missing);
  }

  /** Marks `id` as used now (moved to the recent end). */
  touch(id: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    this.entries.set(id, entry);
  }

  put(id: number, decode: SchemaDecode): void {
    this.entries.delete(id);
    this.entries.set(id, { decode });
  }

  putMissing(id: number, until: number): void {
    this.entries.delete(id);
    this.entries.set(id, {
      missing: {
        ok: false,
        code: 'SCHEMA_NOT_FOUND',
        reason: `schema id ${id} is not in the schema registry`,
      },
      until,
    });
  }

  /** Drops the least recently used entries above the capacity, sparing the ids in `keep`. */
  trim(keep: ReadonlySet<number>): void {
    if (this.entries.size <= this.capacity) return;
    for (const id of this.entries.keys()) {
      if (this.entries.size <= this.capacity) return;
      if (!keep.has(id)) this.entries.delete(id);
    }
  }
}
