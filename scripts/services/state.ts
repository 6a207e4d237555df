import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SecureEndpoints, ServiceEndpoints } from './endpoints.js';
import { artifacts } from './paths.js';
import type { ServiceProcess } from './process.js';

/** What `services up` left running, so `down`, `status`, the demo and the bench can find it. */
export interface ServicesState {
  endpoints: ServiceEndpoints;
  /** Absent in a state written before the secure instances existed (`up` then adds them). */
  secure?: SecureEndpoints;
  /** Added by `up` when missing (scripts/services/alertmanager.ts). */
  alertmanager?: { url: string };
  /** The test Schema Registry (Confluent API); absent in a state written before it existed. */
  schemaRegistry?: { url: string };
  processes: ServiceProcess[];
  dataDir: string;
  startedAt: string;
}

const stateFile = () => path.join(artifacts.runDir(), 'services.json');

export function readState(): ServicesState | undefined {
  if (!existsSync(stateFile())) return undefined;
  return JSON.parse(readFileSync(stateFile(), 'utf8')) as ServicesState;
}

export function writeState(state: ServicesState): void {
  mkdirSync(artifacts.runDir(), { recursive: true });
  writeFileSync(stateFile(), `${JSON.stringify(state, null, 2)}\n`);
}

export function clearState(): void {
  rmSync(stateFile(), { force: true });
}

/** Environment variables that point driftwatch, its tests and its tools at these services. */
export function endpointsToEnv(
  e: ServiceEndpoints,
  secure?: SecureEndpoints,
): Record<string, string> {
  return {
    ...(secure ? secureToEnv(secure) : {}),
    KAFKA_BROKERS: e.kafkaBrokers.join(','),
    INFLUX_URL: e.influx.url,
    INFLUX_TOKEN: e.influx.token,
    INFLUX_ORG: e.influx.org,
    INFLUX_BUCKET: e.influx.bucket,
    SMTP_URL: `smtp://${e.smtp.host}:${e.smtp.port}`,
    MAIL_API_URL: e.mailApiUrl,
  };
}

/** The endpoints named by env variables, if every one of them is set. */
export function endpointsFromEnv(env: NodeJS.ProcessEnv): {
  endpoints?: ServiceEndpoints;
  missing: string[];
  present: string[];
} {
  const names = [
    'KAFKA_BROKERS',
    'INFLUX_URL',
    'INFLUX_TOKEN',
    'INFLUX_ORG',
    'INFLUX_BUCKET',
    'SMTP_URL',
    'MAIL_API_URL',
  ];
  const present = names.filter((n) => env[n]);
  const missing = names.filter((n) => !env[n]);
  if (missing.length > 0) return { missing, present };
  const smtp = new URL(env.SMTP_URL as string);
  return {
    missing,
    present,
    endpoints: {
      kafkaBrokers: (env.KAFKA_BROKERS as string).split(',').map((b) => b.trim()),
      influx: {
        url: env.INFLUX_URL as string,
        token: env.INFLUX_TOKEN as string,
        org: env.INFLUX_ORG as string,
        bucket: env.INFLUX_BUCKET as string,
      },
      smtp: { host: smtp.hostname, port: Number(smtp.port || 25) },
      mailApiUrl: env.MAIL_API_URL as string,
    },
  };
}

const SECURE_NAMES = [
  'KAFKA_SECURE_BROKERS',
  'KAFKA_MTLS_BROKERS',
  'KAFKA_SECURE_PLAINTEXT_BROKERS',
  'INFLUX_TLS_URL',
  'SERVICES_TLS_DIR',
] as const;

function secureToEnv(s: SecureEndpoints): Record<(typeof SECURE_NAMES)[number], string> {
  return {
    KAFKA_SECURE_BROKERS: s.kafka.saslSslBrokers.join(','),
    KAFKA_MTLS_BROKERS: s.kafka.mtlsBrokers.join(','),
    KAFKA_SECURE_PLAINTEXT_BROKERS: s.kafka.plaintextBrokers.join(','),
    INFLUX_TLS_URL: s.influxUrl,
    SERVICES_TLS_DIR: s.tlsDir,
  };
}

/** The secure instances named by env variables, if every one of them is set. */
export function secureFromEnv(env: NodeJS.ProcessEnv): {
  secure?: SecureEndpoints;
  missing: string[];
} {
  const missing = SECURE_NAMES.filter((n) => !env[n]);
  if (missing.length > 0) return { missing };
  const list = (name: (typeof SECURE_NAMES)[number]) =>
    (env[name] as string).split(',').map((b) => b.trim());
  return {
    missing,
    secure: {
      kafka: {
        saslSslBrokers: list('KAFKA_SECURE_BROKERS'),
        mtlsBrokers: list('KAFKA_MTLS_BROKERS'),
        plaintextBrokers: list('KAFKA_SECURE_PLAINTEXT_BROKERS'),
      },
      influxUrl: env.INFLUX_TLS_URL as string,
      tlsDir: env.SERVICES_TLS_DIR as string,
    },
  };
}
