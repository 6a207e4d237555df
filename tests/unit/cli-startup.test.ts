import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';

/**
 * Start-up failures of local files: `driftwatch run` stops before contacting anything (Kafka
 * is unreachable here on purpose), with one line on stderr naming the file and a stable code,
 * exit code 2, and never a stack trace.
 */
function setUp(extra = '', baselinesDir = 'baselines', httpPort = 0) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dw-startup-'));
  mkdirSync(path.join(dir, 'baselines'));
  const file = path.join(dir, 'driftwatch.yaml');
  writeFileSync(
    file,
    `kafka: { brokers: ["127.0.0.1:1"], topic: p, deadLetterTopic: p.dlq }
influx: { url: "http://127.0.0.1:1", org: o, bucket: b }
baselines: { dir: ${baselinesDir} }
http: { host: 127.0.0.1, port: ${httpPort} }
${extra}`,
  );
  return { dir, file };
}

function expectOneLineFailure(result: ReturnType<typeof cli>, code: string, names: string) {
  expect(result.status).toBe(2);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toEqual([expect.stringContaining(`driftwatch: error ${code}: `)]);
  expect(lines[0]).toContain(names);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

const run = (file: string) => cli(['run', '--config', file], { INFLUX_TOKEN: 'secret-token' });

describe('driftwatch run: start-up failures (a port, local files)', () => {
  it('http.port in use: HTTP_LISTEN_FAILED naming http.host and http.port', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const { file } = setUp('', 'baselines', port);
      const result = run(file);
      expectOneLineFailure(result, 'HTTP_LISTEN_FAILED', `http.host 127.0.0.1, http.port ${port}`);
      expect(result.stderr).toContain('EADDRINUSE');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('a config path that cannot be read (a directory): CONFIG_NOT_FOUND', () => {
    const { dir } = setUp();
    expectOneLineFailure(run(path.join(dir, 'baselines')), 'CONFIG_NOT_FOUND', 'EISDIR');
  });

  it('a baselines.dir that does not exist: BASELINE_INVALID naming baselines.dir', () => {
    const { file } = setUp('', 'no-such-dir');
    expectOneLineFailure(run(file), 'BASELINE_INVALID', 'baselines.dir');
  });

  it('a baseline file that cannot be read as one: BASELINE_INVALID naming the file', () => {
    const { dir, file } = setUp();
    mkdirSync(path.join(dir, 'baselines', 'm'));
    writeFileSync(path.join(dir, 'baselines', 'm', '1.json'), '{');
    expectOneLineFailure(run(file), 'BASELINE_INVALID', path.join(dir, 'baselines', 'm', '1.json'));
  });

  it('a rules file that cannot be read (a directory), before Kafka is tried: RULES_INVALID', () => {
    const { dir, file } = setUp('alerts: { rules: rules.yaml }\n');
    mkdirSync(path.join(dir, 'rules.yaml'));
    const result = run(file);
    expectOneLineFailure(result, 'RULES_INVALID', path.join(dir, 'rules.yaml'));
    expect(result.stderr).not.toContain('KAFKA_');
  });

  it('a DRIFTWATCH_API_TOKEN under 16 characters: API_TOKEN_TOO_SHORT naming it, before Kafka', () => {
    const { file } = setUp();
    const token = 'short-secret-15';
    const result = cli(['run', '--config', file], {
      INFLUX_TOKEN: 'secret-token',
      DRIFTWATCH_API_TOKEN: token,
    });
    expectOneLineFailure(result, 'API_TOKEN_TOO_SHORT', 'DRIFTWATCH_API_TOKEN');
    expect(result.stderr).toContain('16 characters');
    expect(result.stderr + result.stdout).not.toContain(token);
    expect(result.stderr).not.toContain('KAFKA_');
  });
});
