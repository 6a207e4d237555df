import type { Command } from 'commander';
import { required } from './args.js';
import { loadConfig } from '../config/load.js';
import { Daemon } from '../daemon/daemon.js';
import { createLogger } from '../logger.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description(
      'Consume prediction logs, write drift series to InfluxDB, run the alert rules, serve /metrics and /healthz.',
    )
    .addOption(required('-c, --config <file>', 'the config file (driftwatch.yaml)'))
    .action(async (opts: { config: string }) => {
      process.exitCode = await run(opts.config);
    });
}

async function run(file: string): Promise<number> {
  const config = loadConfig(file);
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
