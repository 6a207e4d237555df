import { Option, type Command } from 'commander';
import { DriftwatchError } from '../errors.js';

/** `a,b,c` → ['a', 'b', 'c'] (blanks dropped); undefined when the option was not given. */
export function list(v: string | undefined): string[] | undefined {
  return v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** An integer option of at least `min`, or a usage error naming it. */
export function integer(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    throw new DriftwatchError('CLI_USAGE', `--${name} must be an integer >= ${min}, got ${v}`);
  }
  return n;
}

/** ISO 8601 (a date, or a date and time) or epoch milliseconds. */
export function timeArg(name: string, v: string | undefined): number {
  const text = v?.trim() ?? '';
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (text === '' || !Number.isFinite(ms)) {
    throw new DriftwatchError(
      'CLI_USAGE',
      `--${name} needs a time (ISO 8601 such as 2026-01-31T12:00:00Z, or epoch ms), got ${v !== undefined ? JSON.stringify(v) : 'nothing'}`,
    );
  }
  return ms;
}

/** Commander's accumulator for an option given several times (`--header a=1 --header b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Prints `value` as indented JSON on stdout (the `schema` commands). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Options made by `required`: checked by `checkRequired` before every action. */
const REQUIRED = new WeakSet<Option>();

/**
 * A mandatory option, checked after commander's own checks rather than before them (as
 * `requiredOption` is): a mistyped option (`--confg x`) is then named as unknown, instead of
 * hidden behind "--config not specified".
 */
export function required(flags: string, description: string): Option {
  const option = new Option(flags, `${description} (required)`);
  REQUIRED.add(option);
  return option;
}

/** The program's preAction hook: the first `required` option missing is a usage error. */
export function checkRequired(_: Command, action: Command): void {
  const missing = action.options.find(
    (o) => REQUIRED.has(o) && action.getOptionValue(o.attributeName()) === undefined,
  );
  if (missing) {
    action.error(`error: required option '${missing.flags}' not specified`, {
      code: 'commander.missingMandatoryOptionValue',
    });
  }
}
