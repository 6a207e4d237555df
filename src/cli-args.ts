import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DriftwatchError } from './errors.js';

export type ArgValues = Record<string, string | boolean | undefined>;

/** Strict options with positionals; a usage error (message, then `usage`) on bad arguments. */
export function parseCommandArgs(
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  usage: string,
): { values: ArgValues; positionals: string[] } {
  try {
    const r = parseArgs({ args, options, strict: true, allowPositionals: true });
    return { values: r.values as ArgValues, positionals: r.positionals };
  } catch (err) {
    throw new DriftwatchError('CLI_USAGE', `${(err as Error).message}\n\n${usage}`);
  }
}

/** The usage error for a sub-command `group` does not have. */
export function unknownCommand(group: string, verb: string | undefined, usage: string) {
  return new DriftwatchError('CLI_USAGE', `unknown ${group} command "${String(verb)}"\n\n${usage}`);
}
