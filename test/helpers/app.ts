// Starts the whole proxy (config file → simulator → pool → HTTP) on loopback for end-to-end tests,
// plus a small cookie-keeping AJAM client over node's fetch.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../lib/config/config.ts';
import { startApp } from '../../lib/app.ts';
import type { RunningApp, StartOptions } from '../../lib/app.ts';
import { setLogLevel } from '../../lib/log.ts';

// Lifecycle lines (listening, AMI ready) are noise in test output; AJAM_LOG still overrides.
if (process.env.AJAM_LOG === undefined) setLogLevel('warn');

export const USERS = `
[general]
allowmultiplelogin = yes

[admin]
secret = adminpw
read = all
write = all

[wallboard]
secret = wallpw
read = call,agent,reporting
write = reporting

[single]
secret = singlepw
read = call
write = reporting
allowmultiplelogin = no

[remote]
secret = remotepw
read = all
write = all
deny = 0.0.0.0/0.0.0.0
permit = 10.0.0.0/8
`;

const ASTERISK = `[asterisk]
simulate = yes
username = proxy
secret = proxypw
connections = 2
actiontimeout = 5`;

export interface TestApp {
  app: RunningApp;
  port: number;
  base: string;
  dir: string;
  close(): Promise<void>;
}

export interface TestAppOptions extends StartOptions {
  /** Extra `[general]` lines. */
  general?: string;
  users?: string;
  /** The Asterisk section(s), replacing the default simulated `[asterisk]` (e.g. two `[asterisk:NAME]`). */
  asterisk?: string;
  /** Adjusts the loaded config before start (e.g. a free TLS port: `config.general.tls.port = 0`). */
  configure?: (config: Config) => void;
}

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'ajam-e2e-'));
  writeFileSync(join(dir, 'users.conf'), opts.users ?? USERS);
  writeFileSync(
    join(dir, 'ajam-proxy.conf'),
    `[general]
bindaddr = 127.0.0.1
bindport = 8088
servername = Asterisk/22.10.1
users = users.conf
${opts.general ?? ''}

${opts.asterisk ?? ASTERISK}
`,
  );
  const config = loadConfig(join(dir, 'ajam-proxy.conf'));
  config.general.bindport = 0;
  opts.configure?.(config);
  const app = await startApp(config, {
    simulateCalls: false,
    loginFailDelayMs: 20,
    recordSim: true,
    ...opts,
  });
  await app.ready();
  return {
    app,
    port: app.port,
    base: `http://127.0.0.1:${app.port}`,
    dir,
    close: async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface AjamReply {
  status: number;
  headers: Headers;
  body: string;
  /** The session id from Set-Cookie, if any. */
  sessionId: string | undefined;
}

/** One browser-like client: keeps the mansession_id cookie it is given. */
export class AjamClient {
  readonly base: string;
  cookie: string | undefined;

  constructor(base: string) {
    this.base = base;
    this.cookie = undefined;
  }

  async get(path: string): Promise<AjamReply> {
    return this.fetch(path, { method: 'GET' });
  }

  async post(path: string, body: string, contentType = 'application/x-www-form-urlencoded'): Promise<AjamReply> {
    return this.fetch(path, { method: 'POST', body, headers: { 'content-type': contentType } });
  }

  async login(user = 'admin', secret = 'adminpw', extra = ''): Promise<AjamReply> {
    return this.get(`/rawman?action=login&username=${user}&secret=${secret}${extra}`);
  }

  private async fetch(path: string, init: RequestInit): Promise<AjamReply> {
    const headers = new Headers(init.headers);
    if (this.cookie !== undefined) headers.set('cookie', this.cookie);
    const res = await fetch(this.base + path, { ...init, headers });
    const body = await res.text();
    const set = res.headers.get('set-cookie');
    const m = set === null ? null : /mansession_id="([0-9a-f]+)"/.exec(set);
    const sessionId = m === null ? undefined : m[1];
    if (sessionId !== undefined) this.cookie = `mansession_id="${sessionId}"`;
    return { status: res.status, headers: res.headers, body, sessionId };
  }
}

/** Parses a rawman body into messages of [key, value] lines. */
export function messages(body: string): Array<Array<[string, string]>> {
  return body
    .split('\r\n\r\n')
    .filter((b) => b !== '')
    .map((b) =>
      b.split('\r\n').map((l): [string, string] => {
        const i = l.indexOf(':');
        return i === -1 ? [l, ''] : [l.slice(0, i), l.slice(i + 1).trimStart()];
      }),
    );
}

export function field(msg: Array<[string, string]>, name: string): string | undefined {
  const n = name.toLowerCase();
  return msg.find(([k]) => k.toLowerCase() === n)?.[1];
}
