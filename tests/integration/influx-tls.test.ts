import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Point } from '@influxdata/influxdb-client';
import { describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { InfluxSink } from '../../src/sinks/influx.js';
import { influxTargetOf } from '../../src/sinks/influx-client.js';
import { cli, ROOT } from '../support/cli.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { queryDrift } from '../support/influx.js';
import { capturingLogger } from '../support/logs.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';
import { secureServices } from '../support/secure-services.js';

const services = inject('services');
const T0 = Date.parse('2026-03-01T00:00:00.000Z');

/** A second InfluxDB, served over HTTPS only (`--tls-cert/--tls-key`) with a throwaway CA. */
describe(`InfluxDB over TLS (${inject('servicesMode')})`, () => {
  const secure = secureServices();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-influx-tls-'));
  const influx = { ...services.influx, url: secure.influxUrl };

  /** The influx target a config file with these influx.tls keys gives. */
  const targetWith = (tls: Record<string, unknown> | undefined, measurement: string) =>
    influxTargetOf(
      parseConfig(
        stringify({
          kafka: { brokers: services.kafkaBrokers, topic: 't', deadLetterTopic: 't.dlq' },
          influx: {
            url: secure.influxUrl,
            org: influx.org,
            bucket: influx.bucket,
            measurement,
            tls,
          },
          baselines: { dir: '.' },
        }),
        path.join(dir, 'driftwatch.yaml'),
        { INFLUX_TOKEN: influx.token },
      ),
    );

  const point = (measurement: string, feature: string) =>
    new Point(measurement)
      .tag('model', 'fraud')
      .tag('feature', feature)
      .tag('method', 'psi')
      .floatField('statistic', 0.5)
      .timestamp(T0);

  it.each([
    { what: 'influx.tls.caFile', tls: { caFile: 'CA' } },
    { what: 'rejectUnauthorized: false (no verification)', tls: { rejectUnauthorized: false } },
  ])('writes drift points with $what', async ({ tls }) => {
    const { measurement } = uniqueNames('influx-tls');
    const resolved = tls.caFile === undefined ? tls : { ...tls, caFile: secure.pki.caFile };
    const sink = new InfluxSink(targetWith(resolved, measurement), capturingLogger().logger);
    await sink.writePoints([point(measurement, 'a'), point(measurement, 'b')]);
    const rows = await queryDrift({ ...influx, ca: secure.ca }, measurement);
    expect(rows.map((r) => r.feature)).toEqual(['a', 'b']);
  });

  it('without the CA the daemon and the backtest stop with one line: INFLUX_TLS_FAILED naming influx.tls.caFile', async () => {
    const names = uniqueNames('influx-tls');
    const { file } = await writeDaemonConfig(
      { ...services, influx },
      {
        ...names,
        baselinesDir: baselineDirFor(
          { model: 'fraud', modelVersion: '1', numericFeatures: ['a'], seed: 1 },
          100,
        ),
        windowSize: '1m',
        configDir: dir,
      },
    );
    const daemon = new DaemonProcess(file, { INFLUX_TOKEN: influx.token });
    const { code } = await daemon.exited;
    const backtest = cli(
      [
        'rules',
        'backtest',
        path.join(ROOT, 'examples', 'rules.yaml'),
        '--config',
        file,
        '--from',
        '0',
        '--to',
        '1',
      ],
      { INFLUX_TOKEN: influx.token },
    );
    for (const [exit, output] of [
      [code, daemon.output],
      [backtest.status, backtest.stderr],
    ] as const) {
      const lines = output.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
      expect(exit).toBe(2);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^driftwatch: error INFLUX_TLS_FAILED: .*influx\.tls\.caFile/);
      expect(output).not.toContain(influx.token);
    }
  });
});
