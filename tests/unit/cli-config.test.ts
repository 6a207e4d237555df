import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';

const CONFIG = `kafka: { brokers: ["127.0.0.1:1"], topic: preds.fraud, deadLetterTopic: p.dlq }
influx: { url: "http://127.0.0.1:1", org: o, bucket: b }
baselines: { dir: baselines }
input:
  mapping:
    model: { topic: '^preds\\.(.+)$' }
    version: { header: model-version }
    timestamp: { path: /meta/ts, unit: s }
    features: /features
`;

function files(config: string, sample?: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dw-validate-'));
  const file = path.join(dir, 'driftwatch.yaml');
  writeFileSync(file, config);
  const msg = path.join(dir, 'msg.json');
  if (sample !== undefined) writeFileSync(msg, sample);
  return { file, msg };
}

describe('driftwatch config validate', () => {
  it('accepts a valid config without contacting anything or needing its secrets, exit 0', () => {
    const { file } = files(CONFIG);
    const result = cli(['config', 'validate', '--config', file], { INFLUX_TOKEN: '' });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`${file}: valid`);
    expect(result.stderr).toContain('INFLUX_TOKEN');
  });

  it('prints the events a sample message gives, with topic, headers and record timestamp', () => {
    const { file, msg } = files(CONFIG, '{"meta":{"ts":1767225600},"features":{"amount":3}}');
    const result = cli([
      'config',
      'validate',
      '--config',
      file,
      '--sample',
      msg,
      '--header',
      'model-version=4',
      '--record-timestamp',
      '5',
    ]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      events: [
        {
          model: 'fraud',
          model_version: '4',
          timestamp: 1_767_225_600_000,
          features: { amount: 3 },
        },
      ],
    });
    const other = cli([
      'config',
      'validate',
      '--config',
      file,
      '--sample',
      msg,
      '--topic',
      'preds.churn',
      '--header',
      'model-version=1',
    ]);
    expect((JSON.parse(other.stdout) as { events: { model: string }[] }).events[0]?.model).toBe(
      'churn',
    );
  });

  it('prints the refusal code and reason of a sample that does not match, exit 1', () => {
    const { file, msg } = files(CONFIG, '{"meta":{"ts":"soon"},"features":{}}');
    const result = cli([
      'config',
      'validate',
      '--config',
      file,
      '--sample',
      msg,
      '--header',
      'model-version=4',
    ]);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      refused: {
        code: 'BAD_TIMESTAMP',
        reason: 'timestamp at /meta/ts: "soon" is not a number (epoch s)',
      },
    });
  });

  it('reads the default shape when there is no mapping', () => {
    const { file, msg } = files(
      CONFIG.slice(0, CONFIG.indexOf('input:')),
      '{"model":"m","model_version":"1","timestamp":5,"features":{"a":1}}',
    );
    const result = cli(['config', 'validate', '--config', file, '--sample', msg]);
    expect(result.status).toBe(0);
    expect((JSON.parse(result.stdout) as { events: unknown[] }).events).toEqual([
      { model: 'm', model_version: '1', timestamp: 5, features: { a: 1 } },
    ]);
  });

  it('takes the file as an argument too, and names every bad key with its line', () => {
    const { file } = files('kafka:\n  brokers: []\n  topic: p\ninflux:\n  url: not-a-url\n');
    const result = cli(['config', 'validate', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error CONFIG_INVALID');
    expect(result.stderr).toContain(`${file} is invalid:`);
    expect(result.stderr).toMatch(/ {2}- kafka\.brokers: [^\n]*\(line 2\)/);
    expect(result.stderr).toMatch(/ {2}- influx\.url: [^\n]*\(line 5\)/);
    expect(result.stderr).toContain('baselines: ');
  });

  it('exits 2 naming the bad key of an invalid mapping, and on usage errors', () => {
    const { file } = files(CONFIG.replace('unit: s', 'unit: hours'));
    const invalid = cli(['config', 'validate', '--config', file]);
    expect(invalid.status).toBe(2);
    expect(invalid.stderr).toContain('error CONFIG_INVALID');
    // Each problem with the file, its line and the key path.
    expect(invalid.stderr).toMatch(/ {2}- input\.mapping\.timestamp[^\n]*\(line 8\)/);
    expect(cli(['config', 'validate']).status).toBe(2);
    const { file: ok } = files(CONFIG);
    expect(
      cli(['config', 'validate', '--config', ok, '--header', 'novalue', '--sample', ok]).stderr,
    ).toContain('--header must be name=value');
  });
});
