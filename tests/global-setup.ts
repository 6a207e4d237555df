import type { TestProject } from 'vitest/node';
import type { SecureEndpoints, ServiceEndpoints } from '../scripts/services/endpoints.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, startNative, stopNative } from '../scripts/services/native.js';
import { freePort } from '../scripts/services/process.js';
import { startSchemaRegistry, stopSchemaRegistry } from '../scripts/services/schema-registry.js';
import { endpointsFromEnv, secureFromEnv } from '../scripts/services/state.js';
import { dockerAnswers, startWithTestcontainers } from './support/containers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceEndpoints;
    servicesMode: 'env' | 'testcontainers' | 'native';
    /** The SASL_SSL/mTLS broker and the TLS InfluxDB, or why there are none (tests then fail). */
    secureServices: { endpoints: SecureEndpoints } | { missing: string };
    /** A Schema Registry speaking the Confluent API (SCHEMA_REGISTRY_URL, else started here). */
    schemaRegistry: { url: string };
  }
}

const REGISTRY_HOW_TO_FIX = `The Schema Registry tests need a registry speaking the Confluent REST API. Either set
SCHEMA_REGISTRY_URL to one (e.g. \`eval "$(npm run -s services -- env)"\` after \`npm run services -- up\`),
or let the tests start scripts/services/schema-registry-server.ts (node + tsx from this repository's
devDependencies: run \`npm ci\`).`;

/** The registry of the tests: SCHEMA_REGISTRY_URL, else one started natively until teardown. */
async function schemaRegistryForTests(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env.SCHEMA_REGISTRY_URL;
  if (fromEnv) {
    say(`using the schema registry at SCHEMA_REGISTRY_URL ${fromEnv}`);
    project.provide('schemaRegistry', { url: fromEnv });
    return async () => {};
  }
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-registry-'));
    const registry = await startSchemaRegistry({ dir, port: await freePort(), detached: false });
    say(`schema registry started natively at ${registry.url}`);
    project.provide('schemaRegistry', { url: registry.url });
    return async () => {
      await stopSchemaRegistry(registry);
      rmSync(dir, { recursive: true, force: true });
    };
  } catch (err) {
    throw new Error(
      `could not start a schema registry: ${err instanceof Error ? err.message : String(err)}\n\n${REGISTRY_HOW_TO_FIX}`,
      { cause: err },
    );
  }
}

const SECURE_HOW_TO_FIX = `The secure Kafka broker (SASL_SSL, mTLS) and the InfluxDB served over TLS are started natively by
\`npm run services -- up\` (java and the cached influxd; certificates made with openssl), then
\`eval "$(npm run -s services -- env)"\` exports KAFKA_SECURE_BROKERS, KAFKA_MTLS_BROKERS,
KAFKA_SECURE_PLAINTEXT_BROKERS, INFLUX_TLS_URL and SERVICES_TLS_DIR. Services that were already up
before this version gain them at the next \`npm run services -- up\` (the others are left running).`;

const HOW_TO_FIX = `Integration tests need real Kafka, InfluxDB 2.7 and an SMTP server with an HTTP API. Three ways:
  1. Point at running services: set KAFKA_BROKERS, INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET,
     SMTP_URL and MAIL_API_URL (e.g. \`eval "$(npm run -s services -- env)"\` after \`npm run services -- up\`).
  2. Run a Docker engine: Testcontainers starts apache/kafka, influxdb:2.7 and axllent/mailpit.
  3. Native (no Docker): needs java 17 + mvn, go and cargo on PATH and access to Maven Central, the Go
     module proxy and crates.io; builds are cached in $DRIFTWATCH_CACHE (default ~/.cache/driftwatch).`;

function say(message: string): void {
  process.stderr.write(`[test services] ${message}\n`);
}

/** Real services and the schema registry; the teardown stops what was started here. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stopServices = await setupServices(project);
  try {
    const stopRegistry = await schemaRegistryForTests(project);
    return async () => {
      await stopRegistry();
      await stopServices();
    };
  } catch (err) {
    await stopServices();
    throw err;
  }
}

/** Finds real services: env endpoints, else Testcontainers when Docker answers, else native processes. */
async function setupServices(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = endpointsFromEnv(process.env);
  if (fromEnv.endpoints) {
    say(
      `using services from environment variables (Kafka ${fromEnv.endpoints.kafkaBrokers.join(',')}, InfluxDB ${fromEnv.endpoints.influx.url})`,
    );
    project.provide('services', fromEnv.endpoints);
    project.provide('servicesMode', 'env');
    const secure = secureFromEnv(process.env);
    project.provide(
      'secureServices',
      secure.secure
        ? { endpoints: secure.secure }
        : { missing: `not set: ${secure.missing.join(', ')}.\n\n${SECURE_HOW_TO_FIX}` },
    );
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
      project.provide('secureServices', {
        missing: `services came from Testcontainers, the secure ones have no container set-up.\n\n${SECURE_HOW_TO_FIX}`,
      });
      return stop;
    } catch (err) {
      failures.push(`Testcontainers: ${String(err)}`);
    }
  } else {
    failures.push('Testcontainers: no Docker engine answers');
  }
  try {
    say(
      'no Docker engine: starting native Kafka, InfluxDB, Mailpit and the secure Kafka and InfluxDB (first run builds them; cached after)',
    );
    const started = Date.now();
    const services = await startNative({ ports: await freePorts(), detached: false });
    say(
      `native services up in ${((Date.now() - started) / 1000).toFixed(1)}s (Kafka ${services.endpoints.kafkaBrokers.join(',')}, InfluxDB ${services.endpoints.influx.url}, Mailpit ${services.endpoints.mailApiUrl})`,
    );
    project.provide('services', services.endpoints);
    project.provide('servicesMode', 'native');
    project.provide('secureServices', { endpoints: services.secure });
    return () => stopNative(services);
  } catch (err) {
    failures.push(`native: ${err instanceof Error ? err.message : String(err)}`);
  }
  throw new Error(
    `could not obtain real services:\n${failures.map((f) => `  - ${f}`).join('\n')}\n\n${HOW_TO_FIX}`,
  );
}
