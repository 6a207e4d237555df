import type { InfluxDB, WriteApi, Point } from '@influxdata/influxdb-client';
import { setLogger } from '@influxdata/influxdb-client';
import { influxClient, type InfluxConnection } from './influx-client.js';
import { toLine } from './line-protocol.js';
import type { Logger } from '../logger.js';
import type { WindowPoint } from '../drift/window-points.js';

export interface InfluxTarget extends InfluxConnection {
  org: string;
  bucket: string;
  measurement: string;
}

/** Writes points synchronously with respect to the caller: resolved means InfluxDB acknowledged. */
export class InfluxSink {
  private readonly client: InfluxDB;
  private readonly target: InfluxTarget;

  constructor(target: InfluxTarget, logger: Logger) {
    this.target = target;
    // The client library would print to the console; its reports go to debug, because the
    // pipeline logs each failed write once, with context, at error level.
    const child = logger.child({ component: 'influxdb-client' });
    setLogger({
      error: (message, err) => child.debug({ err }, message),
      warn: (message, err) => child.debug({ err }, message),
    });
    this.client = influxClient(target, 10_000);
  }

  /**
   * One write call per batch. Retries are the caller's (it must keep consumption paused and the
   * points in hand), so the client library's own retry buffer is switched off.
   */
  async write(results: readonly WindowPoint[]): Promise<void> {
    // Lines straight from the points (toLine: the text the client's Point would give).
    await this.writeLines(results.map((r) => toLine(r, this.target.measurement)));
  }

  async writePoints(points: readonly Point[]): Promise<void> {
    if (points.length === 0) return;
    const api = this.writeApi(points.length);
    api.writePoints([...points]);
    await api.close();
  }

  private async writeLines(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    const api = this.writeApi(lines.length);
    api.writeRecords(lines);
    await api.close();
  }

  /** One request, one acknowledgement: the client never splits or sends on its own. */
  private writeApi(lines: number): WriteApi {
    return this.client.getWriteApi(this.target.org, this.target.bucket, 'ms', {
      batchSize: lines + 1,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: lines + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
    });
  }
}
