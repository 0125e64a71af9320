// Types of ajam-client.js (an ES module for browsers and Node, no dependencies).

/** One AMI message: keys as Asterisk sent them; a repeated key holds an array of its values. */
export type AmiMessage = Record<string, string | string[]>;

export type TransportName = 'websocket' | 'sse' | 'longpoll';
export type ConnectionState = 'idle' | 'connecting' | 'live' | 'retrying' | 'closed';

export interface StatusInfo {
  state: ConnectionState;
  transport: TransportName | null;
  /** When retrying: the delay before the next attempt. */
  retryInMs?: number;
  /** Why the last attempt ended, when it failed. */
  error?: unknown;
}

/** The WebSocket constructor to use (Node 20 has no global one: pass the `ws` package's). */
export type WebSocketConstructor = new (...args: any[]) => {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // Handlers are assigned by the client; typed loosely so both the DOM's and `ws`'s fit.
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
};

interface CommonOptions {
  /** The proxy's base URL with its prefix: `http://127.0.0.1:8088`, `/asterisk`, or `..` from a page under /static/. */
  url: string;
  /** Transports to try, best first (default all three). */
  transports?: TransportName[];
  /** Event classes to receive (`call,agent`); default everything the user may read. */
  events?: string;
  /**
   * Resume after this event sequence number (WebSocket and SSE). One from before a proxy restart
   * is answered with an `EventsLost` event (`Count: unknown`), then everything the proxy holds.
   */
  since?: number;
  WebSocket?: WebSocketConstructor;
  fetch?: typeof fetch;
  /** First retry delay (default 500 ms), doubling up to retryMaxMs (default 10 s), ±25 % jitter. */
  retryFirstMs?: number;
  retryMaxMs?: number;
  /** While live over WebSocket, ping the HTTP (cookie) session this often to keep it (default 20 s). */
  sessionKeepaliveMs?: number;
  /** Called on every change of connection state from the start (as onStatus()). */
  onStatus?: (info: StatusInfo) => void;
  /** A WebSocket action with no reply after this long is rejected (default 30 s). */
  actionTimeoutMs?: number;
}

export type ConnectOptions =
  | (CommonOptions & { username: string; secret: string; token?: undefined })
  | (CommonOptions & { token: string; username?: undefined; secret?: undefined })
  /** Browser only: the session the page's cookie already names (logged in by another page). */
  | (CommonOptions & { session: true; username?: undefined; secret?: undefined; token?: undefined });

export class AjamError extends Error {
  readonly code: 'auth' | 'network' | 'http' | 'closed' | 'timeout' | 'protocol';
  /** The HTTP status, when an HTTP answer was the trouble. */
  status?: number;
}

export class AjamClient {
  constructor(options: ConnectOptions);
  readonly base: URL;
  readonly state: ConnectionState;
  readonly transport: TransportName | null;
  /** Sequence number of the last event delivered over WebSocket or SSE. */
  readonly lastSeq: number | undefined;
  readonly eventCount: number;
  readonly lastError: unknown;
  open(): Promise<void>;
  action(headers: Record<string, string | number | boolean>): Promise<AmiMessage[]>;
  /** Calls `handler(event, seq)` for each event named `name` (any case; `'*'` for all). Returns an unsubscribe. */
  on(name: string, handler: (event: AmiMessage, seq: number | undefined) => void): () => void;
  onStatus(handler: (info: StatusInfo) => void): () => void;
  close(options?: { logoff?: boolean }): Promise<void>;
}

export function connect(options: ConnectOptions): Promise<AjamClient>;
export function parseRawman(text: string): AmiMessage[];
export function field(msg: AmiMessage | undefined, name: string): string | undefined;
