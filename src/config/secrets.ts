import { DriftwatchError } from '../errors.js';
import type { FileConfig, Secrets } from './schema.js';
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

/** The SASL password: from kafka.sasl.passwordFile, else the env variable passwordEnv names. */
function kafkaPassword(
  file: FileConfig,
  source: string,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const sasl = file.kafka.sasl;
  if (!sasl || sasl.mechanism === 'oauthbearer') return undefined;
  if (sasl.passwordFile !== undefined) {
    // A mounted secret usually ends with a newline that is no part of the password.
    const password = readConfigFile(
      source,
      'kafka.sasl.passwordFile',
      sasl.passwordFile,
      'CONFIG_SECRET_MISSING',
    ).replace(/\r?\n$/, '');
    if (password === '') {
      throw new DriftwatchError(
        'CONFIG_SECRET_MISSING',
        `${source}: kafka.sasl.passwordFile (${sasl.passwordFile}) is empty`,
      );
    }
    return password;
  }
  return fromEnv(
    source,
    env,
    sasl.passwordEnv === undefined
      ? `kafka.sasl.passwordEnv (default ${DEFAULT_KAFKA_PASSWORD_ENV})`
      : 'kafka.sasl.passwordEnv',
    sasl.passwordEnv ?? DEFAULT_KAFKA_PASSWORD_ENV,
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
  const password = kafkaPassword(file, source, env);
  if (password !== undefined) secrets.kafkaPassword = password;
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
  }
  if (Object.keys(tls).length > 0) secrets.tls = tls;
  return secrets;
}
