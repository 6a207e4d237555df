import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Silence } from '../../alert-engine/silence.js';
import { DriftwatchError } from '../errors.js';
import { API_TOKEN_ENV } from './api-token.js';
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
  /** A refused request (wrong or missing token): counted and logged, never with the token. */
  onRefused: (refusal: Refusal) => void;
}

/**
 * Why a request was refused: the `reason` label of driftwatch_api_requests_refused_total.
 * Stable values (dashboards match on them): no Authorization header, a header that is not
 * `Bearer <token>`, or a bearer token that is not ours.
 */
export type RefusalReason = 'no token' | 'not bearer' | 'wrong token';

/** What is logged of a refused request: enough to find the caller, nothing of its header. */
export interface Refusal {
  reason: RefusalReason;
  method: string;
  path: string;
  remoteAddress: string | undefined;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Why the Authorization header does not carry our token, or undefined when it does. Same-length
 * digests compared in constant time: neither the token nor its length leaks by timing.
 */
export function refusalOf(expected: string, header: string | undefined): RefusalReason | undefined {
  if (header === undefined || header === '') return 'no token';
  const given = /^Bearer (.+)$/.exec(header)?.[1];
  if (given === undefined) return 'not bearer';
  return timingSafeEqual(digest(expected), digest(given)) ? undefined : 'wrong token';
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
  const reason = refusalOf(api.token, req.headers.authorization);
  if (reason !== undefined) {
    api.onRefused({
      reason,
      method: req.method ?? '',
      // Untrusted and unbounded (an id segment): cut, so a crafted URL cannot flood the log.
      path: path.slice(0, 120),
      remoteAddress: req.socket.remoteAddress,
    });
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
