import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { BaselineStore } from '../../src/baseline/store.js';
import { configJsonSchema } from '../../src/config/json-schema.js';

const root = path.join(import.meta.dirname, '..', '..');

describe('shipped examples stay valid', () => {
  it.each(['examples/driftwatch.yaml', 'examples/driftwatch.compose.yaml'])('%s parses', (file) => {
    const full = path.join(root, file);
    const config = parseConfig(readFileSync(full, 'utf8'), full, { INFLUX_TOKEN: 't' });
    expect(config.kafka.topic).toBe('predictions');
  });

  it('the example baselines load', () => {
    expect(
      BaselineStore.loadDir(path.join(root, 'baselines', 'examples')).get('fraud', '1'),
    ).toBeDefined();
  });
});

describe('JSON Schema of the configuration', () => {
  it('the committed driftwatch.schema.json matches the zod definition (regenerate: npm run schema)', () => {
    const committed = JSON.parse(
      readFileSync(path.join(root, 'driftwatch.schema.json'), 'utf8'),
    ) as unknown;
    expect(committed).toEqual(configJsonSchema());
  });
});
