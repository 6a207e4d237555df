import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DriftwatchError } from '../../src/errors.js';
import {
  API_TOKEN_ENV,
  API_TOKEN_MIN_LENGTH,
  apiTokenFromEnv,
} from '../../src/daemon/api-token.js';
import { startHttpServer } from '../../src/daemon/http-server.js';
import { refusalOf, type Refusal, type SilenceOperations } from '../../src/daemon/silence-api.js';

const TOKEN = 'a-token-of-32-characters-0123456';
const open: Server[] = [];

afterEach(() => {
  for (const server of open.splice(0)) server.close();
});

describe('DRIFTWATCH_API_TOKEN', () => {
  it('unset or empty: the API is off', () => {
    expect(apiTokenFromEnv({})).toBeUndefined();
    expect(apiTokenFromEnv({ [API_TOKEN_ENV]: '' })).toBeUndefined();
  });

  it(`${API_TOKEN_MIN_LENGTH} characters or more: the token`, () => {
    const token = 'x'.repeat(API_TOKEN_MIN_LENGTH);
    expect(apiTokenFromEnv({ [API_TOKEN_ENV]: token })).toBe(token);
  });

  it('shorter: API_TOKEN_TOO_SHORT naming the variable, never the token', () => {
    const token = 'p4ssw0rd-short';
    let caught: unknown;
    try {
      apiTokenFromEnv({ [API_TOKEN_ENV]: token });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DriftwatchError);
    const err = caught as DriftwatchError;
    expect(err.code).toBe('API_TOKEN_TOO_SHORT');
    expect(err.message).toContain(API_TOKEN_ENV);
    expect(err.message).not.toContain(token);
  });
});

describe('refusalOf: why a request does not carry the token', () => {
  it.each([
    [undefined, 'no token'],
    ['', 'no token'],
    [`Basic ${TOKEN}`, 'not bearer'],
    ['Bearer ', 'not bearer'],
    [`Bearer ${TOKEN}x`, 'wrong token'],
    [`Bearer ${TOKEN.slice(1)}`, 'wrong token'],
    [`Bearer ${TOKEN}`, undefined],
  ])('%s: %s', (header, reason) => {
    expect(refusalOf(TOKEN, header)).toBe(reason);
  });
});

describe('/api/v1/silences: refused requests', () => {
  const ops: SilenceOperations = {
    list: () => [],
    add: () => Promise.reject(new Error('not in this test')),
    expire: () => Promise.reject(new Error('not in this test')),
  };

  it('answers 401 and reports each refusal once, with its reason and nothing of the header', async () => {
    const refusals: Refusal[] = [];
    const { server, port } = await startHttpServer(
      '127.0.0.1',
      0,
      new Registry(),
      () => ({ healthy: true }),
      { token: TOKEN, operations: () => ops, onRefused: (r) => refusals.push(r) },
    );
    open.push(server);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port || port}`;
    const wrong = `Bearer ${TOKEN.replace('a-token', 'b-token')}`;
    const statuses = [
      (await fetch(`${base}/api/v1/silences`)).status,
      (await fetch(`${base}/api/v1/silences`, { headers: { authorization: `Basic ${TOKEN}` } }))
        .status,
      (
        await fetch(`${base}/api/v1/silences/some-id?x=1`, {
          method: 'DELETE',
          headers: { authorization: wrong },
        })
      ).status,
      (await fetch(`${base}/api/v1/silences`, { headers: { authorization: `Bearer ${TOKEN}` } }))
        .status,
    ];
    expect(statuses).toEqual([401, 401, 401, 200]);
    expect(refusals.map((r) => [r.reason, r.method, r.path])).toEqual([
      ['no token', 'GET', '/api/v1/silences'],
      ['not bearer', 'GET', '/api/v1/silences'],
      ['wrong token', 'DELETE', '/api/v1/silences/some-id'],
    ]);
    const logged = JSON.stringify(refusals);
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(wrong.slice('Bearer '.length));
  });
});
