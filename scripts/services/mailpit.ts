import type { ServiceEndpoints } from './endpoints.js';
import { httpOk, spawnService, waitFor, type ServiceProcess } from './process.js';

/** Mailpit: an SMTP server that keeps what it receives, readable through its HTTP API. */
export async function startMailpit(opts: {
  binary: string;
  dir: string;
  smtpPort: number;
  httpPort: number;
  detached: boolean;
}): Promise<{ smtp: ServiceEndpoints['smtp']; mailApiUrl: string; proc: ServiceProcess }> {
  const proc = await spawnService(
    'mailpit',
    opts.binary,
    [
      '--smtp',
      `127.0.0.1:${opts.smtpPort}`,
      '--listen',
      `127.0.0.1:${opts.httpPort}`,
      '--smtp-auth-accept-any',
      '--smtp-auth-allow-insecure',
      '--disable-version-check',
    ],
    { cwd: opts.dir, logDir: opts.dir, detached: opts.detached },
  );
  const mailApiUrl = `http://127.0.0.1:${opts.httpPort}`;
  await waitFor('Mailpit /readyz', () => httpOk(`${mailApiUrl}/readyz`), {
    timeoutMs: 30_000,
    proc,
  });
  return { smtp: { host: '127.0.0.1', port: opts.smtpPort }, mailApiUrl, proc };
}
