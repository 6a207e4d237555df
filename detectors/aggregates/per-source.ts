/**
 * One partial state per source (a Kafka partition), created on first use. Float
 * accumulators round differently when their inputs interleave differently, so each source
 * keeps its own, filled in that source's fixed order, and readers combine them in ascending
 * source order: the result depends only on what each source delivered, never on how the
 * sources' batches interleaved. This is the order the scale-out merges partials in, too.
 */
export class PerSource<T> {
  private readonly parts = new Map<number, T>();
  private readonly create: () => T;
  /** The hot path adds runs of values from one source: remember the last one looked up. */
  private lastSource = NaN;
  private last: T | undefined;

  constructor(create: () => T) {
    this.create = create;
  }

  get(source: number): T {
    if (source === this.lastSource) return this.last as T;
    let part = this.parts.get(source);
    if (part === undefined) {
      part = this.create();
      this.parts.set(source, part);
    }
    this.lastSource = source;
    this.last = part;
    return part;
  }

  /** [source, part] in ascending source order. */
  inOrder(): [number, T][] {
    return [...this.parts].sort((a, b) => a[0] - b[0]);
  }
}
