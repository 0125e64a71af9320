// While the connection cap has closed the listen sockets (connection-cap.ts), their ports must stay
// taken: a port nobody listens on is free for any local program to listen on — with SO_REUSEADDR,
// the default, even while our accepted connections still use it — and that program would then get
// the next clients (their Login secrets, Basic credentials and cookies), while the proxy could never
// listen there again. A node:net server holds each port meanwhile and closes every connection it is
// handed at once; its backlog of one leaves a burst to the kernel (SYNs dropped, retried by the
// clients), so a flood during the episode costs the kernel, not JavaScript.
import { createServer, type Server } from 'node:net';

/** Listens on host:port (bound before this returns) and closes every connection it accepts. */
export function holdPort(host: string, port: number): Server {
  const server = createServer({ pauseOnConnect: true }, (socket) => socket.destroy());
  // Taken already (we just closed it, so only by a race): the relisten that follows fails and says so.
  server.on('error', () => {});
  server.listen({ host, port, backlog: 1 });
  return server;
}

/** Lets go of a held port: its descriptor is closed before this returns, so the port can be listened on again at once. */
export function releasePort(server: Server): void {
  server.close();
}
