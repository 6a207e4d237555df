import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { formatResults, runChecks } from '../tools/doctor/check.js';
import { doctorChecks } from '../tools/doctor/doctor.js';
import { integer, required } from './args.js';
import { EXIT } from './exit-codes.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'Connect to every service the config names (Kafka, InfluxDB, SMTP, each receiver of the ' +
        'rules file) with its settings and secrets, without writing or sending anything: one ' +
        'line per check, ok or failed with the reason. Exit 0: all ok, 1: a check failed.',
    )
    .addOption(required('-c, --config <file>', 'the config file (driftwatch.yaml)'))
    .option('--timeout <seconds>', 'longest wait for each service', '10')
    .action(async (opts: { config: string; timeout: string }) => {
      const timeoutMs = (integer('timeout', opts.timeout, 1) ?? 10) * 1000;
      const config = loadConfig(opts.config);
      const results = await runChecks(doctorChecks(config, process.env, timeoutMs));
      process.stdout.write(formatResults(results));
      process.exitCode = results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
    });
}
