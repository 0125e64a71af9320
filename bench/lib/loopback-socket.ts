// A load generator's client socket: it reads into the caller's one reused buffer (`onread`: no
// Buffer and no stream events per read) and sends without Nagle (the next request must not wait).
import net from 'node:net';

/** `onChunk`'s chunk is a view of `readBuffer`, valid only during the call: copy what must outlive it. */
export function loopbackSocket(port: number, readBuffer: Buffer, onChunk: (chunk: Buffer) => void): net.Socket {
  return loopbackSocketRaw(port, readBuffer, (n) => onChunk(readBuffer.subarray(0, n)));
}

/**
 * As loopbackSocket, without a Buffer per read: `onRead(n)` is told how many bytes of `readBuffer`
 * (from 0) this read filled (the push clients read 200k times a second; one object each was GC work).
 */
export function loopbackSocketRaw(port: number, readBuffer: Buffer, onRead: (n: number) => void): net.Socket {
  const sock = net.connect({
    port,
    host: '127.0.0.1',
    onread: {
      buffer: readBuffer,
      callback: (n: number): boolean => {
        onRead(n);
        return true; // keep reading
      },
    },
  });
  sock.setNoDelay(true);
  return sock;
}
