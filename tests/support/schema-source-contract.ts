import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SchemaSource } from '../../src/prediction-log/registry/registry-decoder.js';
import type { RegistryFormat } from './schema-registry.js';

/** A SchemaSource under test, its registered ids, and a way to make it unable to answer. */
export interface SchemaSourceHarness {
  source: SchemaSource;
  ids: Record<RegistryFormat, number>;
  /** An id nothing was registered under. */
  unknownId: number;
  /** Makes the source's backend unreachable, then reachable again (same schemas, same ids). */
  takeDown(): Promise<void>;
  bringUp(): Promise<void>;
  close?(): Promise<void>;
}

const TYPES: Record<RegistryFormat, string> = {
  avro: 'AVRO',
  json: 'JSON',
  protobuf: 'PROTOBUF',
};

/**
 * What the Schema Registry decoder relies on of any SchemaSource, run against the real HTTP
 * client and the map of the unit tests alike: a schema by id with its type, `undefined` for an
 * unknown id, and a rejection (never `undefined`) while the backend cannot answer.
 */
export function schemaSourceContract(name: string, make: () => Promise<SchemaSourceHarness>) {
  describe(`SchemaSource contract: ${name}`, () => {
    let h: SchemaSourceHarness;
    beforeAll(async () => {
      h = await make();
    });
    afterAll(async () => {
      await h?.close?.();
    });

    it('serves each registered schema by id, with its type and no references', async () => {
      for (const format of ['avro', 'json', 'protobuf'] as const) {
        const schema = await h.source.fetch(h.ids[format]);
        expect(schema?.schemaType, format).toBe(TYPES[format]);
        expect(schema?.schema.length, format).toBeGreaterThan(0);
        expect(schema?.references, format).toBe(0);
      }
    });

    it('answers undefined for an id it does not have', async () => {
      expect(await h.source.fetch(h.unknownId)).toBeUndefined();
    });

    it('rejects while its backend cannot answer, and serves the same schemas after', async () => {
      await h.takeDown();
      await expect(h.source.fetch(h.ids.avro)).rejects.toBeInstanceOf(Error);
      await expect(h.source.fetch(h.unknownId)).rejects.toBeInstanceOf(Error);
      await h.bringUp();
      expect((await h.source.fetch(h.ids.avro))?.schemaType).toBe('AVRO');
    });
  });
}
