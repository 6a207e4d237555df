import { execFileSync } from 'node:child_process';
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

  it('baseline inspect model@version skips a FIFO in the directory, naming it on stderr', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dw-cli-'));
    const csv = path.join(dir, 'train.csv');
    writeFileSync(csv, `x\n${Array.from({ length: 50 }, (_, i) => i).join('\n')}\n`);
    const out = path.join(dir, 'baselines');
    cli([
      'baseline',
      'build',
      '--input',
      csv,
      '--model',
      'm',
      '--model-version',
      '1',
      '--out',
      out,
    ]);
    execFileSync('mkfifo', [path.join(out, 'm', '2.json')]);
    const result = cli(['baseline', 'inspect', 'm@1', '--dir', out]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('x');
    expect(result.stderr).toContain(`warning: ${path.join(out, 'm', '2.json')}: refused`);
  });

  it('baseline validate names what is wrong with a file that is not JSON, not its content', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'dw-cli-')), 'notes.json');
    writeFileSync(file, 'hunter2=password\n');
    const result = cli(['baseline', 'validate', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('BASELINE_INVALID');
    expect(result.stderr).toContain('not valid JSON: unexpected character "h"');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('names an unknown command once, without the whole usage, exit code 2', () => {
    const result = cli(['frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
    expect(result.stderr).not.toContain('Usage:');
  });
});
