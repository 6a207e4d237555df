/** Node's codes for a server certificate that could not be verified (authorizationError). */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'INVALID_CA',
]);

/**
 * What a TLS error code says about the configuration: `untrusted` (no CA given vouches for the
 * certificate), `altname` (the certificate names another host), `not-tls` (the server answered
 * in something else than TLS), `handshake` (an alert, e.g. a client certificate was required).
 * Undefined: not a TLS problem (refused, timed out…), which retrying may fix.
 */
export function tlsProblem(
  code: string,
  message = '',
): 'untrusted' | 'altname' | 'not-tls' | 'handshake' | undefined {
  if (UNTRUSTED.has(code)) return 'untrusted';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'altname';
  if (code.includes('WRONG_VERSION_NUMBER') || code === 'EPROTO') return 'not-tls';
  if (/before secure TLS connection was established/.test(message)) return 'not-tls';
  if (code.startsWith('ERR_SSL_')) return 'handshake';
  return undefined;
}

/**
 * An error message on one line: OpenSSL's `write EPROTO 80…:error:0A00010B:SSL routines:
 * ssl3_get_record:wrong version number:../deps/…:350:` becomes `wrong version number`.
 */
export function oneLineMessage(message: string): string {
  const openssl = /SSL routines:[^:]*:([^:]+)/.exec(message);
  if (openssl?.[1]) return openssl[1].trim();
  return (message.split('\n')[0] ?? '').trim();
}
