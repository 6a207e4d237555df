import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { writeReport } from '../report/report-command.js';
import { required, timeArg } from './args.js';

interface ReportOptions {
  config: string;
  model: string;
  version?: string;
  from: string;
  to: string;
  window?: string;
  out: string;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'Write one self-contained HTML file (no network at view time) for one model version and ' +
        "range: what drifted most, each feature's statistics against their thresholds, the " +
        "baseline's distribution against the last (or --window's) window's, the alert " +
        "transitions and the baseline's summary. Reads InfluxDB and baselines.dir.",
    )
    .addOption(required('-c, --config <file>', 'the config file (driftwatch.yaml)'))
    .addOption(required('--model <name>', 'the model'))
    .option('--version <v>', 'the model version (default: the newest with points in the range)')
    .addOption(required('--from <time>', 'range start (ISO 8601 or epoch ms)'))
    .addOption(required('--to <time>', 'range end (ISO 8601 or epoch ms)'))
    .option('--window <time>', 'the window end whose distribution is drawn (default: the last)')
    .addOption(required('-o, --out <file>', 'the HTML file to write'))
    .action(async (opts: ReportOptions) => {
      const config = loadConfig(opts.config);
      const result = await writeReport(
        config,
        {
          model: opts.model,
          modelVersion: opts.version,
          from: timeArg('from', opts.from),
          to: timeArg('to', opts.to),
          windowEnd: opts.window === undefined ? undefined : timeArg('window', opts.window),
        },
        opts.out,
      );
      process.stdout.write(
        `wrote ${opts.out}: ${opts.model} ${result.modelVersion}, ${result.features} series, ${result.bytes} bytes\n`,
      );
    });
}
