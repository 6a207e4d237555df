import { schemaRegistryFormatKey } from './input.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { DriftwatchError } from '../errors.js';
import { formatIssues, yamlLineOf } from '../zod-issues.js';
import { configSchema, type Config, type FileConfig } from './schema.js';
import { readSecrets, type SecretScope } from './secrets.js';

/**
 * The file's YAML checked against the schema (defaults filled in); no secret is read. Every
 * problem is named with its key path and line (`kafka.brokers: … (line 3)`).
 */
export function parseConfigFile(text: string, source: string): FileConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const [yamlError] = doc.errors;
  if (yamlError) {
    const where = yamlError.linePos ? ` line ${yamlError.linePos[0].line}` : '';
    throw new DriftwatchError(
      'CONFIG_INVALID',
      `${source}${where}: not valid YAML: ${yamlError.message}`,
    );
  }
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    const lineOf = yamlLineOf(doc, lines);
    throw new DriftwatchError(
      'CONFIG_INVALID',
      `${source} is invalid:\n${formatIssues(result.error.issues, Infinity, lineOf)}`,
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
 * Parses and validates config text. Secrets are read from `env` and files here, once, so that
 * nothing downstream looks at process.env and nothing logs a secret by accident. `scope`
 * 'kafka': only what a Kafka-only tool needs (no InfluxDB token, no SMTP password).
 */
export function parseConfig(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv,
  scope: SecretScope = 'all',
): Config {
  const file = parseConfigFile(text, source);
  const registryKey = schemaRegistryFormatKey(file.input);
  if (registryKey !== undefined && !file.schemaRegistry) {
    throw new DriftwatchError(
      'CONFIG_INVALID',
      `${source}: ${registryKey} is schema-registry, so the schemaRegistry section (url, …) is required`,
    );
  }
  const secrets = readSecrets(file, source, env, scope);
  const relative = (p: string) => path.resolve(path.dirname(source), p);
  const alerts = file.alerts && { ...file.alerts, rules: relative(file.alerts.rules) };
  const sasl = file.kafka.sasl;
  // Read at every authentication, long after start-up: resolved now, against the config's dir.
  const kafka =
    sasl?.mechanism === 'oauthbearer' && sasl.tokenFile !== undefined
      ? { ...file.kafka, sasl: { ...sasl, tokenFile: relative(sasl.tokenFile) } }
      : file.kafka;
  return {
    ...file,
    kafka,
    ...(alerts ? { alerts } : {}),
    baselines: { ...file.baselines, dir: relative(file.baselines.dir) },
    secrets,
  };
}

export function loadConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  scope: SecretScope = 'all',
): Config {
  return parseConfig(readConfigText(file), file, env, scope);
}
