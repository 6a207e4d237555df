/**
 * Email receiver: renders a notification (email-render.ts) and hands it to a pooled SMTP
 * transport, one attempt per deliver(). Retries, backoff and dead letters belong to the
 * caller, so the pool is told not to resend on its own (maxRequeues 0) and every failure is
 * classified as retry or permanent from its SMTP reply code and nodemailer error code.
 */
import type { NodemailerError, SMTPSentMessageInfo, Transporter } from 'nodemailer';
import { createMailTransport } from './email-transport.js';
import type { AlertNotification } from '../../../alert-engine/model.js';
import { renderEmail, type RenderedEmail } from './email-render.js';
import type { DeliveryOutcome, Notifier } from './notifier.js';
import type { ClientTlsOptions } from '../../config/tls-files.js';

export interface EmailNotifierOptions {
  name: string;
  to: string[];
  from: string;
  /** Right-hand side of the Message-IDs (and of the thread's phantom root). */
  mailDomain: string;
  subjectPrefix?: string;
  smtp: {
    host: string;
    port: number;
    /** Implicit TLS (465). With false, STARTTLS is used when offered (or required, below). */
    secure: boolean;
    requireTLS?: boolean;
    user?: string;
    password?: string;
    /** smtp.tls: a private CA, or no verification. */
    tls?: ClientTlsOptions;
    pool?: { maxConnections: number; rateLimit?: number };
  };
  /** Connection, greeting and socket inactivity timeout (default 15 s). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_CONNECTIONS = 2;

/** Fail the same way on every attempt: the message, the envelope or the configuration. */
const PERMANENT_CODES = new Set([
  'EENVELOPE',
  'EMESSAGE',
  'EAUTH',
  'ENOAUTH',
  'ECONFIG',
  'EMAXRECIPIENTS',
  'EREQUIRETLS',
  'EFILEACCESS',
  'EURLACCESS',
]);
/** The connection failed, not the message (listed for clarity; unknown codes retry too). */
const RETRY_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPROTOCOL',
  'EMAXLIMIT',
  'EABORT',
]);

export class EmailNotifier implements Notifier {
  readonly type = 'email' as const;
  readonly name: string;
  private readonly transport: Transporter<SMTPSentMessageInfo>;
  private readonly options: EmailNotifierOptions;

  constructor(options: EmailNotifierOptions) {
    if (options.to.length === 0) {
      throw new Error(`email receiver "${options.name}" has no recipients (to)`);
    }
    if (!/^[A-Za-z0-9.-]+$/.test(options.mailDomain)) {
      throw new Error(
        `email receiver "${options.name}": mailDomain "${options.mailDomain}" is not a domain name`,
      );
    }
    this.name = options.name;
    this.options = options;
    const { smtp } = options;
    this.transport = createMailTransport(
      {
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        requireTLS: smtp.requireTLS,
        user: smtp.user,
        password: smtp.password,
        tls: smtp.tls,
      },
      {
        pool: {
          maxConnections: smtp.pool?.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
          ...(smtp.pool?.rateLimit !== undefined ? { rateLimit: smtp.pool.rateLimit } : {}),
          maxRequeues: 0,
        },
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      },
    );
  }

  /** What deliver() would send, for previews and tests. */
  render(notification: AlertNotification): RenderedEmail {
    return renderEmail(notification, {
      mailDomain: this.options.mailDomain,
      ...(this.options.subjectPrefix !== undefined
        ? { subjectPrefix: this.options.subjectPrefix }
        : {}),
    });
  }

  async deliver(notification: AlertNotification, _attempt: number): Promise<DeliveryOutcome> {
    let mail: RenderedEmail;
    try {
      mail = this.render(notification);
    } catch (err) {
      // A notification that cannot be rendered will not render on the next attempt either.
      return {
        kind: 'permanent',
        error: `email receiver "${this.name}": rendering failed: ${errorText(err)}`,
      };
    }
    try {
      const info = await this.transport.sendMail({
        from: this.options.from,
        to: this.options.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        inReplyTo: mail.inReplyTo,
        references: mail.references,
        headers: mail.headers,
      });
      const rejected =
        info.rejected.length > 0 ? `; rejected recipients: ${info.rejected.join(', ')}` : '';
      return {
        kind: 'delivered',
        detail: `${info.response || 'accepted'} (Message-ID ${info.messageId || mail.messageId})${rejected}`,
      };
    } catch (err) {
      return classifySendError(err, this.name);
    }
  }

  /** Connects and authenticates once (a startup health check); throws with the reason. */
  async verify(): Promise<void> {
    try {
      await this.transport.verify();
    } catch (err) {
      const { host, port } = this.options.smtp;
      const credentials = isAuthError(err)
        ? ' (a credentials problem: check user and password)'
        : '';
      throw new Error(
        `email receiver "${this.name}": SMTP check of ${host}:${port} failed${credentials}: ${smtpErrorText(err)}`,
        { cause: err },
      );
    }
  }

  close(): Promise<void> {
    this.transport.close();
    return Promise.resolve();
  }
}

/**
 * One failed send → retry or permanent. The SMTP reply class decides when there is one
 * (RFC 5321: 4yz transient, 5yz permanent, except 503 "bad sequence", which nodemailer and the
 * RFC treat as a session problem a new connection can clear); otherwise the error code does,
 * and an error that names no known permanent cause is assumed to be the network's.
 */
export function classifySendError(err: unknown, receiver: string): DeliveryOutcome {
  const { code, reply } = fields(err);
  const text = smtpErrorText(err);
  const transient = reply !== undefined && reply >= 400 && reply < 500;

  if (code === 'EAUTH' || code === 'ENOAUTH') {
    if (transient) {
      return {
        kind: 'retry',
        error: `email receiver "${receiver}": temporary SMTP authentication failure: ${text}`,
      };
    }
    return {
      kind: 'permanent',
      error:
        `email receiver "${receiver}": SMTP authentication failed (${code}), a credentials ` +
        `problem: check the receiver's SMTP user and password. ${text}`,
    };
  }
  if (transient) return { kind: 'retry', error: `email receiver "${receiver}": ${text}` };
  if (reply !== undefined && reply >= 500 && reply < 600) {
    return reply === 503
      ? { kind: 'retry', error: `email receiver "${receiver}": ${text}` }
      : { kind: 'permanent', error: `email receiver "${receiver}": rejected: ${text}` };
  }
  if (code !== undefined && PERMANENT_CODES.has(code)) {
    return { kind: 'permanent', error: `email receiver "${receiver}": ${text}` };
  }
  if (code !== undefined && RETRY_CODES.has(code)) {
    return { kind: 'retry', error: `email receiver "${receiver}": ${text}` };
  }
  return {
    kind: 'retry',
    error: `email receiver "${receiver}": ${text} (unrecognised error, assumed transient)`,
  };
}

function fields(err: unknown) {
  const e: Partial<NodemailerError> = typeof err === 'object' && err !== null ? err : {};
  return {
    e,
    code: typeof e.code === 'string' ? e.code : undefined,
    original: typeof e.originalCode === 'string' ? e.originalCode : undefined,
    reply: typeof e.responseCode === 'number' ? e.responseCode : undefined,
  };
}

function isAuthError(err: unknown): boolean {
  const { code } = fields(err);
  return code === 'EAUTH' || code === 'ENOAUTH';
}

/** `ESOCKET/ECONNREFUSED SMTP 550 on RCPT TO: <server response or message>`. */
function smtpErrorText(err: unknown): string {
  const { e, code, original, reply } = fields(err);
  const parts: string[] = [];
  if (code !== undefined) parts.push(original && original !== code ? `${code}/${original}` : code);
  if (reply !== undefined) parts.push(`SMTP ${reply}`);
  if (typeof e.command === 'string' && e.command) parts.push(`on ${e.command}`);
  const head = parts.join(' ');
  const body = typeof e.response === 'string' && e.response ? e.response : errorText(err);
  return head ? `${head}: ${body}` : body;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
