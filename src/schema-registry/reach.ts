import { readsSchemaRegistry } from '../config/input.js';
import type { Config } from '../config/schema.js';
import { clientTlsOptions } from '../config/tls-files.js';
import { DriftwatchError } from '../errors.js';
import { RegistryUnavailable, SchemaRegistryClient } from './client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The registry client of `schemaRegistry` with its secrets; undefined unless the input is read
 * through it (`input.format: schema-registry`).
 */
export function schemaRegistryClientOf(config: Config): SchemaRegistryClient | undefined {
  const r = config.schemaRegistry;
  if (!r || !readsSchemaRegistry(config.input)) return undefined;
  return new SchemaRegistryClient({
    url: r.url,
    username: r.auth?.username,
    password: config.secrets.schemaRegistryPassword,
    tls: clientTlsOptions(r.tls, config.secrets.tls?.schemaRegistry),
    timeoutMs: r.requestTimeout,
  });
}

/**
 * At start-up, before consuming: refused credentials or an untrusted certificate stop the start
 * at once (retrying cannot fix them); an unreachable registry is retried for `timeoutMs`, then
 * SCHEMA_REGISTRY_UNAVAILABLE (exit 2). Each is one line naming the key to fix.
 */
export async function checkSchemaRegistry(
  client: SchemaRegistryClient,
  url: string,
  opts: { timeoutMs: number; isStopping?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let delay = 250;
  for (;;) {
    try {
      await client.check();
      return;
    } catch (err) {
      if (!(err instanceof RegistryUnavailable)) throw err;
      if (err.kind === 'auth') {
        throw new DriftwatchError(
          'SCHEMA_REGISTRY_AUTH_FAILED',
          `${err.message}: check schemaRegistry.auth.username and the password (schemaRegistry.auth.passwordEnv or passwordFile)`,
          { cause: err },
        );
      }
      if (err.kind === 'tls') {
        throw new DriftwatchError(
          'SCHEMA_REGISTRY_TLS_FAILED',
          `${err.message}: set schemaRegistry.tls.caFile to the CA that signed its certificate, or use the URL's scheme and host the server's certificate names`,
          { cause: err },
        );
      }
      if (Date.now() + delay > deadline || opts.isStopping?.()) {
        throw new DriftwatchError(
          'SCHEMA_REGISTRY_UNAVAILABLE',
          `${err.message} (schemaRegistry.url ${url}; still failing after ${Math.round(opts.timeoutMs / 1000)}s)`,
          { cause: err },
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 4_000);
    }
  }
}
