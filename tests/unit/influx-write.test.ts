import { HttpError } from '@influxdata/influxdb-client';
import { describe, expect, it } from 'vitest';
import { writeSkippingRefused } from '../../src/sinks/influx-write.js';
import { DaemonMetrics } from '../../src/metrics.js';
import { QUIET_BATCH } from '../support/batch-context.js';
import { capturingLogger } from '../support/logs.js';

/** InfluxDB's answer to a line it cannot parse quotes the whole line. */
const parseError = (line: string) =>
  new HttpError(
    400,
    'Bad Request',
    JSON.stringify({ code: 'invalid', message: `unable to parse '${line}'` }),
    null,
    'application/json',
  );

describe('writeSkippingRefused', () => {
  it('writes the good points, skips, counts and logs (cut short) only the refused one, and retries outages inside', async () => {
    const metrics = new DaemonMetrics(false);
    const { logger, lines } = capturingLogger();
    const huge = `bad-${'x'.repeat(300_000)}`;
    const stored: string[] = [];
    let outages = 1;
    let failures = 0;
    const written = await writeSkippingRefused(['a', huge, 'b', 'c'], {
      what: 'test points',
      write: (batch) => {
        // A 503 in the middle of the split is waited out, not taken for a refusal.
        if (batch.length === 2 && outages-- > 0) return Promise.reject(new HttpError(503, 'down'));
        if (batch.includes(huge)) return Promise.reject(parseError(huge));
        stored.push(...batch);
        return Promise.resolve();
      },
      identify: (p) => ({ point: p.slice(0, 10) }),
      retry: {
        context: QUIET_BATCH,
        onFailure: () => void failures++,
        initialDelayMs: 1,
      },
      metrics,
      logger,
    });
    expect(written).toBe(3);
    expect(stored.sort()).toEqual(['a', 'b', 'c']);
    expect(failures).toBe(1);
    const rejected = await metrics.influxPointsRejected.get();
    expect(rejected.values[0]?.value).toBe(1);
    const logged = lines.filter((l) => l.level === 50);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ status: 400, point: { point: 'bad-xxxxxx' } });
    expect(JSON.stringify(logged[0]).length).toBeLessThan(1_000);
  });

  it('logs at most 20 refused points of one write, then one line with how many more', async () => {
    const metrics = new DaemonMetrics(false);
    const { logger, lines } = capturingLogger();
    const points = Array.from({ length: 50 }, (_, i) => `p${i}`);
    const written = await writeSkippingRefused(points, {
      what: 'test points',
      write: () => Promise.reject(new HttpError(422, 'Unprocessable Entity', 'beyond retention')),
      identify: (p) => ({ p }),
      retry: { context: QUIET_BATCH, onFailure: () => undefined },
      metrics,
      logger,
    });
    expect(written).toBe(0);
    expect((await metrics.influxPointsRejected.get()).values[0]?.value).toBe(50);
    expect(lines).toHaveLength(21);
    expect(lines[20]).toMatchObject({ refused: 50, notLogged: 30 });
  });
});
