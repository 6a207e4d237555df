import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { pino } from 'pino';
import type { Silence } from '../../alert-engine/silence.js';
import { silenceListSchema } from '../alerting/silence-record.js';
import { createLogger } from '../logger.js';
import { listSilences, withSilencesTopic } from '../tools/silences.js';
import { formatIssues } from '../zod-issues.js';
import { loadConfig, parseConfigFile, readConfigText } from '../config/load.js';
import { DriftwatchError } from '../errors.js';
import { loadRulesFile } from '../rules/rules-file.js';
import { rulesJsonSchema } from '../rules/rules-schema.js';
import { runbookWarnings } from '../rules/runbook-links.js';
import { thresholdWarnings } from '../rules/threshold-check.js';
import { DEFAULT_WINDOW_DRIFT_SETTINGS, driftSettingsFrom } from '../drift/window-points.js';
import { influxTargetOf } from '../sinks/influx-client.js';
import {
  backtest,
  backtestJson,
  formatBacktest,
  readDriftObservations,
  type DriftRange,
} from '../tools/backtest.js';
import { printJson, timeArg, required } from './args.js';
import { plural } from '../shared/plural.js';

interface BacktestOptions {
  config: string;
  from: string;
  to: string;
  model?: string;
  json: boolean;
  silences?: string;
  kafkaSilences: boolean;
}

export function registerRules(program: Command): void {
  const group = program
    .command('rules')
    .description('Check, print the schema of, and backtest alert rules files.');
  group
    .command('validate')
    .description(
      'Check a rules file: every problem with its line and key path (no secrets needed). ' +
        'Warns about runbook links still on an example host (resolved with --config) and ' +
        "thresholds that contradict the drift config's (the defaults without --config).",
    )
    .argument('<rules.yaml>', 'the rules file')
    .option(
      '-c, --config <file>',
      'the daemon config: alerts.runbookBaseUrl fills {{runbook_base}}; drift thresholds',
    )
    .action((file: string, opts: { config?: string }) => {
      const loaded = loadRulesFile(file);
      const config =
        opts.config !== undefined
          ? parseConfigFile(readConfigText(opts.config), opts.config)
          : undefined;
      const base = config?.alerts?.runbookBaseUrl;
      const drift = config
        ? thresholdWarnings(loaded, driftSettingsFrom(config.drift), opts.config ?? '')
        : thresholdWarnings(
            loaded,
            DEFAULT_WINDOW_DRIFT_SETTINGS,
            'the default drift config (--config checks yours)',
          );
      for (const warning of [...runbookWarnings(loaded, base), ...drift]) {
        process.stderr.write(`warning: ${warning}\n`);
      }
      process.stdout.write(
        `ok: ${plural(loaded.rules.length, 'rule')}, ${plural(Object.keys(loaded.receivers).length, 'receiver')}\n`,
      );
    });
  group
    .command('schema')
    .description('Print the JSON Schema of the rules file.')
    .action(() => printJson(rulesJsonSchema()));
  group
    .command('backtest')
    .description(
      'Replay the drift series stored in InfluxDB (window ends from..to) through the rules: ' +
        'timeline of firing/resolved alerts and notifications, counts per rule.',
    )
    .argument('<rules.yaml>', 'the rules file')
    .addOption(required('-c, --config <file>', 'the daemon config (InfluxDB)'))
    .addOption(required('--from <time>', 'first window end: ISO 8601 or epoch ms'))
    .addOption(required('--to <time>', 'last window end: ISO 8601 or epoch ms'))
    .option('--model <glob>', 'only these models')
    .option(
      '--silences <file>',
      'silences to apply (JSON of `driftwatch silence list --all --json`)',
    )
    .option(
      '--kafka-silences',
      "apply the silences in the config's Kafka (<groupId>.silences), as the daemon does",
      false,
    )
    .option('--json', 'print JSON instead of the timeline', false)
    .action(runBacktest);
}

async function runBacktest(rulesFile: string, v: BacktestOptions): Promise<void> {
  const range: DriftRange = {
    from: timeArg('from', v.from),
    to: timeArg('to', v.to),
    model: v.model,
  };
  if (range.to < range.from) {
    throw new DriftwatchError('CLI_USAGE', '--to must not be before --from');
  }
  // Rules first: an invalid file fails before anything connects. Receivers' secrets are not
  // read: the engine needs only the rules and the receivers' policies.
  const rules = loadRulesFile(rulesFile);
  const config = loadConfig(v.config);
  const { observations, skipped } = await readDriftObservations(influxTargetOf(config), range);
  if (skipped > 0) {
    process.stderr.write(`driftwatch: ${skipped} rows without a readable drift series skipped\n`);
  }
  const silences = [
    ...(v.silences !== undefined ? readSilencesFile(v.silences) : []),
    ...(v.kafkaSilences
      ? await withSilencesTopic(config, createLogger('warn', pino.destination(2)), listSilences)
      : []),
  ];
  const result = backtest(observations, rules, {
    dashboardUrl: config.alerts?.dashboardUrl,
    runbookBaseUrl: config.alerts?.runbookBaseUrl,
    silences,
  });
  if (v.json) printJson(backtestJson(result, range, rulesFile));
  else process.stdout.write(formatBacktest(result, range, rulesFile));
}

function readSilencesFile(file: string): Silence[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DriftwatchError('SILENCE_INVALID', `--silences ${file}: ${(err as Error).message}`);
  }
  const checked = silenceListSchema.safeParse(parsed);
  if (!checked.success) {
    throw new DriftwatchError(
      'SILENCE_INVALID',
      `--silences ${file} is not a list of silences (driftwatch silence list --all --json):\n${formatIssues(checked.error.issues, 10)}`,
    );
  }
  return checked.data;
}
