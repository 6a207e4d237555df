import type { Notifier } from './notifiers/notifier.js';
import { AlertmanagerNotifier } from './notifiers/alertmanager.js';
import { EmailNotifier } from './notifiers/email.js';
import { WebhookNotifier } from './notifiers/webhook.js';
import { TOOL_VERSION } from '../version.js';
import type { Config } from '../config/schema.js';
import { clientTlsOptions, type ClientTlsOptions } from '../config/tls-files.js';
import { DriftwatchError } from '../errors.js';
import type { ReceiverSpec } from '../rules/rules-schema.js';

export interface ReceiverContext {
  smtp: Config['smtp'];
  smtpPassword: string | undefined;
  smtpTls: ClientTlsOptions | undefined;
  source: string;
  mailDomain: string;
  env: NodeJS.ProcessEnv;
  rulesFile: string;
  /** An Alertmanager receiver's periodic re-post failed (tried again at the next interval). */
  onRepostFailure?: (receiver: string, error: string, alerts: number) => void;
}

/** Delivery settings of a receiver besides its notifier. */
export interface ReceiverSettings {
  name: string;
  maxAgeMs: number;
  /** A digest of the spec: a reload replaces the notifier only when it changed. */
  digest: string;
}

function secret(ctx: ReceiverContext, receiver: string, key: string, env: string): string {
  const value = ctx.env[env];
  if (!value) {
    throw new DriftwatchError(
      'RULES_INVALID',
      `${ctx.rulesFile}: receivers.${receiver}.${key} names ${env}, but that environment variable is not set`,
    );
  }
  return value;
}

/** The domain of the Message-IDs: configured, else that of smtp.from, else the source name. */
export function mailDomainFor(config: Config): string {
  if (config.alerts?.mailDomain) return config.alerts.mailDomain;
  const from = config.smtp?.from ?? '';
  const at = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
  return at?.[1] ?? `${config.alerts?.source ?? 'driftwatch'}.invalid`;
}

/** What building a receiver needs from the config (SMTP, secrets, names), alerts configured. */
export function receiverContextOf(
  config: Config & { alerts: NonNullable<Config['alerts']> },
  env: NodeJS.ProcessEnv,
): ReceiverContext {
  return {
    smtp: config.smtp,
    smtpPassword: config.secrets.smtpPassword,
    smtpTls: clientTlsOptions(config.smtp?.tls, config.secrets.tls?.smtp),
    source: config.alerts.source,
    mailDomain: mailDomainFor(config),
    env,
    rulesFile: config.alerts.rules,
  };
}

/** A notifier for a receiver of the rules file; secrets are read from the environment now. */
export function createNotifier(name: string, spec: ReceiverSpec, ctx: ReceiverContext): Notifier {
  try {
    return buildNotifier(name, spec, ctx);
  } catch (err) {
    if (err instanceof DriftwatchError) throw err;
    // E.g. a malformed whsec_ secret: a configuration error, named as such.
    throw new DriftwatchError(
      'RULES_INVALID',
      `${ctx.rulesFile}: receivers.${name}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function buildNotifier(name: string, spec: ReceiverSpec, ctx: ReceiverContext): Notifier {
  if (spec.type === 'email') {
    const smtp = ctx.smtp;
    if (!smtp) {
      throw new DriftwatchError(
        'RULES_INVALID',
        `${ctx.rulesFile}: receivers.${name} is an email receiver, but the daemon config has no smtp section`,
      );
    }
    return new EmailNotifier({
      name,
      to: spec.to,
      from: spec.from ?? smtp.from,
      mailDomain: ctx.mailDomain,
      subjectPrefix: spec.subject_prefix,
      smtp: {
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        requireTLS: smtp.requireTLS,
        ...(smtp.user ? { user: smtp.user, password: ctx.smtpPassword ?? '' } : {}),
        ...(ctx.smtpTls ? { tls: ctx.smtpTls } : {}),
        pool: { maxConnections: smtp.maxConnections },
      },
    });
  }
  if (spec.type === 'alertmanager') {
    const report = ctx.onRepostFailure;
    return new AlertmanagerNotifier({
      name,
      url: spec.url,
      repostIntervalMs: spec.repost_interval,
      timeoutMs: spec.timeout,
      headers: spec.headers,
      userAgent: `driftwatch/${TOOL_VERSION}`,
      ...(report ? { onRepostFailure: (error, alerts) => report(name, error, alerts) } : {}),
    });
  }
  const secrets: string[] = [];
  if (spec.secret_env) secrets.push(secret(ctx, name, 'secret_env', spec.secret_env));
  if (spec.previous_secret_env) {
    secrets.push(secret(ctx, name, 'previous_secret_env', spec.previous_secret_env));
  }
  const routingKey =
    spec.type === 'webhook' && spec.routing_key_env
      ? secret(ctx, name, 'routing_key_env', spec.routing_key_env)
      : undefined;
  return new WebhookNotifier({
    name,
    type: spec.type,
    url: spec.url,
    secrets,
    format: spec.type === 'webhook' ? spec.format : 'standard',
    timeoutMs: spec.timeout,
    headers: spec.headers,
    source: ctx.source,
    userAgent: `driftwatch/${TOOL_VERSION}`,
    ...(routingKey ? { routingKey } : {}),
  });
}

export function settingsOf(
  name: string,
  spec: ReceiverSpec,
  ctx: ReceiverContext,
): ReceiverSettings {
  const envValues = [
    'secret_env' in spec ? spec.secret_env : undefined,
    'previous_secret_env' in spec ? spec.previous_secret_env : undefined,
    'routing_key_env' in spec ? spec.routing_key_env : undefined,
  ].map((e) => (e ? (ctx.env[e] ?? '') : ''));
  return {
    name,
    maxAgeMs: spec.max_age,
    digest: JSON.stringify([spec, envValues]),
  };
}
