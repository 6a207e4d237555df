import { DriftwatchError } from '../errors.js';

/** The environment variable holding the API's bearer token; unset (or empty) = the API is off. */
export const API_TOKEN_ENV = 'DRIFTWATCH_API_TOKEN';

/**
 * Shortest token accepted. A bearer token is the only thing between the network and creating
 * silences (which mute alerting): a short one is guessable by brute force over HTTP, so a
 * daemon refuses to start with one rather than serve the API weakly protected.
 */
export const API_TOKEN_MIN_LENGTH = 16;

/**
 * The API token from the environment: undefined when unset or empty (the API stays off), the
 * token when long enough, API_TOKEN_TOO_SHORT otherwise. The message names the variable and
 * the rule, never the token (nor its length: that narrows a guess).
 */
export function apiTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const token = env[API_TOKEN_ENV];
  if (token === undefined || token === '') return undefined;
  if (token.length < API_TOKEN_MIN_LENGTH) {
    throw new DriftwatchError(
      'API_TOKEN_TOO_SHORT',
      `${API_TOKEN_ENV} is set but shorter than ${API_TOKEN_MIN_LENGTH} characters: use a random token of at least ${API_TOKEN_MIN_LENGTH} characters (e.g. openssl rand -hex 32), or unset it to turn the silence API off`,
    );
  }
  return token;
}
