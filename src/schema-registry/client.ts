import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import type { ClientTlsOptions } from '../config/tls-files.js';
import type { RegisteredSchema } from '../prediction-log/registry/registered-schema.js';
import type { SchemaSource } from '../prediction-log/registry/registry-decoder.js';
import { oneLineMessage, tlsProblem } from '../shared/tls-errors.js';

/** Where the registry answers and how to reach it (schemaRegistry.* with its secrets). */
export interface RegistryConnection {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  tls?: ClientTlsOptions | undefined;
  timeoutMs: number;
}

/** Why the registry did not answer: `auth` (401/403), `tls` (trust), `unavailable` (the rest). */
export type RegistryFailureKind = 'auth' | 'tls' | 'unavailable';

/** The registry could not answer a request: an outage (retried), never a property of a message. */
export class RegistryUnavailable extends Error {
  readonly kind: RegistryFailureKind;

  constructor(kind: RegistryFailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryUnavailable';
    this.kind = kind;
  }
}

/** GET /schemas/ids/{id} of the Confluent API (Apicurio's ccompat API answers the same). */
const schemaResponse = z.object({
  schema: z.string(),
  schemaType: z.string().optional(),
  references: z.array(z.unknown()).optional(),
});

/** A schema is at most this large: a registry answering more is not answering a schema. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** A 404 whose body is the registry's own error (Confluent error codes 40401…40499). */
function isRegistryNotFound(body: string): boolean {
  try {
    const code = (JSON.parse(body) as { error_code?: unknown }).error_code;
    return typeof code === 'number' && code >= 40400 && code <= 40499;
  } catch {
    return false;
  }
}

interface Reply {
  status: number;
  body: string;
}

/**
 * The Schema Registry's HTTP API: basic auth, TLS (a private CA, or no verification), a
 * timeout per request, kept-alive connections. The password goes into one header and nowhere
 * else; errors name the URL and the status, never the credentials.
 */
export class SchemaRegistryClient implements SchemaSource {
  /** What the last request found: what /healthz reports. */
  state: 'unknown' | 'reachable' | 'unreachable' = 'unknown';
  private readonly base: string;
  private readonly conn: RegistryConnection;
  private readonly agent: http.Agent;
  private readonly authorization: string | undefined;

  constructor(conn: RegistryConnection) {
    this.conn = conn;
    this.base = conn.url.endsWith('/') ? conn.url : `${conn.url}/`;
    const isHttps = this.base.startsWith('https:');
    this.agent = isHttps
      ? new https.Agent({ keepAlive: true, maxSockets: 4, ...conn.tls })
      : new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.authorization =
      conn.username === undefined
        ? undefined
        : `Basic ${Buffer.from(`${conn.username}:${conn.password ?? ''}`).toString('base64')}`;
  }

  /** The schema of `id`; undefined when the registry answers 404 (no such id). */
  async fetch(id: number): Promise<RegisteredSchema | undefined> {
    const reply = await this.get(`schemas/ids/${id}`);
    if (reply.status === 404) {
      // Only the registry's own "no such schema" (error codes 404xx) is an answer about the id;
      // any other 404 (a proxy, a wrong base path) would dead-letter every message: an outage.
      if (isRegistryNotFound(reply.body)) return undefined;
      throw this.notTheApi(`schemas/ids/${id}`);
    }
    let parsed: z.infer<typeof schemaResponse>;
    try {
      parsed = schemaResponse.parse(JSON.parse(reply.body));
    } catch (err) {
      throw new RegistryUnavailable(
        'unavailable',
        `schema registry at ${this.conn.url} answered schema id ${id} with something that is no schema: ${oneLineMessage(String(err))}`,
      );
    }
    return {
      schemaType: parsed.schemaType ?? 'AVRO',
      schema: parsed.schema,
      references: parsed.references?.length ?? 0,
    };
  }

  /** One cheap request (the global compatibility config) proving the registry answers us. */
  async check(): Promise<void> {
    const reply = await this.get('config');
    if (reply.status === 404) throw this.notTheApi('config');
  }

  private notTheApi(path: string): RegistryUnavailable {
    this.state = 'unreachable';
    return new RegistryUnavailable(
      'unavailable',
      `schema registry at ${this.conn.url} answered 404 to GET /${path} without a registry error: is the URL the base of the Confluent API (Apicurio: …/apis/ccompat/v7)?`,
    );
  }

  close(): void {
    this.agent.destroy();
  }

  /** A GET answered 2xx or 404; anything else rejects with RegistryUnavailable. */
  private async get(path: string): Promise<Reply> {
    try {
      const reply = await this.request(new URL(path, this.base));
      if (reply.status === 401 || reply.status === 403) {
        throw new RegistryUnavailable(
          'auth',
          `schema registry at ${this.conn.url} refused ${this.conn.username === undefined ? 'an unauthenticated request' : `the credentials of "${this.conn.username}"`} (HTTP ${reply.status})`,
        );
      }
      if (reply.status !== 404 && (reply.status < 200 || reply.status > 299)) {
        throw new RegistryUnavailable(
          'unavailable',
          `schema registry at ${this.conn.url} answered HTTP ${reply.status} to GET /${path}: ${oneLineMessage(reply.body.slice(0, 200))}`,
        );
      }
      this.state = 'reachable';
      return reply;
    } catch (err) {
      this.state = 'unreachable';
      if (err instanceof RegistryUnavailable) throw err;
      const e = err as Error & { code?: string };
      const tls = tlsProblem(e.code ?? '', e.message) !== undefined;
      throw new RegistryUnavailable(
        tls ? 'tls' : 'unavailable',
        `cannot reach the schema registry at ${this.conn.url}: ${e.code ? `${e.code}: ` : ''}${oneLineMessage(e.message)}`,
        { cause: err },
      );
    }
  }

  private request(url: URL): Promise<Reply> {
    const headers: Record<string, string> = {
      accept: 'application/vnd.schemaregistry.v1+json, application/json',
    };
    if (this.authorization !== undefined) headers.authorization = this.authorization;
    const send = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = send(url, { method: 'GET', agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`));
          } else chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      req.setTimeout(this.conn.timeoutMs, () =>
        req.destroy(
          Object.assign(new Error(`no answer within ${this.conn.timeoutMs}ms`), {
            code: 'ETIMEDOUT',
          }),
        ),
      );
      req.on('error', reject);
      req.end();
    });
  }
}
