import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Silence } from '../../alert-engine/silence.js';
import { DriftwatchError } from '../errors.js';

/** The environment variable holding the API's bearer token; unset = the API is off. */
export const API_TOKEN_ENV = 'DRIFTWATCH_API_TOKEN';
const PREFIX = '/api/v1/silences';
const MAX_BODY_BYTES = 64 * 1024;

/** What the API does; undefined from `operations` while alerting is not ready yet. */
export interface SilenceOperations {
  list(): Silence[];
  /** Validates (SILENCE_INVALID), writes to the silences topic, applies here at once. */
  add(request: unknown): Promise<Silence>;
  /** SILENCE_NOT_FOUND for an unknown id. */
  expire(id: string): Promise<Silence>;
}

export interface SilenceApi {
  /** The bearer token; undefined: every silence route answers 404 (the port stays read-only). */
  token: string | undefined;
  operations: () => SilenceOperations | undefined;
  /** A refused request (wrong or missing token), counted; never logs the token. */
  onRefused: (reason: string) => void;
}

/** Same-length digests, compared in constant time: neither the token nor its length leaks. */
function tokenMatches(expected: string, header: string | undefined): boolean {
  const given = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(expected), digest(given)) && given.length > 0;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new DriftwatchError('SILENCE_INVALID', `request body over ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new DriftwatchError('SILENCE_INVALID', 'the request body is not JSON');
  }
}

/**
 * `/api/v1/silences`: GET lists, POST creates (201 with the silence), DELETE `/<id>` expires.
 * Every route needs `Authorization: Bearer <token>`; without a token configured none exists.
 * Returns false for paths that are not the API's.
 */
export function handleSilenceApi(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  api: SilenceApi,
): boolean {
  if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return false;
  if (api.token === undefined) {
    send(res, 404, { error: `the silence API is off: set ${API_TOKEN_ENV} to enable it` });
    return true;
  }
  if (!tokenMatches(api.token, req.headers.authorization)) {
    api.onRefused(req.headers.authorization ? 'wrong token' : 'no token');
    res.setHeader('www-authenticate', 'Bearer');
    send(res, 401, { error: 'unauthorized: send Authorization: Bearer <token>' });
    return true;
  }
  const ops = api.operations();
  if (!ops) {
    send(res, 503, { error: 'alerting is not ready yet (or not configured): try again' });
    return true;
  }
  route(req, path, ops).then(
    ([status, body]) => send(res, status, body),
    (err: unknown) => {
      if (err instanceof DriftwatchError) {
        const status = err.code === 'SILENCE_NOT_FOUND' ? 404 : 400;
        send(res, status, { error: err.message, code: err.code });
      } else send(res, 500, { error: `silence not written: ${String(err)}` });
    },
  );
  return true;
}

async function route(
  req: IncomingMessage,
  path: string,
  ops: SilenceOperations,
): Promise<[number, unknown]> {
  if (path === PREFIX && req.method === 'GET') return [200, ops.list()];
  if (path === PREFIX && req.method === 'POST') return [201, await ops.add(await readJson(req))];
  const id = decodeURIComponent(path.slice(PREFIX.length + 1));
  if (id !== '' && !id.includes('/') && req.method === 'DELETE') {
    return [200, await ops.expire(id)];
  }
  return [405, { error: 'GET or POST /api/v1/silences, DELETE /api/v1/silences/<id>' }];
}
