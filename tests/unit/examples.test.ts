import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { BaselineStore } from '../../src/baseline/store.js';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { baselineJsonSchema } from '../../src/baseline/json-schema.js';

const root = path.join(import.meta.dirname, '..', '..');

describe('shipped examples stay valid', () => {
  it.each(['examples/driftwatch.yaml', 'examples/compose/driftwatch.yaml'])('%s parses', (file) => {
    const full = path.join(root, file);
    const config = parseConfig(readFileSync(full, 'utf8'), full, { INFLUX_TOKEN: 't' });
    expect(config.kafka.topic).toBe('predictions');
  });

  it('the example baselines load', async () => {
    expect(
      (await BaselineStore.loadDir(path.join(root, 'baselines', 'examples'))).get('fraud', '1'),
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
  it('the committed baselines/baseline.schema.json matches the zod definition (regenerate: npm run schema)', () => {
    const committed = JSON.parse(
      readFileSync(path.join(root, 'baselines', 'baseline.schema.json'), 'utf8'),
    ) as unknown;
    expect(committed).toEqual(baselineJsonSchema());
  });
});

describe('docker-compose.yml', () => {
  it('mounts files that exist and gives the daemon the token InfluxDB is initialised with', () => {
    const compose = parseYaml(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { volumes?: string[]; environment?: Record<string, string> }>;
    };
    const daemon = compose.services.driftwatch;
    for (const volume of daemon?.volumes ?? []) {
      expect(existsSync(path.join(root, volume.split(':')[0] ?? ''))).toBe(true);
    }
    expect(daemon?.environment?.INFLUX_TOKEN).toBe(
      compose.services.influxdb?.environment?.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN,
    );
  });
});
