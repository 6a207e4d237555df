#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { TOOL_VERSION } from '../version.js';
import { DriftwatchError } from '../errors.js';
import { checkRequired } from './args.js';
import { registerBaseline } from './baseline.js';
import { registerConfig } from './config.js';
import { registerDoctor } from './doctor.js';
import { EXIT } from './exit-codes.js';
import { registerModel } from './model.js';
import { registerNotifications } from './notifications.js';
import { registerReport } from './report.js';
import { registerRules } from './rules.js';
import { registerRun } from './run.js';
import { registerSilence } from './silence.js';

/**
 * The whole command tree. Settings made here before `.command()` are inherited by every
 * command: errors come back as exceptions (exit codes are ours), and a usage error names the
 * bad option or argument once, with a pointer to --help rather than the whole usage.
 */
export function buildProgram(): Command {
  const program = new Command('driftwatch')
    .description('Drift monitoring for ML models in production.')
    .version(TOOL_VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .hook('preAction', checkRequired)
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      outputError: (message, write) => write(`driftwatch: ${message}`),
    });
  registerRun(program);
  registerConfig(program);
  registerDoctor(program);
  registerBaseline(program);
  registerRules(program);
  registerNotifications(program);
  registerReport(program);
  registerSilence(program);
  registerModel(program);
  return program;
}

function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help or version asked for: 0. Anything else, including a group without its sub-command
    // (which prints the group's help), is a usage error.
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof DriftwatchError) {
    process.stderr.write(`driftwatch: error ${err.code}: ${err.message}\n`);
    return EXIT.usage;
  }
  // A bug or an error nothing classified: still one line, with where it was thrown.
  const where = err instanceof Error ? /\n\s+at (.+)/.exec(err.stack ?? '')?.[1] : undefined;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  process.stderr.write(
    `driftwatch: unexpected error: ${message.split('\n')[0]}${where ? ` (at ${where})` : ''}\n`,
  );
  return EXIT.failed;
}

buildProgram()
  .parseAsync(process.argv)
  .then(
    () => process.exit(process.exitCode ?? EXIT.ok),
    (err: unknown) => process.exit(exitCodeOf(err)),
  );
