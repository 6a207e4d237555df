import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { portIsFree, spawnService, stopProcess, waitFor, type ServiceProcess } from './process.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER = path.join(HERE, 'schema-registry-server.ts');
/** tsx resolves from the working directory: the repository's. */
const ROOT = path.resolve(HERE, '..', '..');

export interface SchemaRegistryOptions {
  /** Where its schemas persist (a restart on the same dir keeps every id) and its log. */
  dir: string;
  port: number;
  detached: boolean;
  /** Basic auth: the user, and the password (given to the process in its environment). */
  auth?: { user: string; password: string };
  /** Serve HTTPS with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
}

export interface SchemaRegistryService {
  url: string;
  proc: ServiceProcess;
}

/**
 * The test suite's Schema Registry (Confluent REST API): a Node process running
 * schema-registry-server.ts through tsx, so it needs nothing but this repository's own
 * dependencies. Resolves once it listens.
 */
export async function startSchemaRegistry(
  o: SchemaRegistryOptions,
): Promise<SchemaRegistryService> {
  mkdirSync(o.dir, { recursive: true });
  const args = ['--import', 'tsx', SERVER, '--port', String(o.port), '--data', o.dir];
  if (o.auth) args.push('--user', o.auth.user, '--password-env', 'SCHEMA_REGISTRY_PASSWORD');
  if (o.tls) args.push('--cert', o.tls.certFile, '--key', o.tls.keyFile);
  const proc = await spawnService('schema-registry', process.execPath, args, {
    cwd: ROOT,
    logDir: o.dir,
    detached: o.detached,
    ...(o.auth ? { env: { SCHEMA_REGISTRY_PASSWORD: o.auth.password } } : {}),
  });
  const url = `${o.tls ? 'https' : 'http'}://127.0.0.1:${o.port}`;
  // Ready once its port is bound (it binds only after loading its schemas).
  await waitFor('schema registry', async () => !(await portIsFree(o.port)), {
    timeoutMs: 30_000,
    proc,
  });
  return { url, proc };
}

export async function stopSchemaRegistry(s: SchemaRegistryService): Promise<void> {
  await stopProcess(s.proc.pid);
}
