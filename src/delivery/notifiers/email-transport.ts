import nodemailer, {
  type SMTPPoolOptions,
  type SMTPSentMessageInfo,
  type SMTPTransportOptions,
  type Transporter,
} from 'nodemailer';
import type { ClientTlsOptions } from '../../config/tls-files.js';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  /** Fail unless the connection is upgraded with STARTTLS (for `secure: false` on 587/25). */
  requireTLS?: boolean | undefined;
  user?: string | undefined;
  password?: string | undefined;
  /** Trust (a private CA) and verification of the server's certificate, implicit TLS or STARTTLS. */
  tls?: ClientTlsOptions | undefined;
}

export interface MailTransportOptions {
  /**
   * Pooled connections, reused across messages. `maxRequeues`: how often the pool itself
   * resends a message whose connection closed mid-send (nodemailer's default is 5; a caller
   * that owns retries sets 0).
   */
  pool?: { maxConnections: number; rateLimit?: number; maxRequeues?: number } | undefined;
  /** Connection, greeting and socket inactivity timeout (default: 10 s for connection and
   * greeting, nodemailer's own 10 min for socket inactivity). */
  timeoutMs?: number | undefined;
}

/**
 * The SMTP transport notifications go through. Credentials are passed in (from env via the
 * config loader), never read here, so this module stays free of process state.
 */
export function createMailTransport(
  smtp: SmtpSettings,
  options: MailTransportOptions = {},
): Transporter<SMTPSentMessageInfo> {
  const timeout = options.timeoutMs ?? 10_000;
  const base: SMTPTransportOptions = {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.requireTLS ?? false,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    ...(smtp.tls ? { tls: { ...smtp.tls } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    ...(options.timeoutMs !== undefined ? { socketTimeout: options.timeoutMs } : {}),
  };
  if (!options.pool) return nodemailer.createTransport(base);
  const pooled: SMTPPoolOptions & { pool: true } = {
    ...base,
    pool: true,
    maxConnections: options.pool.maxConnections,
    ...(options.pool.rateLimit !== undefined ? { rateLimit: options.pool.rateLimit } : {}),
    ...(options.pool.maxRequeues !== undefined ? { maxRequeues: options.pool.maxRequeues } : {}),
  };
  return nodemailer.createTransport(pooled);
}
