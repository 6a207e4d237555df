import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from '../support/cli.js';

/** Every command and sub-command the CLI has (README "CLI reference" lists the same). */
const COMMANDS = [
  [],
  ['run'],
  ['doctor'],
  ['config'],
  ['config', 'validate'],
  ['config', 'schema'],
  ['baseline'],
  ['baseline', 'build'],
  ['baseline', 'inspect'],
  ['baseline', 'diff'],
  ['baseline', 'validate'],
  ['baseline', 'schema'],
  ['rules'],
  ['rules', 'validate'],
  ['rules', 'schema'],
  ['rules', 'backtest'],
  ['notifications'],
  ['notifications', 'replay'],
];

describe('driftwatch CLI: help, version, usage errors', () => {
  it('prints help for every command and sub-command, exit code 0', () => {
    for (const command of COMMANDS) {
      const result = cli([...command, '--help']);
      expect(result.status, command.join(' ')).toBe(0);
      expect(result.stdout, command.join(' ')).toContain(
        `Usage: driftwatch${command.length ? ` ${command.join(' ')}` : ''}`,
      );
    }
    expect(cli(['help', 'rules']).status).toBe(0);
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const result = cli(['--version']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it('names a bad option once, before a missing mandatory one, exit code 2', () => {
    const result = cli(['run', '--confg', 'x.yaml']);
    expect(result.status).toBe(2);
    expect(result.stderr.match(/--confg/g)).toHaveLength(1);
    expect(result.stderr).toContain("unknown option '--confg'");
    expect(result.stderr).not.toContain('Usage:');
    const missing = cli(['rules', 'backtest', 'rules.yaml', '--config', 'x.yaml', '--from', '0']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("required option '--to <time>' not specified");
  });

  it('a group without its sub-command shows the group help, exit code 2', () => {
    const result = cli(['baseline']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Usage: driftwatch baseline');
  });
});
