// Why the HTTP server could not listen. uWebSockets.js only says "no socket", so the same address
// is tried once with node:net, whose error code names the reason (the port is closed again at once).
import { createServer } from 'node:net';
import { AjamError, ErrorCodes } from '../errors.ts';

export class ListenError extends AjamError {
  readonly host: string;
  readonly port: number;
  /** node's errno code (EADDRINUSE, EACCES, EADDRNOTAVAIL, …) or '' when the probe succeeded. */
  readonly errno: string;
  constructor(host: string, port: number, errno: string) {
    super(ErrorCodes.HTTP_ERR_LISTEN, `cannot listen on ${hostPort(host, port)}: ${reasonText(errno, port)}`);
    this.name = 'ListenError';
    this.host = host;
    this.port = port;
    this.errno = errno;
  }

  get addressInUse(): boolean {
    return this.errno === 'EADDRINUSE';
  }
}

/** `127.0.0.1:8088`, `[::1]:8088`. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function reasonText(errno: string, port: number): string {
  switch (errno) {
    case 'EADDRINUSE':
      return 'address in use (another program already listens on that port)';
    case 'EACCES':
      return port < 1024 ? 'permission denied (ports below 1024 need root)' : 'permission denied';
    case 'EADDRNOTAVAIL':
      return 'address not available (no network interface of this machine has that address)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case '':
      return 'the HTTP library refused it (the port looks free: try again)';
    default:
      return errno;
  }
}

/** The errno of listening on host:port with node:net ('' if that worked). */
export function probeListen(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve('')));
  });
}

/** The first port from `from` (up to `tries` of them) that host:port can listen on, if any. */
export async function findFreePort(host: string, from: number, tries = 20): Promise<number | undefined> {
  for (let p = from; p < from + tries && p <= 65535; p++) {
    if ((await probeListen(host, p)) === '') return p;
  }
  return undefined;
}
