import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DriftwatchError } from '../../src/errors.js';
import { listenError, startHttpServer } from '../../src/daemon/http-server.js';

const healthy = () => ({ healthy: true });
const open: Server[] = [];

/** HTTP_LISTEN_FAILED, on one line, naming where and ending with the system's error code. */
const listenFailed = (where: string, code: string) => (err: unknown) =>
  err instanceof DriftwatchError &&
  err.code === 'HTTP_LISTEN_FAILED' &&
  err.message.includes(where) &&
  err.message.endsWith(`(${code})`) &&
  !err.message.includes('\n');

afterEach(() => {
  for (const server of open.splice(0)) server.close();
});

describe('http server start-up failures', () => {
  it('names http.host and http.port when the port is taken', async () => {
    const taken = createServer();
    open.push(taken);
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    await expect(startHttpServer('127.0.0.1', port, new Registry(), healthy)).rejects.toSatisfy(
      listenFailed(`http.host 127.0.0.1, http.port ${port}: `, 'EADDRINUSE'),
    );
  });

  it('names http.host when no interface has the address', async () => {
    // 192.0.2.0/24 is reserved for documentation: no machine has it.
    await expect(startHttpServer('192.0.2.1', 0, new Registry(), healthy)).rejects.toSatisfy(
      listenFailed('http.host 192.0.2.1, http.port 0: ', 'EADDRNOTAVAIL'),
    );
  });

  it('explains a privileged port and keeps unknown errors as Node words them', () => {
    const denied = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), {
      code: 'EACCES',
    });
    const err = listenError(denied, '0.0.0.0', 80);
    expect(err.code).toBe('HTTP_LISTEN_FAILED');
    expect(err.message).toContain('http.port 80: permission denied');
    expect(err.cause).toBe(denied);
    const odd = listenError(new Error('something else'), '::', 9464);
    expect(odd.message).toBe(
      'cannot serve /metrics and /healthz on http.host ::, http.port 9464: something else',
    );
  });
});
