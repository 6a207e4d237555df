/**
 * The daemon's registry: build info, the latency histograms, and prom-client's process and
 * Node.js metrics under their standard (unprefixed) names.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../../src/metrics.js';
import { ROOT } from '../support/cli.js';

const packageVersion = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

describe('DaemonMetrics', () => {
  it('driftwatch_build_info is 1, labelled with the package version and the Node.js version', async () => {
    const metrics = new DaemonMetrics(false);
    const info = await metrics.registry.getSingleMetric('driftwatch_build_info')?.get();
    expect(info?.type).toBe('gauge');
    expect(info?.values).toEqual([
      { value: 1, labels: { version: packageVersion, node: process.version } },
    ]);
  });

  it('notification delivery latency is a histogram by receiver', async () => {
    const metrics = new DaemonMetrics(false);
    metrics.notificationDeliveryLatency.observe({ receiver: 'ops-mail' }, 0.3);
    const got = await metrics.notificationDeliveryLatency.get();
    expect(got.name).toBe('driftwatch_notification_delivery_seconds');
    expect(got.type).toBe('histogram');
    const count = got.values.find(
      (v) => v.metricName === 'driftwatch_notification_delivery_seconds_count',
    );
    expect(count).toEqual(expect.objectContaining({ value: 1, labels: { receiver: 'ops-mail' } }));
  });

  it('window close to InfluxDB latency is a histogram', async () => {
    const metrics = new DaemonMetrics(false);
    const got = await metrics.registry.getSingleMetric('driftwatch_window_close_seconds')?.get();
    expect(got?.type).toBe('histogram');
  });

  it("prom-client's process and Node.js metrics carry their standard names, no driftwatch_ prefix", async () => {
    const names = (await new DaemonMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_seconds',
        'nodejs_heap_size_used_bytes',
      ]),
    );
    expect(names.filter((n) => /^driftwatch_(process|nodejs)_/.test(n))).toEqual([]);
  });

  it('without process metrics the registry holds only driftwatch_ series', async () => {
    const names = (await new DaemonMetrics(false).registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names.filter((n) => !n.startsWith('driftwatch_'))).toEqual([]);
  });
});
