import type { DecodedPayload, InputMessage, PayloadDecoder } from '../payload-decoder.js';
import { compileSchema } from './compile.js';
import type { RegisteredSchema } from './registered-schema.js';
import { MISSING_RETRY_MS, SchemaCache } from './schema-cache.js';
import { HEADER_LENGTH, schemaIdOf } from './wire-format.js';

/**
 * Where schemas come from (the registry's HTTP API in the daemon, a map in tests). `fetch`
 * resolves undefined when the registry answers that the id does not exist, and rejects when
 * the registry cannot answer (unreachable, 5xx, timeout): that is an outage, retried.
 */
export interface SchemaSource {
  fetch(id: number): Promise<RegisteredSchema | undefined>;
}

const NOT_WIRE_FORMAT = {
  ok: false,
  code: 'NOT_SCHEMA_REGISTRY',
  reason: 'no Schema Registry wire-format header (magic byte 0 and a 4-byte schema id)',
} as const;

/**
 * Confluent wire-format messages (Avro, JSON Schema, Protobuf), decoded with schemas fetched
 * by id and cached. `prepare` fetches what a batch needs before it is read; `decode` stays
 * synchronous, so a batch is read as fast as it was before the registry existed.
 */
export class SchemaRegistryDecoder implements PayloadDecoder {
  private readonly cache: SchemaCache;
  private readonly source: SchemaSource;
  private readonly now: () => number;

  constructor(source: SchemaSource, cacheSize: number, now: () => number = Date.now) {
    this.source = source;
    this.cache = new SchemaCache(cacheSize);
    this.now = now;
  }

  get cachedSchemas(): number {
    return this.cache.size;
  }

  /**
   * Fetches the schemas of `messages` (from index `from`) not cached yet. Rejects when the
   * registry cannot answer, having cached what it could: a retry asks only for the rest.
   */
  async prepare(messages: readonly InputMessage[], from = 0): Promise<void> {
    const ids = new Set<number>();
    for (let i = from; i < messages.length; i++) {
      const id = schemaIdOf((messages[i] as InputMessage).value);
      if (id >= 0) ids.add(id);
    }
    const now = this.now();
    const wanted = [...ids].filter((id) => this.cache.needs(id, now));
    for (const id of ids) this.cache.touch(id);
    const results = await Promise.allSettled(wanted.map((id) => this.fetchOne(id)));
    this.cache.trim(ids);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async fetchOne(id: number): Promise<void> {
    const registered = await this.source.fetch(id);
    if (registered === undefined) this.cache.putMissing(id, this.now() + MISSING_RETRY_MS);
    else this.cache.put(id, compileSchema(id, registered));
  }

  decode(message: InputMessage): DecodedPayload {
    const bytes = message.value;
    const id = schemaIdOf(bytes);
    if (id < 0 || bytes === null) return NOT_WIRE_FORMAT;
    const found = this.cache.lookup(id);
    // Not prepared: a bug of the caller (the stage prepares every batch), not of the message.
    if (found === undefined) throw new Error(`schema id ${id} was not prepared before decoding`);
    return typeof found === 'function' ? found(bytes, HEADER_LENGTH) : found;
  }
}
