import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { parseDuration } from '../config/duration.js';
import { DriftwatchError } from '../errors.js';
import { setVersionRetired } from '../rules/retire-version.js';
import { modelStatus } from '../tools/model-status-command.js';
import { integer, printJson, required, timeArg } from './args.js';

interface StatusOptions {
  config: string;
  version?: string;
  window?: string;
  since: string;
  from?: string;
  to?: string;
  last: string;
  json?: boolean;
}

interface RetireOptions {
  rules: string;
  comment?: string;
}

export function registerModel(program: Command): void {
  const group = program
    .command('model')
    .description(
      "Model versions and their alerts. A version no longer served is superseded by itself once a newer version has taken its traffic (the rules file's versions.supersede_after); retire says so at once.",
    );
  group
    .command('status')
    .description(
      "Print a model version's last windows as stored in InfluxDB: events, events/s, errors, latency quantiles, drifted features and label coverage per window, then the newest window's schema (missing, wrong-typed and new features), predicted classes, out-of-range values per numeric feature, quality metrics and drifted features.",
    )
    .argument('<model>', 'the model name')
    .addOption(required('-c, --config <file>', 'the config file (driftwatch.yaml)'))
    .option('--version <v>', 'the model version (default: the newest with points in the range)')
    .option('--window <length>', 'which window length (the window tag; default windows.size)')
    .option('--since <duration>', 'how far back to look, from now (or --from/--to)', '1d')
    .option('--from <time>', 'range start (ISO 8601 or epoch ms)')
    .option('--to <time>', 'range end (ISO 8601 or epoch ms; default now)')
    .option('--last <n>', 'how many of the last windows', '3')
    .option('--json', 'print the stored fields as JSON instead')
    .action(async (model: string, o: StatusOptions) => {
      const to = o.to === undefined ? Date.now() : timeArg('to', o.to);
      const since = parseDuration(o.since);
      if (o.from === undefined && since === undefined) {
        throw new DriftwatchError(
          'CLI_USAGE',
          `--since needs a duration such as 1h or 7d, got ${JSON.stringify(o.since)}`,
        );
      }
      const from = o.from === undefined ? to - (since ?? 0) : timeArg('from', o.from);
      const { status, text } = await modelStatus(loadConfig(o.config), {
        model,
        modelVersion: o.version,
        window: o.window,
        from,
        to,
        last: integer('last', o.last, 1) ?? 3,
      });
      if (o.json) printJson(status);
      else process.stdout.write(text);
    });
  group
    .command('retire')
    .description(
      'Retire a model version in a rules file (versions.retired): its alerts resolve with reason superseded, it never raises stale and no rule reads its windows. Daemons apply it at their next rules reload; backtests of the file agree.',
    )
    .argument('<model>', 'the model name')
    .argument('<version>', 'the model version')
    .addOption(required('-r, --rules <file>', 'the rules file the daemons follow'))
    .option('--comment <text>', 'why (kept next to the entry)')
    .action((model: string, version: string, v: RetireOptions) => {
      const outcome = setVersionRetired(v.rules, model, version, true, v.comment);
      process.stdout.write(`${model} ${version}: ${outcome} in ${v.rules}\n`);
    });
  group
    .command('unretire')
    .description('Take a model version out of versions.retired: its windows are evaluated again.')
    .argument('<model>', 'the model name')
    .argument('<version>', 'the model version')
    .addOption(required('-r, --rules <file>', 'the rules file the daemons follow'))
    .action((model: string, version: string, v: RetireOptions) => {
      const outcome = setVersionRetired(v.rules, model, version, false);
      process.stdout.write(`${model} ${version}: ${outcome} in ${v.rules}\n`);
    });
}
