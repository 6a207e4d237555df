import { DriftwatchError } from '../errors.js';
import type { FileConfig, Secrets } from './schema.js';
import { DEFAULT_SCHEMA_REGISTRY_PASSWORD_ENV } from './schema-registry.js';
import { DEFAULT_KAFKA_PASSWORD_ENV } from './security-schema.js';
import { readConfigFile, readPemFiles } from './tls-files.js';

/** Which secrets a command needs: the daemon all, a Kafka-only tool (replay) Kafka's alone. */
export type SecretScope = 'all' | 'kafka';

function fromEnv(source: string, env: NodeJS.ProcessEnv, key: string, name: string): string {
  const value = env[name];
  if (!value) {
    throw new DriftwatchError(
      'CONFIG_SECRET_MISSING',
      `${source}: ${key} names ${name}, but that environment variable is not set`,
    );
  }
  return value;
}

/**
 * A password from `<at>.passwordFile`, else from the env variable `<at>.passwordEnv` names
 * (`defaultEnv` when neither key is set).
 */
function password(
  at: string,
  keys: { passwordFile?: string | undefined; passwordEnv?: string | undefined },
  defaultEnv: string,
  source: string,
  env: NodeJS.ProcessEnv,
): string {
  if (keys.passwordFile !== undefined) {
    // A mounted secret usually ends with a newline that is no part of the password.
    const text = readConfigFile(
      source,
      `${at}.passwordFile`,
      keys.passwordFile,
      'CONFIG_SECRET_MISSING',
    ).replace(/\r?\n$/, '');
    if (text === '') {
      throw new DriftwatchError(
        'CONFIG_SECRET_MISSING',
        `${source}: ${at}.passwordFile (${keys.passwordFile}) is empty`,
      );
    }
    return text;
  }
  return fromEnv(
    source,
    env,
    keys.passwordEnv === undefined
      ? `${at}.passwordEnv (default ${defaultEnv})`
      : `${at}.passwordEnv`,
    keys.passwordEnv ?? defaultEnv,
  );
}

/**
 * Reads every secret and file the config names, once, at start-up: nothing downstream looks
 * at process.env or the file system for them, and a missing one stops the start naming its key.
 */
export function readSecrets(
  file: FileConfig,
  source: string,
  env: NodeJS.ProcessEnv,
  scope: SecretScope = 'all',
): Secrets {
  const secrets: Secrets = { influxToken: '' };
  const sasl = file.kafka.sasl;
  if (sasl && sasl.mechanism !== 'oauthbearer') {
    secrets.kafkaPassword = password('kafka.sasl', sasl, DEFAULT_KAFKA_PASSWORD_ENV, source, env);
  }
  const tls: NonNullable<Secrets['tls']> = {};
  if (file.kafka.ssl) tls.kafka = readPemFiles(source, 'kafka.ssl', file.kafka.ssl);
  if (scope === 'all') {
    secrets.influxToken = fromEnv(source, env, 'influx.tokenEnv', file.influx.tokenEnv);
    const smtpPassword = file.smtp ? env[file.smtp.passwordEnv] : undefined;
    if (file.smtp?.user && !smtpPassword) {
      throw new DriftwatchError(
        'CONFIG_SECRET_MISSING',
        `${source}: smtp.user is set, so smtp.passwordEnv names ${file.smtp.passwordEnv}, but that environment variable is not set`,
      );
    }
    if (smtpPassword) secrets.smtpPassword = smtpPassword;
    if (file.influx.tls) tls.influx = readPemFiles(source, 'influx.tls', file.influx.tls);
    if (file.smtp?.tls) tls.smtp = readPemFiles(source, 'smtp.tls', file.smtp.tls);
    const registry = file.schemaRegistry;
    if (registry?.auth) {
      secrets.schemaRegistryPassword = password(
        'schemaRegistry.auth',
        registry.auth,
        DEFAULT_SCHEMA_REGISTRY_PASSWORD_ENV,
        source,
        env,
      );
    }
    if (registry?.tls) {
      tls.schemaRegistry = readPemFiles(source, 'schemaRegistry.tls', registry.tls);
    }
  }
  if (Object.keys(tls).length > 0) secrets.tls = tls;
  return secrets;
}
