import type { Config } from '../config/schema.js';
import { DriftwatchError } from '../errors.js';
import { oneLineMessage, tlsProblem } from '../shared/tls-errors.js';

type KafkaSettings = Config['kafka'];

/**
 * What a failed first connection means. `fatal`: retrying cannot help (credentials, trust,
 * a listener speaking another protocol), so start-up stops at once. `suspect`: looks like a
 * listener mismatch but a restarting broker looks the same, so it is fatal only if it repeats.
 * `transient`: the cluster may come (refused, unresolvable, timed out).
 */
export interface ConnectFailure {
  kind: 'fatal' | 'suspect' | 'transient';
  error: DriftwatchError;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  type?: unknown;
  broker?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/** The error and everything it wraps (kafkajs nests causes through its retriers). */
function chain(err: unknown): ErrorLike[] {
  const seen: ErrorLike[] = [];
  let e: unknown = err;
  while (e !== null && typeof e === 'object' && !seen.includes(e) && seen.length < 10) {
    const like = e as ErrorLike;
    seen.push(like);
    e = like.cause ?? like.originalError;
  }
  return seen;
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** Sorts out why the first connection to kafka.brokers failed, as one line naming the key to fix. */
export function kafkaConnectFailure(err: unknown, kafka: KafkaSettings): ConnectFailure {
  const errors = chain(err);
  const own = errors.find((e): e is DriftwatchError => e instanceof DriftwatchError);
  if (own) return { kind: 'fatal', error: own };
  const messages = errors.map((e) => text(e.message));
  const names = errors.map((e) => text(e.name));
  const broker = errors.map((e) => text(e.broker)).find((b) => b !== '') ?? kafka.brokers.join(',');
  const detail = oneLineMessage(messages.find((m) => m !== '') ?? String(err));
  const fail = (kind: ConnectFailure['kind'], code: DriftwatchError['code'], message: string) => ({
    kind,
    error: new DriftwatchError(code, message, { cause: err }),
  });
  const sasl = kafka.sasl;

  if (
    names.includes('KafkaJSSASLAuthenticationError') ||
    errors.some((e) => e.type === 'SASL_AUTHENTICATION_FAILED')
  ) {
    const fix =
      sasl?.mechanism === 'oauthbearer'
        ? `the token from kafka.sasl.${sasl.tokenFile !== undefined ? 'tokenFile' : 'tokenCommand'}`
        : 'kafka.sasl.username and the password (kafka.sasl.passwordEnv or passwordFile)';
    return fail(
      'fatal',
      'KAFKA_AUTH_FAILED',
      `Kafka at kafka.brokers ${broker} refused the SASL ${sasl?.mechanism ?? ''} login${sasl && sasl.mechanism !== 'oauthbearer' ? ` of "${sasl.username}"` : ''}: ${detail}; check ${fix}`,
    );
  }
  if (
    errors.some((e) => e.type === 'UNSUPPORTED_SASL_MECHANISM' || e.type === 'ILLEGAL_SASL_STATE')
  ) {
    return fail(
      'fatal',
      'KAFKA_AUTH_FAILED',
      `Kafka at kafka.brokers ${broker} does not accept SASL mechanism ${sasl?.mechanism ?? '(none)'} on this listener: ${detail}; set kafka.sasl.mechanism to one it enables`,
    );
  }
  const tls = errors
    .map((e) => ({ code: text(e.code), problem: tlsProblem(text(e.code), text(e.message)) }))
    .find((t) => t.problem !== undefined);
  if (tls?.problem === 'untrusted') {
    return fail(
      'fatal',
      'KAFKA_TLS_FAILED',
      `the TLS certificate of Kafka broker ${broker} is not trusted (${tls.code}: ${detail}): set kafka.ssl.caFile to the PEM bundle of the CA that signed it${kafka.ssl?.caFile !== undefined ? ` (${kafka.ssl.caFile} is not that CA)` : ''}`,
    );
  }
  if (tls?.problem === 'altname') {
    return fail(
      'fatal',
      'KAFKA_TLS_FAILED',
      `the TLS certificate of Kafka broker ${broker} does not name that host (${detail}): use a host name the certificate carries in kafka.brokers, or set kafka.ssl.servername`,
    );
  }
  if (tls?.problem === 'handshake') {
    return fail(
      'fatal',
      'KAFKA_TLS_FAILED',
      `the TLS handshake with Kafka broker ${broker} failed (${tls.code}: ${detail}): if the listener requires client certificates, set kafka.ssl.certFile and kafka.ssl.keyFile to one it trusts`,
    );
  }
  if (kafka.ssl && tls?.problem === 'not-tls') {
    return fail(
      'suspect',
      'KAFKA_SECURITY_MISMATCH',
      `Kafka broker ${broker} does not speak TLS (${detail}): kafka.ssl is set, so either kafka.brokers names a PLAINTEXT or SASL_PLAINTEXT listener (use the port of the TLS listener) or remove kafka.ssl`,
    );
  }
  const closed =
    names.includes('KafkaJSConnectionClosedError') ||
    messages.some((m) => /^Connection closed by the server$|^Closed connection$/.test(m));
  if (closed && !kafka.ssl) {
    return fail(
      'suspect',
      'KAFKA_SECURITY_MISMATCH',
      `Kafka broker ${broker} closed the connection at the first request: its listener likely expects TLS (set kafka.ssl)${sasl ? '' : ' and perhaps SASL (kafka.sasl)'}, or kafka.brokers names another service`,
    );
  }
  if (closed && !sasl) {
    return fail(
      'suspect',
      'KAFKA_SECURITY_MISMATCH',
      `Kafka broker ${broker} closed the connection after the TLS handshake: its listener likely expects SASL authentication (set kafka.sasl)`,
    );
  }
  return fail(
    'transient',
    'KAFKA_CONNECT_FAILED',
    `cannot use the Kafka cluster at kafka.brokers ${kafka.brokers.join(',')}: ${detail}`,
  );
}
