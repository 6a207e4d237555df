import { parseCommandArgs } from './cli-args.js';
import { loadConfig } from './config/load.js';
import { DriftwatchError } from './errors.js';
import { writeReport } from './report/report-command.js';

export const REPORT_USAGE = `  driftwatch report --config <driftwatch.yaml> --model <name> [--version <v>]
                    --from <ISO time> --to <ISO time> [--window <ISO window end>] --out <file.html>
      Write one self-contained HTML file (no network at view time): what drifted most, each
      feature's statistics against their thresholds, the baseline's distribution against the
      last (or --window's) window's, the alert episodes and the baseline's summary. Reads
      InfluxDB and baselines.dir; without --version, the newest version in the range.
`;

function time(name: string, value: unknown): number {
  const t = typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(t)) {
    throw new DriftwatchError(
      'CLI_USAGE',
      `--${name} must be an ISO 8601 time, got ${String(value)}`,
    );
  }
  return t;
}

export async function reportCommand(args: string[]): Promise<number> {
  const { values: v } = parseCommandArgs(
    args,
    {
      config: { type: 'string', short: 'c' },
      model: { type: 'string' },
      version: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      window: { type: 'string' },
      out: { type: 'string', short: 'o' },
    },
    REPORT_USAGE,
  );
  for (const key of ['config', 'model', 'from', 'to', 'out'] as const) {
    if (typeof v[key] !== 'string') {
      throw new DriftwatchError('CLI_USAGE', `report needs --${key}\n\n${REPORT_USAGE}`);
    }
  }
  const config = loadConfig(String(v.config));
  const result = await writeReport(
    config,
    {
      model: String(v.model),
      modelVersion: typeof v.version === 'string' ? v.version : undefined,
      from: time('from', v.from),
      to: time('to', v.to),
      windowEnd: v.window === undefined ? undefined : time('window', v.window),
    },
    String(v.out),
  );
  process.stdout.write(
    `wrote ${String(v.out)}: ${String(v.model)} ${result.modelVersion}, ${result.features} series, ${result.bytes} bytes\n`,
  );
  return 0;
}
