import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';

describe('driftwatch CLI', () => {
  it('refuses to start on an invalid config, exit code 2, naming each bad key', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dw-cli-'));
    const file = path.join(dir, 'driftwatch.yaml');
    writeFileSync(file, 'kafka:\n  brokers: []\n  topic: p\ninflux:\n  url: not-a-url\n');
    const result = cli(['run', '--config', file], { INFLUX_TOKEN: 'secret-token' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error CONFIG_INVALID');
    expect(result.stderr).toContain('kafka.brokers:');
    expect(result.stderr).toContain('kafka.deadLetterTopic:');
    expect(result.stderr).toContain('influx.url:');
    expect(result.stderr).toContain('baselines:');
    expect(result.stderr + result.stdout).not.toContain('secret-token');
  });

  it('builds a baseline from CSV', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dw-cli-'));
    const csv = path.join(dir, 'train.csv');
    writeFileSync(
      csv,
      `amount,country,label\n${Array.from({ length: 100 }, (_, i) => `${i * 1.5},${i % 3 ? 'DE' : 'FR'},${i % 2}`).join('\n')}\n`,
    );
    const out = path.join(dir, 'baselines');
    const args = [
      'baseline',
      'build',
      '--csv',
      csv,
      '--model',
      'fraud',
      '--model-version',
      '3',
      '--out',
      out,
      '--exclude',
      'label',
    ];
    const result = cli(args);
    expect(result.stdout).toContain(
      `wrote ${path.join(out, 'fraud', '3.json')} (2 features, 100 rows, baseline `,
    );
    expect(result.status).toBe(0);
    const again = cli(args);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('BASELINE_DUPLICATE');
  });

  it('explains usage on an unknown command', () => {
    const result = cli(['frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Usage:');
  });
});
