import { DriftwatchError } from '../errors.js';
import { createKafkaClient, type KafkaClientConfig } from './client.js';
import { kafkaConnectFailure } from './connect-failure.js';

/** Longest start-up wait for a cluster that refuses, does not resolve or does not answer. */
export const KAFKA_START_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Connects once to kafka.brokers (TLS, SASL) before the daemon's clients do, with kafkajs'
 * own retries off: they would retry a refused password or an untrusted certificate for tens of
 * seconds and then report a stack of wrapped errors. Wrong credentials, an untrusted CA or a
 * listener speaking another protocol fail at once with one line naming the key to fix; an
 * unreachable cluster is retried until `timeoutMs`.
 */
export async function checkKafkaAccess(
  config: KafkaClientConfig,
  opts: { timeoutMs?: number; isStopping?: () => boolean } = {},
): Promise<void> {
  const kafka = createKafkaClient(config, {
    clientId: `${config.kafka.clientId}-check`,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + (opts.timeoutMs ?? KAFKA_START_TIMEOUT_MS);
  let suspects = 0;
  let delay = 250;
  for (;;) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      return;
    } catch (err) {
      const failure = kafkaConnectFailure(err, config.kafka);
      if (failure.kind === 'fatal') throw failure.error;
      // A broker restarting can close a connection like a listener of another protocol does.
      if (failure.kind === 'suspect' && ++suspects >= 2) throw failure.error;
      if (Date.now() + delay > deadline || opts.isStopping?.()) {
        const waited = Math.round((opts.timeoutMs ?? KAFKA_START_TIMEOUT_MS) / 1000);
        throw new DriftwatchError(
          failure.error.code,
          `${failure.error.message} (still failing after ${waited}s)`,
          { cause: err },
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 4_000);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

/**
 * Runs the first calls to the cluster (connecting, checking topics), after `checkKafkaAccess`.
 * Whatever kafkajs reports there (e.g. from a broker the check did not reach) still becomes
 * one line naming the key, never a stack trace.
 */
export async function reachKafka<T>(
  config: KafkaClientConfig,
  first: () => Promise<T>,
): Promise<T> {
  try {
    return await first();
  } catch (err) {
    if (err instanceof DriftwatchError) throw err;
    throw kafkaConnectFailure(err, config.kafka).error;
  }
}
