import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { DriftwatchError } from '../../src/errors.js';
import { kafkaConnectFailure } from '../../src/kafka/connect-failure.js';
import { oneLineMessage } from '../../src/shared/tls-errors.js';

// kafkajs is CommonJS: its error classes are reachable through the default export only, and
// its types leave out constructor arguments it takes (cause, metadata): built as kafkajs does.
type ErrorClass = new (e: unknown, meta?: Record<string, unknown>) => Error;
const {
  KafkaJSConnectionClosedError,
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} = kafkajs as unknown as Record<
  | 'KafkaJSConnectionClosedError'
  | 'KafkaJSConnectionError'
  | 'KafkaJSNonRetriableError'
  | 'KafkaJSNumberOfRetriesExceeded'
  | 'KafkaJSProtocolError'
  | 'KafkaJSSASLAuthenticationError',
  ErrorClass
>;

const BROKER = '10.0.0.1:9093';

const settings = (more: Partial<Config['kafka']> = {}) =>
  ({ brokers: [BROKER], clientId: 'driftwatch', ...more }) as Config['kafka'];

const scram = {
  sasl: { mechanism: 'scram-sha-512', username: 'alice' },
} as Partial<Config['kafka']>;
const tls = { ssl: { rejectUnauthorized: true, caFile: '/etc/ca.pem' } };

/** As kafkajs' retrier hands it over: the connection error wrapped once more. */
const retried = (e: Error) => new KafkaJSNumberOfRetriesExceeded(e, { cause: e });
/** As kafkajs' retrier hands over an error it gave up on at once (`bail`). */
const nonRetriable = (e: Error) => new KafkaJSNonRetriableError(e, { cause: e.cause ?? e });
const connectionError = (message: string, code?: string) =>
  new KafkaJSConnectionError(`Connection error: ${message}`, { broker: BROKER, code });

describe('why the first connection to Kafka failed', () => {
  it.each([
    {
      what: 'a refused SASL login',
      err: nonRetriable(
        new KafkaJSSASLAuthenticationError(
          'SASL SCRAM SHA512 authentication failed: invalid credentials',
        ),
      ),
      more: { ...scram, ...tls },
      kind: 'fatal',
      code: 'KAFKA_AUTH_FAILED',
      says: [
        'refused the SASL scram-sha-512 login of "alice"',
        'kafka.sasl.passwordEnv or passwordFile',
      ],
    },
    {
      what: 'a mechanism the listener does not enable',
      err: new KafkaJSProtocolError({
        type: 'UNSUPPORTED_SASL_MECHANISM',
        code: 33,
        retriable: false,
        message: 'The broker does not support the requested SASL mechanism',
      }),
      more: { ...scram, ...tls },
      kind: 'fatal',
      code: 'KAFKA_AUTH_FAILED',
      says: ['set kafka.sasl.mechanism'],
    },
    {
      what: 'a certificate no given CA vouches for',
      err: retried(
        connectionError(
          'unable to verify the first certificate',
          'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        ),
      ),
      more: tls,
      kind: 'fatal',
      code: 'KAFKA_TLS_FAILED',
      says: ['set kafka.ssl.caFile', '(/etc/ca.pem is not that CA)', BROKER],
    },
    {
      what: 'a certificate for another host',
      err: retried(
        connectionError(
          "Hostname/IP does not match certificate's altnames",
          'ERR_TLS_CERT_ALTNAME_INVALID',
        ),
      ),
      more: tls,
      kind: 'fatal',
      code: 'KAFKA_TLS_FAILED',
      says: ['kafka.ssl.servername'],
    },
    {
      what: 'a listener requiring a client certificate',
      err: retried(
        connectionError(
          'tlsv13 alert certificate required',
          'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
        ),
      ),
      more: tls,
      kind: 'fatal',
      code: 'KAFKA_TLS_FAILED',
      says: ['kafka.ssl.certFile and kafka.ssl.keyFile'],
    },
    {
      what: 'TLS against a plaintext listener',
      err: retried(
        connectionError(
          'Client network socket disconnected before secure TLS connection was established',
          'ECONNRESET',
        ),
      ),
      more: tls,
      kind: 'suspect',
      code: 'KAFKA_SECURITY_MISMATCH',
      says: ['does not speak TLS', 'remove kafka.ssl'],
    },
    {
      what: 'plaintext against a TLS listener',
      err: new KafkaJSConnectionClosedError('Closed connection', { host: '10.0.0.1', port: 9093 }),
      more: scram,
      kind: 'suspect',
      code: 'KAFKA_SECURITY_MISMATCH',
      says: ['expects TLS (set kafka.ssl)'],
    },
    {
      what: 'TLS without SASL against a SASL_SSL listener',
      err: new KafkaJSConnectionClosedError('Closed connection', { host: '10.0.0.1', port: 9093 }),
      more: tls,
      kind: 'suspect',
      code: 'KAFKA_SECURITY_MISMATCH',
      says: ['set kafka.sasl'],
    },
    {
      what: 'a refused connection',
      err: retried(connectionError('connect ECONNREFUSED 10.0.0.1:9093', 'ECONNREFUSED')),
      more: {},
      kind: 'transient',
      code: 'KAFKA_CONNECT_FAILED',
      says: [`kafka.brokers ${BROKER}: Connection error: connect ECONNREFUSED`],
    },
  ])('$what: $kind $code', ({ err, more, kind, code, says }) => {
    const failure = kafkaConnectFailure(err, settings(more));
    expect(failure.kind).toBe(kind);
    expect(failure.error.code).toBe(code);
    for (const s of says) expect(failure.error.message).toContain(s);
    expect(failure.error.message).not.toContain('\n');
  });

  it('passes through our own errors (a failing token command) as they are', () => {
    const own = new DriftwatchError('KAFKA_AUTH_FAILED', 'kafka.sasl.tokenCommand x failed');
    expect(kafkaConnectFailure(nonRetriable(own), settings()).error).toBe(own);
  });

  it("keeps OpenSSL's reason of a multi-line message only", () => {
    expect(
      oneLineMessage(
        'write EPROTO 80ACC1:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/ssl/record/ssl3_record.c:350:\n',
      ),
    ).toBe('wrong version number');
    expect(oneLineMessage('first\nsecond')).toBe('first');
  });
});
