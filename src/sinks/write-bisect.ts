/** A point the receiver refused even on its own, with the refusal. */
export interface RefusedPoint<P> {
  point: P;
  err: unknown;
}

export interface BisectOptions {
  /** The batch itself was refused (retrying it whole cannot help); anything else is rethrown. */
  isRefusal: (err: unknown) => boolean;
  /** Called after every refusal, before the halves are written (e.g. a Kafka heartbeat). */
  between?: () => Promise<void>;
}

/**
 * Writes `points` in one call; when the batch is refused, writes each half on its own, down
 * to single points, so one bad point costs only itself: every other point is written. `k` bad
 * points among `n` cost about 2k·log2(n) calls, all of them bad about 2n. Returns the points
 * refused alone, in input order. Writes are idempotent (same tags and timestamp overwrite), so
 * re-sending points of a batch the receiver partly applied before refusing is harmless.
 */
export async function writeBisecting<P>(
  points: readonly P[],
  write: (batch: readonly P[]) => Promise<void>,
  opts: BisectOptions,
): Promise<RefusedPoint<P>[]> {
  const refused: RefusedPoint<P>[] = [];
  const visit = async (batch: readonly P[]): Promise<void> => {
    if (batch.length === 0) return;
    try {
      await write(batch);
      return;
    } catch (err) {
      if (!opts.isRefusal(err)) throw err;
      await opts.between?.();
      if (batch.length === 1) {
        refused.push({ point: batch[0] as P, err });
        return;
      }
    }
    const middle = Math.ceil(batch.length / 2);
    await visit(batch.slice(0, middle));
    await visit(batch.slice(middle));
  };
  await visit(points);
  return refused;
}
