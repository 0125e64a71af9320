// A throw-away self-signed certificate for 127.0.0.1, made by the real `openssl` (installed when
// missing, see system.ts), for the HTTPS listener tests.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSystemPackage } from './system.ts';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  /** The certificate, for a client's `ca` (so the test verifies the chain, not skips it). */
  cert: Buffer;
}

/** Writes cert.pem and key.pem (P-256, valid 2 days, SAN IP:127.0.0.1) into `dir`. */
export function makeCertificate(dir: string, name = 'ajam'): TestCertificate {
  const openssl = ensureSystemPackage('openssl', 'openssl');
  const certFile = join(dir, `${name}.cert.pem`);
  const keyFile = join(dir, `${name}.key.pem`);
  execFileSync(
    openssl,
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { certFile, keyFile, cert: readFileSync(certFile) };
}
