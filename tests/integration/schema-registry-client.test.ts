import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeTestPki, type TestPki } from '../../scripts/services/certs.js';
import { freePort } from '../../scripts/services/process.js';
import {
  startSchemaRegistry,
  stopSchemaRegistry,
  type SchemaRegistryService,
} from '../../scripts/services/schema-registry.js';
import { DriftwatchError } from '../../src/errors.js';
import { RegistryUnavailable, SchemaRegistryClient } from '../../src/schema-registry/client.js';
import { checkSchemaRegistry } from '../../src/schema-registry/reach.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { registerTestSchemas } from '../support/schema-registry.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';
import { schemaSourceContract } from '../support/schema-source-contract.js';

const services = inject('services');
const PASSWORD = 'registry-secret-4711';

/** The start-up check's failure code, or 'ok'. */
async function checkCode(client: SchemaRegistryClient, url: string, timeoutMs = 500) {
  try {
    await checkSchemaRegistry(client, url, { timeoutMs });
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(DriftwatchError);
    expect((err as Error).message).not.toContain(PASSWORD);
    return (err as DriftwatchError).code;
  }
}

/** A server answering every request with `status`, or never (`status` undefined). */
async function fakeServer(status: number | undefined): Promise<{ url: string; close(): void }> {
  const server = http.createServer((_req, res) => {
    if (status === undefined) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end('{"error_code":50001,"message":"down for maintenance"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('the schema registry client against a real registry', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-registry-client-'));
  let pki: TestPki;
  let authRegistry: SchemaRegistryService;
  let tlsRegistry: SchemaRegistryService;
  const clients: SchemaRegistryClient[] = [];
  const client = (c: ConstructorParameters<typeof SchemaRegistryClient>[0]) => {
    const made = new SchemaRegistryClient(c);
    clients.push(made);
    return made;
  };

  beforeAll(async () => {
    pki = await makeTestPki(path.join(dir, 'pki'));
    authRegistry = await startSchemaRegistry({
      dir: path.join(dir, 'auth'),
      port: await freePort(),
      detached: false,
      auth: { user: 'driftwatch', password: PASSWORD },
    });
    tlsRegistry = await startSchemaRegistry({
      dir: path.join(dir, 'tls'),
      port: await freePort(),
      detached: false,
      tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile },
    });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([authRegistry, tlsRegistry].map((r) => r && stopSchemaRegistry(r)));
  });

  it('fetches a registered schema by id with basic auth, and answers undefined for an unknown id', async () => {
    const { ids } = await registerTestSchemas(authRegistry.url, 'client', {
      username: 'driftwatch',
      password: PASSWORD,
    });
    const c = client({
      url: authRegistry.url,
      username: 'driftwatch',
      password: PASSWORD,
      timeoutMs: 5_000,
    });
    expect(await checkCode(c, authRegistry.url)).toBe('ok');
    expect(await c.fetch(ids.avro)).toMatchObject({ schemaType: 'AVRO', references: 0 });
    expect(await c.fetch(ids.json)).toMatchObject({ schemaType: 'JSON' });
    expect(await c.fetch(ids.protobuf)).toMatchObject({ schemaType: 'PROTOBUF' });
    expect(await c.fetch(999_999)).toBeUndefined();
    expect(c.state).toBe('reachable');
  });

  it('stops the start at once on refused credentials: SCHEMA_REGISTRY_AUTH_FAILED', async () => {
    const wrong = client({
      url: authRegistry.url,
      username: 'driftwatch',
      password: 'nope',
      timeoutMs: 5_000,
    });
    expect(await checkCode(wrong, authRegistry.url, 60_000)).toBe('SCHEMA_REGISTRY_AUTH_FAILED');
    const none = client({ url: authRegistry.url, timeoutMs: 5_000 });
    await expect(none.fetch(1)).rejects.toSatisfy(
      (err) => err instanceof RegistryUnavailable && err.kind === 'auth',
    );
  });

  it('trusts the CA of schemaRegistry.tls.caFile; an untrusted certificate is SCHEMA_REGISTRY_TLS_FAILED', async () => {
    const ca = readFileSync(pki.caFile, 'utf8');
    const trusted = client({
      url: tlsRegistry.url,
      tls: { ca, rejectUnauthorized: true },
      timeoutMs: 5_000,
    });
    expect(await checkCode(trusted, tlsRegistry.url)).toBe('ok');
    const other = readFileSync(pki.otherCaFile, 'utf8');
    const untrusted = client({
      url: tlsRegistry.url,
      tls: { ca: other, rejectUnauthorized: true },
      timeoutMs: 5_000,
    });
    expect(await checkCode(untrusted, tlsRegistry.url, 60_000)).toBe('SCHEMA_REGISTRY_TLS_FAILED');
    const unverified = client({
      url: tlsRegistry.url,
      tls: { rejectUnauthorized: false },
      timeoutMs: 5_000,
    });
    expect(await checkCode(unverified, tlsRegistry.url)).toBe('ok');
  });

  it('treats a refused connection, a 5xx, a 404 that is no registry error and a timeout as an outage: SCHEMA_REGISTRY_UNAVAILABLE at start-up', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const refused = client({ url: closed, timeoutMs: 5_000 });
    await expect(refused.fetch(1)).rejects.toSatisfy(
      (err) => err instanceof RegistryUnavailable && err.kind === 'unavailable',
    );
    expect(refused.state).toBe('unreachable');
    expect(await checkCode(refused, closed)).toBe('SCHEMA_REGISTRY_UNAVAILABLE');
    for (const status of [503, 404, undefined]) {
      const server = await fakeServer(status);
      try {
        const c = client({ url: server.url, timeoutMs: 200 });
        await expect(c.fetch(1)).rejects.toSatisfy(
          (err) => err instanceof RegistryUnavailable && err.kind === 'unavailable',
        );
        expect(await checkCode(c, server.url)).toBe('SCHEMA_REGISTRY_UNAVAILABLE');
      } finally {
        server.close();
      }
    }
  });
});

schemaSourceContract('the HTTP client against a real registry process', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-registry-contract-'));
  const port = await freePort();
  let registry = await startSchemaRegistry({ dir, port, detached: false });
  const { ids } = await registerTestSchemas(registry.url, 'contract');
  const source = new SchemaRegistryClient({ url: registry.url, timeoutMs: 5_000 });
  return {
    source,
    ids,
    unknownId: 999_999,
    takeDown: () => stopSchemaRegistry(registry),
    bringUp: async () => {
      registry = await startSchemaRegistry({ dir, port, detached: false });
    },
    close: async () => {
      source.close();
      await stopSchemaRegistry(registry);
    },
  };
});

describe('the daemon with an unreachable schema registry', () => {
  it('stops the start with exit code 2 and one line: SCHEMA_REGISTRY_UNAVAILABLE', async () => {
    const names = uniqueNames('sr-unreachable');
    const url = `http://127.0.0.1:${await freePort()}`;
    const { file } = await writeDaemonConfig(services, {
      ...names,
      baselinesDir: baselineDirFor({
        model: 'm',
        modelVersion: '1',
        numericFeatures: ['a'],
        seed: 1,
      }),
      windowSize: '1m',
      kafka: { topic: names.topic },
      extra: {
        input: { format: 'schema-registry' },
        schemaRegistry: {
          url,
          startTimeout: '1s',
          auth: { username: 'driftwatch', passwordEnv: 'REGISTRY_PASSWORD' },
        },
      },
    });
    const daemon = new DaemonProcess(file, {
      INFLUX_TOKEN: services.influx.token,
      REGISTRY_PASSWORD: PASSWORD,
    });
    const { code } = await daemon.exited;
    const lines = daemon.output.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^driftwatch: error SCHEMA_REGISTRY_UNAVAILABLE: /);
    expect(lines[0]).toContain('schemaRegistry.url');
    expect(daemon.output).not.toContain(PASSWORD);
  });
});
