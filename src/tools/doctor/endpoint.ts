import net from 'node:net';
import tls from 'node:tls';

/**
 * Whether an http(s) endpoint can be reached, without sending it a request: a TCP connection
 * to its host and port, and for https a TLS handshake that verifies its certificate for the
 * host (Node's default trust, as the webhook notifier's requests). No HTTP request is made, so
 * no receiver can mistake the probe for an alert or a retraining request (a HEAD or OPTIONS
 * could reach the application, and some answer 404/405 for a method they do not route).
 */
export function probeEndpoint(url: string, timeoutMs: number): Promise<string> {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  const port = Number(u.port || (secure ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = secure
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host })
      : net.connect({ host, port });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`no connection within ${timeoutMs} ms`)),
    );
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      socket.destroy();
      resolve(
        `${host}:${port} accepts connections${secure ? ' (TLS certificate verified)' : ''}; no request sent`,
      );
    });
    socket.once('error', (err: Error) => reject(new Error(`${host}:${port}: ${err.message}`)));
  });
}
