#!/usr/bin/env node
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RULES_USAGE, notificationsCommand, rulesCommand } from './cli-alerts.js';
import { BASELINE_USAGE, baselineCommand } from './cli-baseline.js';
import { CONFIG_USAGE, configCommand } from './cli-config.js';
import { REPORT_USAGE, reportCommand } from './cli-report.js';
import { loadConfig } from './config/load.js';
import { Daemon } from './daemon/daemon.js';
import { DriftwatchError } from './errors.js';
import { createLogger } from './logger.js';

const USAGE = `driftwatch — drift monitoring for ML models in production

Usage:
  driftwatch run --config <driftwatch.yaml>
      Consume prediction logs, write drift series to InfluxDB, serve /metrics and /healthz.
${CONFIG_USAGE}${BASELINE_USAGE}${RULES_USAGE}${REPORT_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === 'run') return run(rest);
  if (verb === 'baseline') return baselineCommand(rest);
  if (verb === 'rules') return rulesCommand(rest);
  if (verb === 'notifications') return notificationsCommand(rest);
  if (verb === 'config') return configCommand(rest);
  if (verb === 'report') return reportCommand(rest);
  if (verb === undefined || verb === 'help' || verb === '--help' || verb === '-h') {
    process.stdout.write(USAGE);
    return verb === undefined ? 2 : 0;
  }
  throw new DriftwatchError('CLI_USAGE', `unknown command "${argv.join(' ')}"\n\n${USAGE}`);
}

type Options = NonNullable<ParseArgsConfig['options']>;

function parse(args: string[], options: Options): Record<string, unknown> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new DriftwatchError('CLI_USAGE', `${(err as Error).message}\n\n${USAGE}`);
  }
}

async function run(args: string[]): Promise<number> {
  const values = parse(args, { config: { type: 'string', short: 'c' } });
  if (typeof values.config !== 'string')
    throw new DriftwatchError('CLI_USAGE', `run needs --config\n\n${USAGE}`);
  const config = loadConfig(values.config);
  const logger = createLogger(config.log.level);
  // Before start-up: a SIGTERM while the replica still joins its group (a rolling deploy, a
  // scale-down) is a graceful stop, not a death by signal.
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'signal received');
      stop.abort();
    });
  }
  const started: { daemon?: Daemon } = {};
  process.on('SIGHUP', () => {
    // During start-up the rules file is about to be read anyway.
    logger.info(
      { signal: 'SIGHUP', started: started.daemon !== undefined },
      'signal received: reloading rules',
    );
    void started.daemon?.reloadRules();
  });
  const daemon = (started.daemon = await Daemon.start(config, logger, undefined, stop.signal));
  return daemon.finished;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof DriftwatchError) {
      process.stderr.write(`driftwatch: error ${err.code}: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `driftwatch: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
