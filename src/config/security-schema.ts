import { z } from 'zod';

export const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

/** A file path, relative to the config file; read once at start-up. */
const filePath = z.string().min(1);

/** Where the SASL password comes from when neither key is set. */
export const DEFAULT_KAFKA_PASSWORD_ENV = 'KAFKA_SASL_PASSWORD';

/**
 * TLS to the brokers. `{}` is TLS with the CAs Node trusts (public clouds); `caFile` replaces
 * them with a PEM bundle (a private CA); `certFile` + `keyFile` present a client certificate
 * (mutual TLS, e.g. Strimzi's `tls` listener).
 */
export const kafkaSslSchema = z
  .strictObject({
    caFile: filePath.optional(),
    /** Name sent as SNI and checked against the certificate (default: each broker's host). */
    servername: z.string().min(1).optional(),
    certFile: filePath.optional(),
    /** Unencrypted PEM private key of `certFile`. */
    keyFile: filePath.optional(),
    /** false accepts any certificate: traffic is encrypted but the broker unverified. */
    rejectUnauthorized: z.boolean().default(true),
  })
  .superRefine((ssl, ctx) => {
    if ((ssl.certFile === undefined) !== (ssl.keyFile === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [ssl.certFile === undefined ? 'certFile' : 'keyFile'],
        message: 'expected certFile and keyFile together (a client certificate and its key)',
      });
    }
  });

/** A user and password: the password from `passwordFile`, else the env variable `passwordEnv`. */
const userSasl = <M extends string>(mechanism: M) =>
  z.strictObject({
    mechanism: z.literal(mechanism),
    username: z.string().min(1),
    /** Env variable holding the password (default KAFKA_SASL_PASSWORD). */
    passwordEnv: envName.optional(),
    /** File holding the password (a mounted Kubernetes secret); trailing newlines dropped. */
    passwordFile: filePath.optional(),
  });

const oauthSasl = z.strictObject({
  mechanism: z.literal('oauthbearer'),
  /** File holding the current token, read at every (re-)authentication (a refreshed mount). */
  tokenFile: filePath.optional(),
  /** Command (argv, no shell) printing a token on stdout, run at every (re-)authentication. */
  tokenCommand: z.array(z.string().min(1)).min(1).optional(),
});

export const KAFKA_SASL_MECHANISMS = [
  'plain',
  'scram-sha-256',
  'scram-sha-512',
  'oauthbearer',
] as const;

export const kafkaSaslSchema = z
  .discriminatedUnion(
    'mechanism',
    [userSasl('plain'), userSasl('scram-sha-256'), userSasl('scram-sha-512'), oauthSasl],
    { error: `expected mechanism ${KAFKA_SASL_MECHANISMS.join(', ')}` },
  )
  .superRefine((sasl, ctx) => {
    if (sasl.mechanism === 'oauthbearer') {
      if ((sasl.tokenFile === undefined) === (sasl.tokenCommand === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tokenFile'],
          message: 'expected exactly one of tokenFile and tokenCommand',
        });
      }
    } else if (sasl.passwordEnv !== undefined && sasl.passwordFile !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['passwordFile'],
        message: 'expected passwordEnv or passwordFile, not both',
      });
    }
  });

/** TLS of an HTTPS or SMTP connection: a private CA, or (not for production) no verification. */
export const clientTlsSchema = z.strictObject({
  /** PEM bundle of the CAs to trust instead of Node's (relative to the config file). */
  caFile: filePath.optional(),
  /** false accepts any certificate: encrypted, but the server unverified. */
  rejectUnauthorized: z.boolean().default(true),
});

export type KafkaSsl = z.infer<typeof kafkaSslSchema>;
export type KafkaSasl = z.infer<typeof kafkaSaslSchema>;
export type ClientTls = z.infer<typeof clientTlsSchema>;
