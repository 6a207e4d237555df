import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout. Secrets never reach a log call; the redact list is a second guard. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'driftwatch' },
    redact: [
      ...[
        'token',
        'password',
        'secrets',
        'kafkaPassword',
        'smtpPassword',
        'influxToken',
        'schemaRegistryPassword',
        'authorization',
      ].flatMap((key) => [key, `*.${key}`]),
      // PEM private keys in TLS options (kafkajs' ssl, nodemailer's tls).
      ...['ssl.key', 'tls.key'].flatMap((key) => [key, `*.${key}`]),
    ],
  };
  return destination ? pino(options, destination) : pino(options);
}
