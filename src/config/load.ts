import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { DriftwatchError } from '../errors.js';
import { formatIssues } from '../zod-issues.js';
import { configSchema, type Config, type FileConfig } from './schema.js';

/** The file's YAML checked against the schema (defaults filled in); no secret is read. */
export function parseConfigFile(text: string, source: string): FileConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const where =
      err instanceof YAMLParseError && err.linePos ? ` line ${err.linePos[0].line}` : '';
    throw new DriftwatchError(
      'CONFIG_INVALID',
      `${source}${where}: not valid YAML: ${(err as Error).message}`,
    );
  }
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new DriftwatchError(
      'CONFIG_INVALID',
      `${source} is invalid:\n${formatIssues(result.error.issues)}`,
    );
  }
  return result.data;
}

/** The config file's text, or CONFIG_NOT_FOUND naming it. */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new DriftwatchError(
      'CONFIG_NOT_FOUND',
      `cannot read config file ${file}: ${(err as Error).message}`,
    );
  }
}

/**
 * Parses and validates config text. Secrets are read from `env` here, once, so that nothing
 * downstream looks at process.env and nothing logs a secret by accident.
 */
export function parseConfig(text: string, source: string, env: NodeJS.ProcessEnv): Config {
  const file = parseConfigFile(text, source);
  const influxToken = env[file.influx.tokenEnv];
  if (!influxToken) {
    throw new DriftwatchError(
      'CONFIG_SECRET_MISSING',
      `${source}: influx.tokenEnv names ${file.influx.tokenEnv}, but that environment variable is not set`,
    );
  }
  const smtpPassword = file.smtp ? env[file.smtp.passwordEnv] : undefined;
  if (file.smtp?.user && !smtpPassword) {
    throw new DriftwatchError(
      'CONFIG_SECRET_MISSING',
      `${source}: smtp.user is set, so smtp.passwordEnv names ${file.smtp.passwordEnv}, but that environment variable is not set`,
    );
  }
  const baselineDir = path.resolve(path.dirname(source), file.baselines.dir);
  const alerts = file.alerts && {
    ...file.alerts,
    rules: path.resolve(path.dirname(source), file.alerts.rules),
  };
  return {
    ...file,
    ...(alerts ? { alerts } : {}),
    baselines: { ...file.baselines, dir: baselineDir },
    secrets: smtpPassword ? { influxToken, smtpPassword } : { influxToken },
  };
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  return parseConfig(readConfigText(file), file, env);
}
