import type { Config } from '../config/schema.js';
import { DriftwatchError } from '../errors.js';
import { influxReaderOf } from '../sinks/influx-client.js';
import { describeModelStatus } from './model-status-text.js';
import { queryModelStatus, type ModelStatus, type StatusQuery } from './model-status.js';

/** `driftwatch model status`: the stored series of a model version's last windows. */
export async function modelStatus(
  config: Config,
  query: StatusQuery,
): Promise<{ status: ModelStatus; text: string }> {
  if (!(query.from < query.to)) {
    throw new DriftwatchError('CLI_USAGE', '--from must be before --to');
  }
  const status = await queryModelStatus(influxReaderOf(config), query);
  return { status, text: describeModelStatus(status) };
}
