import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status this request was answered with. */
  status: number;
}

/**
 * A real HTTP endpoint on loopback that records every request and answers with whatever
 * `respond` says (e.g. 500 first, then 200), standing for a team's webhook receiver.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  respond: (
    req: ReceivedRequest,
    index: number,
  ) => number | { status: number; headers?: Record<string, string> } = () => 200;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request: ReceivedRequest = {
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          status: 0,
        };
        const answer = this.respond(request, this.requests.length);
        const { status, headers } =
          typeof answer === 'number' ? { status: answer, headers: {} } : answer;
        request.status = status;
        this.requests.push(request);
        res.writeHead(status, { 'content-type': 'text/plain', ...headers });
        res.end(status < 300 ? 'ok' : `status ${status}`);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests to `path` that were answered 2xx. */
  accepted(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path && r.status < 300);
  }

  async waitFor(
    predicate: (requests: ReceivedRequest[]) => boolean,
    what: string,
    timeoutMs = 60_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (predicate(this.requests)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `webhook receiver: ${what} did not happen in time; got ${this.requests.length} requests: ${this.requests.map((r) => `${r.path} ${r.status}`).join(', ')}`,
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
