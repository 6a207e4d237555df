/** Where the real services answer; what tests, the demo and the bench connect to. */
export interface ServiceEndpoints {
  kafkaBrokers: string[];
  influx: { url: string; token: string; org: string; bucket: string };
  smtp: { host: string; port: number };
  mailApiUrl: string;
}

/** Fixed credentials for the throwaway InfluxDB the tooling sets up. */
export const INFLUX_SETUP = {
  username: 'driftwatch',
  password: 'driftwatch-password',
  org: 'driftwatch',
  bucket: 'drift',
  token: 'driftwatch-dev-token',
} as const;

/**
 * The secure instances, separate from the shared ones above: a Kafka broker with SASL_SSL,
 * mutual-TLS and plaintext listeners, and an InfluxDB served over TLS. Their certificates
 * are in `tlsDir` (see certs.ts: ca.pem, other-ca.pem, client.pem, client.key).
 */
export interface SecureEndpoints {
  kafka: { saslSslBrokers: string[]; mtlsBrokers: string[]; plaintextBrokers: string[] };
  influxUrl: string;
  tlsDir: string;
}

/** Fixed users of the throwaway secure broker (SCRAM-SHA-256/512 share one; PLAIN has its own). */
export const SECURE_KAFKA_USERS = {
  scram: { username: 'driftwatch', password: 'driftwatch-scram-secret' },
  plain: { username: 'driftwatch-plain', password: 'driftwatch-plain-secret' },
} as const;
