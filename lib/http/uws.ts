// The only module that loads uWebSockets.js (@trufflesuite/uws-js-unofficial, CommonJS).
//
// The package silently falls back to a slow, incomplete node:http emulation (dist/index.js) when
// no native binary matches this Node ABI (or UWS_USE_FALLBACK is set); that emulation lacks
// getQuery/forEach/endWithoutBody/getRemoteAddressAsText, so we detect it, log a clear warning and
// serve through our own node:http layer (uws-compat.ts) instead. `uwsNative` is exported for
// tests and /health.
//
// Deviation from Asterisk's header order (spec §3.1), documented: native uWS always writes
// `Date:` and `uWebSockets: 20` right before `Content-Length`, after our own headers. We cannot
// remove them, so we never write our own Date (it would be duplicated) and the Date line comes
// after Pragma instead of after Server.
import { createRequire } from 'node:module';
import type {
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  WebSocket,
  WebSocketBehavior,
  us_listen_socket,
  us_socket_context_t,
} from '@trufflesuite/uws-js-unofficial';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createSecureContext } from 'node:tls';
import { log } from '../log.ts';
import { AjamError, ErrorCodes } from '../errors.ts';
import { CompatApp, compatLocalPort, stopListening, type CompatOptions } from './uws-compat.ts';

export type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, WebSocketBehavior, us_listen_socket, us_socket_context_t };

interface UwsModule {
  App(): TemplatedApp;
  SSLApp(options: { key_file_name: string; cert_file_name: string }): TemplatedApp;
  us_listen_socket_close(socket: us_listen_socket): void;
  us_socket_local_port(socket: us_listen_socket): number;
}

/** uSockets' listen option: fail instead of sharing the port (no SO_REUSEPORT). */
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

interface ExclusiveListen {
  listen(host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void): unknown;
}

const require = createRequire(import.meta.url);
const PKG = '@trufflesuite/uws-js-unofficial';

const uws = require(PKG) as UwsModule;

/** True when the native addon loaded; false when the package fell back to its JS emulation. */
export const uwsNative: boolean = detectNative();

function detectNative(): boolean {
  // The fallback module object is exactly dist/index.js's exports; compare identities without
  // loading the fallback ourselves (it is in the require cache only if the package used it).
  let fallbackPath: string;
  try {
    fallbackPath = require.resolve(`${PKG}/dist/index.js`);
  } catch {
    return true;
  }
  const cached = require.cache[fallbackPath];
  return !(cached !== undefined && cached.exports === uws);
}

if (!uwsNative) {
  log.warn(
    'uWebSockets.js native binary not in use (no prebuilt binary for this Node build, or ' +
      'UWS_USE_FALLBACK): serving through the slower node:http compatibility layer; for full speed ' +
      'use a Node version the package ships a binary for (ABI 93/108/115, i.e. Node 16/18/20)',
    { node: process.version, abi: process.versions.modules },
  );
}

/** PEM files of an HTTPS listener. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/**
 * A plain app, or an HTTPS one (uWS SSLApp) when `tls` is given. `compat` applies to the node:http
 * layer only (native uWS has its fixed timeouts; see lib/http/server.ts).
 */
export function createApp(tls?: TlsFiles, compat: CompatOptions = {}): TemplatedApp {
  if (tls !== undefined) {
    // uWS only says "App construction failed" on a bad file: check with Node's TLS first, for a
    // message that names the problem.
    const pem = checkTlsFiles(tls);
    if (!uwsNative) return new CompatApp(pem, compat) as unknown as TemplatedApp;
    return uws.SSLApp({ key_file_name: tls.keyFile, cert_file_name: tls.certFile });
  }
  // CompatApp implements the subset of TemplatedApp/HttpResponse/HttpRequest that lib/http uses.
  return uwsNative ? uws.App() : (new CompatApp(undefined, compat) as unknown as TemplatedApp);
}

/** Reads and checks the certificate and key (they must match); throws AjamError CONF_ERR_FILE. */
function checkTlsFiles(tls: TlsFiles): { cert: Buffer; key: Buffer } {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(tls.certFile);
    key = readFileSync(tls.keyFile);
  } catch (err) {
    throw new AjamError(ErrorCodes.CONF_ERR_FILE, `TLS: cannot read ${(err as NodeJS.ErrnoException).path ?? 'file'}: ${(err as Error).message}`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new AjamError(
      ErrorCodes.CONF_ERR_FILE,
      `TLS: certificate ${tls.certFile} / private key ${tls.keyFile} not usable (PEM, unencrypted key matching the certificate): ${(err as Error).message}`,
    );
  }
  return { cert, key };
}

/** Listens on host:port (0 = any free port); resolves the listen socket and the bound port. */
export async function listen(
  app: TemplatedApp,
  host: string,
  port: number,
): Promise<{ socket: us_listen_socket; port: number }> {
  if (!uwsNative) {
    const socket = await listenOnce(app, host, port, 0);
    return { socket, port: compatLocalPort(socket as unknown as Server) };
  }
  // uWS sets SO_REUSEPORT by default: a second proxy on the same port would then listen too and
  // share the connections silently. So the port is first taken exclusively (the native
  // listen(host, port, options, cb) takes the flag, missing from the typings), which fails if
  // anything holds it, and then released and taken again shared: the connection cap
  // (connection-cap.ts) must be able to listen again while accepted connections still hold the
  // port, which only sockets made with SO_REUSEADDR allow. Another ajam-proxy still fails its
  // exclusive step on that port.
  const probe = await listenOnce(app, host, port, LIBUS_LISTEN_EXCLUSIVE_PORT);
  const bound = uws.us_socket_local_port(probe);
  uws.us_listen_socket_close(probe);
  const socket = await listenOnce(app, host, bound, 0);
  return { socket, port: bound };
}

/** Listens again on host:port after closeListenSocket (the connection cap); false if it failed. */
export async function relisten(app: TemplatedApp, host: string, port: number): Promise<us_listen_socket | false> {
  try {
    return await listenOnce(app, host, port, 0);
  } catch {
    return false;
  }
}

function listenOnce(app: TemplatedApp, host: string, port: number, options: number): Promise<us_listen_socket> {
  return new Promise((resolve, reject) => {
    const done = (socket: us_listen_socket | false): void => {
      if (socket === false) reject(new AjamError(ErrorCodes.HTTP_ERR_LISTEN, `cannot listen on ${host}:${port}`));
      else resolve(socket);
    };
    if (!uwsNative) app.listen(host, port, done);
    else (app as unknown as ExclusiveListen).listen(host, port, options, done);
  });
}

export function closeListenSocket(socket: us_listen_socket): void {
  if (uwsNative) uws.us_listen_socket_close(socket);
  // The node:http server: stop accepting, keep the open connections (CompatApp.close() ends those).
  else stopListening(socket as unknown as Server);
}

const decoder = new TextDecoder();

/** Client address as text; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) reduced to the IPv4 form. */
export function remoteAddress(res: HttpResponse): string {
  const text = decoder.decode(res.getRemoteAddressAsText());
  return text.startsWith('::ffff:') && text.indexOf('.') !== -1 ? text.slice(7) : text;
}
