const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a (32-bit, unsigned) over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, FNV_PRIME) >>> 0;
  return hash;
}

/**
 * The partials (and alert log) partition of a model: every version of a model lands on one
 * partition, so its alert state lives in one place. Stable across replicas, restarts and
 * Node versions: a pure function of the name's bytes.
 */
export function routeModel(model: string, partitions: number): number {
  if (!Number.isSafeInteger(partitions) || partitions < 1) {
    throw new RangeError(`routeModel: ${partitions} partitions`);
  }
  return fnv1a32(model) % partitions;
}
