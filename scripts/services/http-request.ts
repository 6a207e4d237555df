import http from 'node:http';
import https from 'node:https';

/**
 * One HTTP(S) request with an optional CA to trust: global fetch cannot be given a CA without
 * a dispatcher from undici, which is no dependency of ours.
 */
export function request(
  url: string,
  opts: { method?: string; body?: string; ca?: string | Buffer; timeoutMs?: number } = {},
): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      {
        method: opts.method ?? 'GET',
        headers: opts.body === undefined ? {} : { 'content-type': 'application/json' },
        timeout: opts.timeoutMs ?? 5_000,
        ...(opts.ca === undefined ? {} : { ca: opts.ca }),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in time`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}
