import { isIP } from 'node:net';
import { z } from 'zod';

/** RFC 1123 labels of at most 63 characters, 253 in all; a trailing dot (FQDN) is allowed. */
const HOSTNAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * Why `host` is neither an IP address nor a host name, if it is not. Digits and dots alone
 * are read as IPv4 (as the resolver would) so that `999.1.1.1` is refused here instead of
 * failing at start-up with a DNS error.
 */
export function hostProblem(host: string): string | undefined {
  if (isIP(host) !== 0) return undefined;
  if (/^[\d.]+$/.test(host)) {
    return `expected an IPv4 address (four numbers 0–255), got "${host}"`;
  }
  if (HOSTNAME.test(host)) return undefined;
  return `expected an IP address (e.g. 0.0.0.0, ::) or a host name, got "${host}"`;
}

/** A host to listen on or connect to: an IPv4/IPv6 address or a host name. */
export const hostSchema = z.string().superRefine((host, ctx) => {
  const problem = hostProblem(host);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const BROKER = /^([^\s:]+):(\d+)$/;

/** `host:port` of a Kafka broker, as kafkajs takes it (no IPv6 literals: kafkajs splits on ':'). */
export const brokerSchema = z
  .string()
  .regex(BROKER, 'expected host:port')
  .superRefine((broker, ctx) => {
    const [, host, port] = BROKER.exec(broker) ?? [];
    if (host === undefined || port === undefined) return; // reported by the regex
    const problem = hostProblem(host);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    else if (Number(port) < 1 || Number(port) > 65535) {
      ctx.addIssue({ code: 'custom', message: `expected a port 1–65535, got ${port}` });
    }
  });

/** The InfluxDB client speaks HTTP only: `file://…` or `ftp://…` would fail at the first write. */
export const httpUrlSchema = z.url({
  protocol: /^https?$/,
  error: 'expected an http:// or https:// URL',
});
