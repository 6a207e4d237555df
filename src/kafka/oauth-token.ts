import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { OauthbearerProviderResponse } from 'kafkajs';
import type { KafkaSasl } from '../config/security-schema.js';
import { DriftwatchError } from '../errors.js';

type OAuthSasl = Extract<KafkaSasl, { mechanism: 'oauthbearer' }>;

const COMMAND_TIMEOUT_MS = 30_000;
/** A command's token is reused this long when it is no JWT whose expiry can be read. */
const OPAQUE_TOKEN_REUSE_MS = 60_000;
/** A JWT is fetched anew this long before it expires. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * No `cause`: kafkajs' retrier passes on `err.cause || err`, so a cause would take the place
 * of this error (and its message naming the key) on the way out.
 */
function authFailed(message: string): DriftwatchError {
  return new DriftwatchError('KAFKA_AUTH_FAILED', message);
}

/** The `exp` of a JWT (ms), if the token is one; never verified here, only read. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (
      JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }
    ).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

async function readTokenFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw authFailed(`kafka.sasl.tokenFile ${file} cannot be read: ${(err as Error).message}`);
  }
  const token = text.trim();
  if (token === '') throw authFailed(`kafka.sasl.tokenFile ${file} is empty`);
  return token;
}

/** How a command ended, without its argv (which may carry a client secret). */
function exitOf(err: Error & { code?: unknown; signal?: unknown; killed?: boolean }): string {
  if (err.killed) return `no token within ${COMMAND_TIMEOUT_MS / 1000}s`;
  if (typeof err.code === 'number') return `exit code ${err.code}`;
  if (typeof err.signal === 'string') return `killed by ${err.signal}`;
  return typeof err.code === 'string' ? err.code : 'failed to run';
}

function runTokenCommand(argv: readonly string[]): Promise<string> {
  const [command, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 1 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          // stderr's first line says why; the token itself never goes into a message.
          const why = stderr.trim().split('\n')[0] ?? '';
          reject(
            authFailed(
              `kafka.sasl.tokenCommand ${command} failed (${exitOf(err)})${why ? `: ${why}` : ''}`,
            ),
          );
          return;
        }
        const token = stdout.trim();
        if (token === '') reject(authFailed(`kafka.sasl.tokenCommand ${command} printed no token`));
        else resolve(token);
      },
    );
  });
}

/**
 * kafkajs asks for a token at every (re-)authentication of every broker connection. A file is
 * read each time (a mounted token is refreshed in place); a command's token is reused until a
 * minute before its JWT expiry (else for a minute), so a burst of connections runs it once.
 */
export function oauthBearerProvider(
  sasl: OAuthSasl,
  now: () => number = Date.now,
): () => Promise<OauthbearerProviderResponse> {
  const { tokenFile, tokenCommand } = sasl;
  if (tokenFile !== undefined) return async () => ({ value: await readTokenFile(tokenFile) });
  if (tokenCommand === undefined) {
    // The schema requires one of the two; reaching this is a bug, not a user error.
    throw new Error('oauthbearer without tokenFile or tokenCommand');
  }
  let cached: { token: Promise<string>; until: number } | undefined;
  return async () => {
    if (!cached || now() >= cached.until) {
      const token = runTokenCommand(tokenCommand);
      const entry = { token, until: Number.POSITIVE_INFINITY };
      cached = entry;
      try {
        const value = await token;
        const exp = jwtExpiry(value);
        entry.until = exp === undefined ? now() + OPAQUE_TOKEN_REUSE_MS : exp - EXPIRY_MARGIN_MS;
      } catch (err) {
        if (cached === entry) cached = undefined;
        throw err;
      }
    }
    return { value: await cached.token };
  };
}
