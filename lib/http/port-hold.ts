// While the connection cap has closed the listen sockets (connection-cap.ts), their ports must stay
// taken: a port nobody listens on is free for any local program to listen on — with SO_REUSEADDR,
// the default, even while our accepted connections still use it — and that program would then get
// the next clients (their Login secrets, Basic credentials and cookies), while the proxy could never
// listen there again. A node:net server holds each port meanwhile: on a plain HTTP port it answers
// every connection it is handed with one fixed `503` (Retry-After, Connection: close) and closes it,
// on a TLS port (no handshake here) it just closes it; its backlog of one leaves a burst to the
// kernel (SYNs dropped, retried by the clients), so a flood during the episode costs the kernel,
// not JavaScript.
import { createServer, type Server, type Socket } from 'node:net';

/** What a plain HTTP client connecting during a cap episode reads, whatever it sent. */
const AT_CAP_TEXT = 'too many open connections (maxconnections): try again\n';
const AT_CAP = Buffer.from(
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 1\r\nConnection: close\r\n' +
    `Content-Length: ${AT_CAP_TEXT.length}\r\n\r\n${AT_CAP_TEXT}`,
);
/** How long an answered connection may stay for the client to read the answer and close. */
const LINGER_MS = 1000;

/**
 * Listens on host:port (bound before this returns) and answers (`tls`: closes) every connection it
 * accepts.
 */
export function holdPort(host: string, port: number, tls = false): Server {
  const server = createServer({ pauseOnConnect: true }, tls ? closeAtOnce : answerAtCap);
  // Taken already (we just closed it, so only by a race): the relisten that follows fails and says so.
  server.on('error', () => {});
  server.listen({ host, port, backlog: 1 });
  return server;
}

function closeAtOnce(socket: Socket): void {
  socket.destroy();
}

function answerAtCap(socket: Socket): void {
  socket.on('error', () => socket.destroy());
  // What the client sent is read and dropped: closing with unread bytes would reset the connection,
  // and a reset may cost the client the answer. It closes when the client does, at the latest after
  // LINGER_MS.
  socket.resume();
  socket.end(AT_CAP);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** Lets go of a held port: its descriptor is closed before this returns, so the port can be listened on again at once. */
export function releasePort(server: Server): void {
  server.close();
}
