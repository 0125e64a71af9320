// The process logger: JSON records with the standard error serializer (type, message, stack,
// code, cause), secrets censored by key, the readable form for terminals, and the level order
// (--log-level, then AJAM_LOG, then [general] loglevel).
import t from 'tap';
import { configureLog, log, logLevel, prettyLine } from '../lib/log.ts';
import { AjamError, ErrorCodes } from '../lib/errors.ts';
import { captureLogs } from './helpers/log.ts';

t.test('errors are serialized with code and cause', async (t) => {
  const cause = new Error('ECONNREFUSED 127.0.0.1:5038');
  const err = new AjamError(ErrorCodes.AMI_ERR_CONNECT, 'cannot connect to AMI');
  (err as Error & { cause?: unknown }).cause = cause;
  const [r] = await captureLogs('info', () => log.warn('AMI connection down', { conn: 0, err }));
  const e = r!.err as Record<string, unknown>;
  t.equal(r!.msg, 'AMI connection down');
  t.equal(r!.level, 40);
  t.equal(e.type, 'AjamError');
  t.equal(e.code, 'AMI_ERR_CONNECT');
  t.match(e.stack, /^AjamError: cannot connect to AMI\n\s+at /);
  t.match(JSON.stringify(e.cause), /ECONNREFUSED/, 'the cause is kept');
});

t.test('secrets, keys, cookies and authorization are never written', async (t) => {
  const records = await captureLogs('info', () =>
    log.info('hostile fields', { secret: 's3cret', key: 'abc', cookie: 'mansession_id="x"', password: 'p', authorization: 'Basic eA==', nested: { secret: 'deep' } }),
  );
  const text = JSON.stringify(records);
  for (const s of ['s3cret', 'abc', 'mansession_id', '"p"', 'eA==', 'deep']) t.notMatch(text, s);
  t.equal(records[0]!.secret, '[redacted]');
});

t.test('levels: nothing below the threshold; debug shows at debug', async (t) => {
  const quiet = await captureLogs('warn', () => {
    log.info('not shown');
    log.debug('not shown');
    log.warn('shown');
  });
  t.same(quiet.map((r) => r.msg), ['shown']);
  const loud = await captureLogs('debug', () => log.debug('now shown'));
  t.same(loud.map((r) => r.msg), ['now shown']);
});

t.test('--log-level beats AJAM_LOG beats [general] loglevel', async (t) => {
  const saved = process.env.AJAM_LOG;
  const before = logLevel();
  t.teardown(() => {
    if (saved === undefined) delete process.env.AJAM_LOG;
    else process.env.AJAM_LOG = saved;
    configureLog({ cliLevel: before as 'info' });
  });
  delete process.env.AJAM_LOG;
  configureLog({ confLevel: 'error' });
  t.equal(logLevel(), 'error', 'the config file');
  process.env.AJAM_LOG = 'debug';
  configureLog({ confLevel: 'error' });
  t.equal(logLevel(), 'debug', 'the environment over the file');
  configureLog({ cliLevel: 'warn', confLevel: 'error' });
  t.equal(logLevel(), 'warn', 'the command line over both');
});

t.test('the readable form: time, level, message, fields, the error and its stack', async (t) => {
  const line = JSON.stringify({
    level: 40,
    time: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    pid: 1,
    msg: 'AMI connection down',
    conn: 0,
    host: 'pbx one',
    err: { type: 'AjamError', message: 'lost', code: 'AMI_ERR_CONNECTION_LOST', stack: 'AjamError: lost\n    at f (x.ts:1:1)' },
  });
  t.equal(
    prettyLine(line),
    '03:04:05.678 WARN AMI connection down conn=0 host="pbx one" err=lost code=AMI_ERR_CONNECTION_LOST\n    at f (x.ts:1:1)\n',
  );
  t.equal(prettyLine('not json\n'), 'not json\n', 'anything else passes through');
  const lines: string[] = [];
  configureLog({ cliLevel: 'info', pretty: true, stream: { write: (l: string) => lines.push(l) } });
  log.info('login', { user: 'admin', address: '127.0.0.1' });
  configureLog({ cliLevel: 'silent' });
  t.match(lines[0], /^\d\d:\d\d:\d\d\.\d\d\d INFO login user=admin address=127\.0\.0\.1\n$/);
});
