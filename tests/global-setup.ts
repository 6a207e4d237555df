import type { TestProject } from 'vitest/node';
import type { ServiceEndpoints } from '../scripts/services/endpoints.js';
import { freePorts, startNative, stopNative } from '../scripts/services/native.js';
import { endpointsFromEnv } from '../scripts/services/state.js';
import { dockerAnswers, startWithTestcontainers } from './support/containers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceEndpoints;
    servicesMode: 'env' | 'testcontainers' | 'native';
  }
}

const HOW_TO_FIX = `Integration tests need real Kafka, InfluxDB 2.7 and an SMTP server with an HTTP API. Three ways:
  1. Point at running services: set KAFKA_BROKERS, INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET,
     SMTP_URL and MAIL_API_URL (e.g. \`eval "$(npm run -s services -- env)"\` after \`npm run services -- up\`).
  2. Run a Docker engine: Testcontainers starts apache/kafka, influxdb:2.7 and axllent/mailpit.
  3. Native (no Docker): needs java 17 + mvn, go and cargo on PATH and access to Maven Central, the Go
     module proxy and crates.io; builds are cached in $DRIFTWATCH_CACHE (default ~/.cache/driftwatch).`;

function say(message: string): void {
  process.stderr.write(`[test services] ${message}\n`);
}

/** Finds real services: env endpoints, else Testcontainers when Docker answers, else native processes. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = endpointsFromEnv(process.env);
  if (fromEnv.endpoints) {
    say(
      `using services from environment variables (Kafka ${fromEnv.endpoints.kafkaBrokers.join(',')}, InfluxDB ${fromEnv.endpoints.influx.url})`,
    );
    project.provide('services', fromEnv.endpoints);
    project.provide('servicesMode', 'env');
    return async () => {};
  }
  if (fromEnv.present.length > 0) {
    throw new Error(
      `some service variables are set (${fromEnv.present.join(', ')}) but not ${fromEnv.missing.join(', ')}; set all or none.\n\n${HOW_TO_FIX}`,
    );
  }
  const failures: string[] = [];
  if (await dockerAnswers()) {
    try {
      say('a Docker engine answers: starting services with Testcontainers');
      const { endpoints, stop } = await startWithTestcontainers();
      project.provide('services', endpoints);
      project.provide('servicesMode', 'testcontainers');
      return stop;
    } catch (err) {
      failures.push(`Testcontainers: ${String(err)}`);
    }
  } else {
    failures.push('Testcontainers: no Docker engine answers');
  }
  try {
    say(
      'no Docker engine: starting native Kafka, InfluxDB and Mailpit (first run builds them; cached after)',
    );
    const started = Date.now();
    const services = await startNative({ ports: await freePorts(), detached: false });
    say(
      `native services up in ${((Date.now() - started) / 1000).toFixed(1)}s (Kafka ${services.endpoints.kafkaBrokers.join(',')}, InfluxDB ${services.endpoints.influx.url}, Mailpit ${services.endpoints.mailApiUrl})`,
    );
    project.provide('services', services.endpoints);
    project.provide('servicesMode', 'native');
    return () => stopNative(services);
  } catch (err) {
    failures.push(`native: ${err instanceof Error ? err.message : String(err)}`);
  }
  throw new Error(
    `could not obtain real services:\n${failures.map((f) => `  - ${f}`).join('\n')}\n\n${HOW_TO_FIX}`,
  );
}
