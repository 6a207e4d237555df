import type { Command } from 'commander';
import { setVersionRetired } from '../rules/retire-version.js';
import { required } from './args.js';

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
