// An HTTP Digest client for the /arawman, /amxml, /amanager endpoints, as curl --digest: a first
// request without credentials (or with the current nonce), one retry per 401 challenge.
import { RawClient, header } from './http.ts';
import type { RawResponse } from './http.ts';
import { digestResponse } from '../../lib/http/digest.ts';

/** The WWW-Authenticate challenge the digest endpoints send (as Asterisk 22). */
export const CHALLENGE = /^Digest algorithm=MD5, realm="asterisk", nonce="([0-9a-f]+)", qop="auth", opaque="\1"(, stale=true)?$/;

export class DigestClient {
  readonly raw: RawClient;
  nonce = '';
  nc = 0;

  constructor(
    port: number,
    readonly user: string,
    readonly secret: string,
  ) {
    this.raw = new RawClient(port);
  }

  auth(method: string, uri: string): string {
    const nc = (++this.nc).toString(16).padStart(8, '0');
    const a = { username: this.user, realm: 'asterisk', nonce: this.nonce, uri, response: '', qop: 'auth', nc, cnonce: `c${this.nc}` };
    const response = digestResponse(a, this.secret, method);
    return `Digest username="${this.user}", realm="asterisk", nonce="${this.nonce}", uri="${uri}", algorithm=MD5, response="${response}", opaque="${this.nonce}", qop=auth, nc=${nc}, cnonce="${a.cnonce}"`;
  }

  async get(uri: string): Promise<RawResponse> {
    for (let i = 0; i < 3; i++) {
      const auth = this.nonce === '' ? '' : `Authorization: ${this.auth('GET', uri)}\r\n`;
      const r = await this.raw.request(`GET ${uri} HTTP/1.1\r\nHost: x\r\n${auth}\r\n`);
      if (r.status !== 401) return r;
      const m = CHALLENGE.exec(header(r, 'WWW-authenticate') ?? '');
      if (m === null) return r;
      this.nonce = m[1]!;
      this.nc = 0;
    }
    return this.raw.request(`GET ${uri} HTTP/1.1\r\nHost: x\r\nAuthorization: ${this.auth('GET', uri)}\r\n\r\n`);
  }

  close(): void {
    this.raw.close();
  }
}
