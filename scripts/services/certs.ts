import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runLogged } from './process.js';

/** Where the throwaway PKI of the secure services lives (one directory, made fresh per run). */
export interface TestPki {
  dir: string;
  /** The CA that signed the server and client certificates: what clients must trust. */
  caFile: string;
  /** Another CA, trusted by nobody: a client given it must refuse the servers. */
  otherCaFile: string;
  /** Server certificate (SAN localhost, 127.0.0.1) and its key; `serverPemFile` holds both. */
  serverCertFile: string;
  serverKeyFile: string;
  serverPemFile: string;
  /** Client certificate and key for mutual TLS (CN driftwatch-client). */
  clientCertFile: string;
  clientKeyFile: string;
}

/** The files of a PKI made by `makeTestPki` in `dir` (the env variable carries only the dir). */
export function testPkiIn(dir: string): TestPki {
  const f = (name: string) => path.join(dir, name);
  return {
    dir,
    caFile: f('ca.pem'),
    otherCaFile: f('other-ca.pem'),
    serverCertFile: f('server.pem'),
    serverKeyFile: f('server.key'),
    serverPemFile: f('server-with-key.pem'),
    clientCertFile: f('client.pem'),
    clientKeyFile: f('client.key'),
  };
}

/**
 * A CA, a server and a client certificate made with openssl for the secure test services.
 * Generated on every start, never committed: nothing here protects anything real.
 */
export async function makeTestPki(dir: string): Promise<TestPki> {
  mkdirSync(dir, { recursive: true });
  const pki = testPkiIn(dir);
  const openssl = (...args: string[]) =>
    runLogged('openssl', 'openssl', args, { cwd: dir, logDir: dir });
  const newCa = async (name: string, cn: string) => {
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    );
  };
  const signed = async (name: string, cn: string, extensions: string) => {
    writeFileSync(path.join(dir, `${name}.ext`), extensions);
    await openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '3650',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
  };
  await newCa('ca', 'driftwatch test CA');
  await newCa('other-ca', 'untrusted test CA');
  await signed(
    'server',
    'localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  await signed('client', 'driftwatch-client', 'extendedKeyUsage=clientAuth\n');
  // Kafka's PEM keystore takes the key and its certificate chain from one file.
  writeFileSync(
    pki.serverPemFile,
    readFileSync(pki.serverKeyFile, 'utf8') + readFileSync(pki.serverCertFile, 'utf8'),
  );
  return pki;
}
