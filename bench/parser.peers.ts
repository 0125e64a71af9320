// The AMI stream parsers of popular npm clients, driven without sockets so that only parsing is
// measured (each one's package and file are named below). Their parsers are private: the
// module's own file is compiled at run time with one export line added. Nothing is copied into
// this repository, and their code runs unchanged.
//
// Each adapter is `(chunks) => messages emitted`: a fresh parser fed every chunk, as a socket would.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { EventEmitter } from 'node:events';
import vm from 'node:vm';

export type ParseAll = (chunks: readonly Buffer[]) => number;

const require = createRequire(import.meta.url);

/** Loads `request` (a CommonJS file) with `names` from its module scope exported as `__private`. */
function loadPrivate(request: string, names: string[]): Record<string, unknown> {
  const filename = require.resolve(request);
  const source = `${readFileSync(filename, 'utf8')}\n;module.exports.__private = { ${names.join(', ')} };\n`;
  const wrapper = vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename });
  const mod: { exports: Record<string, unknown> } = { exports: {} };
  wrapper.call(mod.exports, mod.exports, createRequire(filename), mod, filename, dirname(filename));
  return mod.exports.__private as Record<string, unknown>;
}

function noop(): void {}

// asterisk-manager 0.2.0: `ManagerReader(context, data)` in lib/ami.js, called with the Manager as
// `this`; it emits 'rawevent' once per parsed message.
type ManagerReader = (this: { emit(name: string, item: unknown): void }, context: object, data: Buffer) => void;
const { ManagerReader } = loadPrivate('asterisk-manager/lib/ami.js', ['ManagerReader']) as { ManagerReader: ManagerReader };

export const asteriskManager: ParseAll = (chunks) => {
  let n = 0;
  const self = {
    emit(): void {
      n++;
    },
  };
  const context = {};
  for (const c of chunks) ManagerReader.call(self, context, c);
  return n;
};

// asterisk-ami-events-stream 1.2.8 (framing; its objects come from asterisk-ami-event-utils): the
// exported Transform. `_transform` is called directly and the readable side is a no-op, so stream
// machinery costs it nothing.
interface EventsStream {
  _transform(chunk: Buffer, encoding: string, done: () => void): void;
  push(chunk: unknown): boolean;
  emit(name: string, ...args: unknown[]): boolean;
}
const AmiEventsStream = require('asterisk-ami-events-stream') as new () => EventsStream;

export const amiEventsStream: ParseAll = (chunks) => {
  let n = 0;
  const s = new AmiEventsStream();
  s.push = () => true;
  s.emit = (name) => {
    if (name === 'amiEvent' || name === 'amiResponse' || name === 'amiAction') n++;
    return true;
  };
  for (const c of chunks) s._transform(c, 'buffer', noop);
  return n;
};

// yana 0.3.0: LineSocket's 'data' handler splits lines, AMI collects them into messages and
// `_processMessage` builds each object. A plain EventEmitter stands in for the socket.
interface Yana extends EventEmitter {
  socket: EventEmitter;
  _setupMessageBuffering(): void;
  _processMessage(lines: string[]): void;
}
const YanaAMI = require('yana') as new (options: object) => Yana;
const LineSocket = require('yana/line-socket.js') as { prototype: { _setupLineProcessing(this: EventEmitter): void } };

export const yana: ParseAll = (chunks) => {
  let n = 0;
  const socket = new EventEmitter();
  LineSocket.prototype._setupLineProcessing.call(socket);
  const ami = new YanaAMI({});
  ami.socket = socket;
  const processMessage = ami._processMessage;
  ami._processMessage = function (lines) {
    n++;
    processMessage.call(this, lines);
  };
  ami._setupMessageBuffering();
  for (const c of chunks) socket.emit('data', c);
  return n;
};

// asterisk.io 0.1.1: `AMIParser` (a Transform) in lib/ami.js; it emits 'response' or 'event' per
// message it keeps (others are dropped by design).
interface AsteriskIoParser {
  _transform(chunk: Buffer, encoding: string, done: () => void): void;
  emit(name: string, ...args: unknown[]): boolean;
}
const { AMIParser } = loadPrivate('asterisk.io/lib/ami.js', ['AMIParser']) as { AMIParser: new () => AsteriskIoParser };

export const asteriskIo: ParseAll = (chunks) => {
  let n = 0;
  const p = new AMIParser();
  p.emit = () => {
    n++;
    return true;
  };
  for (const c of chunks) p._transform(c, 'buffer', noop);
  return n;
};

/** Package names (the bench's row labels) to adapters. */
export const PEERS: Record<string, ParseAll> = {
  'asterisk-manager': asteriskManager,
  'asterisk-ami-events-stream': amiEventsStream,
  yana,
  'asterisk.io': asteriskIo,
};
