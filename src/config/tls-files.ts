import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { DriftwatchError } from '../errors.js';

/** PEM contents of a TLS section's files: what Node's tls options take. */
export interface PemMaterial {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface PemFiles {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

/** A file named by the config (relative to it); unreadable → one line naming the key. */
export function readConfigFile(
  source: string,
  key: string,
  file: string,
  code: 'CONFIG_INVALID' | 'CONFIG_SECRET_MISSING' = 'CONFIG_INVALID',
): string {
  const full = path.resolve(path.dirname(source), file);
  try {
    return readFileSync(full, 'utf8');
  } catch (err) {
    throw new DriftwatchError(
      code,
      `${source}: ${key} names ${full}, which cannot be read: ${(err as Error).message}`,
    );
  }
}

/**
 * Reads and checks the PEM files of one TLS section (`at`, e.g. kafka.ssl) at start-up, so a
 * wrong path, a key that is no key or a key not matching its certificate stops the start with
 * the key to fix, instead of failing at the first connection.
 */
export function readPemFiles(source: string, at: string, files: PemFiles): PemMaterial {
  const pem: PemMaterial = {};
  const read = (
    name: keyof PemFiles,
    pattern: RegExp,
    expected: string,
    code?: 'CONFIG_SECRET_MISSING',
  ) => {
    const file = files[name];
    if (file === undefined) return undefined;
    const text = readConfigFile(source, `${at}.${name}`, file, code);
    if (!pattern.test(text)) {
      throw new DriftwatchError(
        'CONFIG_INVALID',
        `${source}: ${at}.${name} (${file}) holds no PEM ${expected}`,
      );
    }
    return text;
  };
  const ca = read('caFile', PEM_CERTIFICATE, 'certificate (-----BEGIN CERTIFICATE-----)');
  const cert = read('certFile', PEM_CERTIFICATE, 'certificate (-----BEGIN CERTIFICATE-----)');
  const key = read(
    'keyFile',
    PEM_KEY,
    'private key (-----BEGIN PRIVATE KEY-----)',
    'CONFIG_SECRET_MISSING',
  );
  if (ca !== undefined) pem.ca = ca;
  if (cert !== undefined) pem.cert = cert;
  if (key !== undefined) pem.key = key;
  try {
    createSecureContext(pem);
  } catch (err) {
    const which = cert !== undefined ? `${at}.certFile and ${at}.keyFile` : `${at}.caFile`;
    throw new DriftwatchError(
      'CONFIG_INVALID',
      `${source}: ${which} cannot be used: ${(err as Error).message}`,
    );
  }
  return pem;
}

/** Node TLS options of an `influx.tls` or `smtp.tls` section: its CA (read at start-up), verification. */
export interface ClientTlsOptions {
  ca?: string;
  rejectUnauthorized: boolean;
}

export function clientTlsOptions(
  section: { rejectUnauthorized: boolean } | undefined,
  pem: PemMaterial | undefined,
): ClientTlsOptions | undefined {
  if (!section) return undefined;
  return {
    ...(pem?.ca !== undefined ? { ca: pem.ca } : {}),
    rejectUnauthorized: section.rejectUnauthorized,
  };
}
