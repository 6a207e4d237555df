import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type RetryOptions, type SASLOptions } from 'kafkajs';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { kafkaLogCreator } from './kafka-logging.js';
import { oauthBearerProvider } from './oauth-token.js';

/** What a Kafka client is made from: the `kafka` section and the secrets it names. */
export type KafkaClientConfig = Pick<Config, 'kafka' | 'secrets'>;

/**
 * kafkajs gives a connection 1 s by default. That covers TCP, but a TLS handshake with a busy
 * broker (or across a region to a managed cluster) can take longer, and a timed-out handshake is
 * retried from scratch: with TLS, 10 s.
 */
export const TLS_CONNECTION_TIMEOUT_MS = 10_000;

/** kafkajs' TLS options: the PEM files read at start-up, the server name, verification. */
export function kafkaSslOptions(config: KafkaClientConfig): ConnectionOptions | undefined {
  const ssl = config.kafka.ssl;
  if (!ssl) return undefined;
  return {
    ...config.secrets.tls?.kafka,
    ...(ssl.servername !== undefined ? { servername: ssl.servername } : {}),
    rejectUnauthorized: ssl.rejectUnauthorized,
  };
}

export function kafkaSaslOptions(config: KafkaClientConfig): SASLOptions | undefined {
  const sasl = config.kafka.sasl;
  if (!sasl) return undefined;
  if (sasl.mechanism === 'oauthbearer') {
    return { mechanism: 'oauthbearer', oauthBearerProvider: oauthBearerProvider(sasl) };
  }
  const credentials = { username: sasl.username, password: config.secrets.kafkaPassword ?? '' };
  // kafkajs types each mechanism separately; the three take the same credentials.
  if (sasl.mechanism === 'plain') return { mechanism: 'plain', ...credentials };
  if (sasl.mechanism === 'scram-sha-256') return { mechanism: 'scram-sha-256', ...credentials };
  return { mechanism: 'scram-sha-512', ...credentials };
}

/**
 * The one place a kafkajs client is made: the daemon, its receivers, dead letters and alert
 * log, and the CLI tools all connect with the same brokers, TLS and SASL settings. Without a
 * `logger` kafkajs stays silent (start-up checks report what they find themselves).
 */
export function createKafkaClient(
  config: KafkaClientConfig,
  opts: { logger?: Logger; clientId?: string; retry?: RetryOptions } = {},
): Kafka {
  const ssl = kafkaSslOptions(config);
  const sasl = kafkaSaslOptions(config);
  return new Kafka({
    clientId: opts.clientId ?? config.kafka.clientId,
    brokers: config.kafka.brokers,
    ...(ssl ? { ssl, connectionTimeout: TLS_CONNECTION_TIMEOUT_MS } : {}),
    ...(sasl ? { sasl } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
    ...(opts.logger
      ? { logLevel: logLevel.WARN, logCreator: kafkaLogCreator(opts.logger) }
      : { logLevel: logLevel.NOTHING }),
  });
}
