const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * The partition (of `partitions`) a model's partials and alert state go to: FNV-1a (32 bits)
 * over the UTF-8 bytes of the model name, unsigned, modulo the count. All versions of a model
 * go together, so one replica holds all of a model's alert state. Stable across processes and
 * releases: changing it moves state between partitions.
 */
export function routeModel(model: string, partitions: number): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of Buffer.from(model, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return (hash >>> 0) % partitions;
}
