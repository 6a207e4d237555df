import type { Config } from '../../config/schema.js';
import { clientTlsOptions } from '../../config/tls-files.js';
import { createMailTransport } from '../../delivery/notifiers/email-transport.js';
import type { DoctorCheck } from './check.js';

/**
 * smtp.host:port with smtp.tls and the login: nodemailer's verify() connects, says EHLO,
 * upgrades with STARTTLS when asked and logs in, but sends no message.
 */
export function smtpCheck(
  smtp: NonNullable<Config['smtp']>,
  config: Config,
  timeoutMs: number,
): DoctorCheck {
  return {
    name: 'smtp',
    async run() {
      const tls = clientTlsOptions(smtp.tls, config.secrets.tls?.smtp);
      const transport = createMailTransport(
        {
          host: smtp.host,
          port: smtp.port,
          secure: smtp.secure,
          requireTLS: smtp.requireTLS,
          ...(smtp.user ? { user: smtp.user, password: config.secrets.smtpPassword ?? '' } : {}),
          ...(tls ? { tls } : {}),
        },
        { timeoutMs },
      );
      try {
        await transport.verify();
      } catch (err) {
        throw new Error(
          `smtp.host ${smtp.host}, smtp.port ${smtp.port}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      } finally {
        transport.close();
      }
      return `smtp.host ${smtp.host}, smtp.port ${smtp.port}: ${smtp.user ? `logged in as ${smtp.user}` : 'answered EHLO'}${smtp.requireTLS || smtp.secure ? ' over TLS' : ''}`;
    },
  };
}
