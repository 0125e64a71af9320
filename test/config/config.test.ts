import t, { type Test } from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultServerName, loadConfig, parseListen } from '../../lib/config/config.ts';
import { DEFAULTS } from '../../lib/config/defaults.ts';
import { AjamError, ErrorCodes } from '../../lib/errors.ts';
import { loadUsers } from '../../lib/auth/users.ts';

const USERS = '[admin]\nsecret = admin\nread = all\nwrite = all\n';

/** Writes an ajam-proxy.conf (and users.conf) into a fresh folder; returns the conf path. */
function confFile(t: Test, text: string, extra: Record<string, Record<string, string>> = {}): string {
  const dir = t.testdir({ 'ajam-proxy.conf': text, 'users.conf': USERS, ...extra });
  return join(dir, 'ajam-proxy.conf');
}

function fails(t: Test, path: string, code: string, re: RegExp): void {
  const err = t.throws(() => loadConfig(path), re.source) as AjamError;
  t.ok(err instanceof AjamError);
  t.equal(err.code, code);
  t.match(err.message, re);
  t.notOk(err.message.includes('\n'), 'one line');
}

t.test('defaults', async (t) => {
  const path = confFile(t, '[asterisk]\nusername = proxy\nsecret = pw\n');
  const c = loadConfig(path);
  t.equal(c.file, path);
  t.same(c.general, {
    bindaddr: '127.0.0.1',
    bindport: 8088,
    prefix: '',
    httptimeout: 60,
    httptimeoutAt: '',
    servername: defaultServerName(),
    users: join(path, '..', 'users.conf'),
    static: undefined,
    eventBuffer: 10000,
    authLimit: 5,
    authWindow: 60,
    authMaxLock: 900,
    httpEnable: true,
    allowBasic: false,
    loglevel: 'info',
    metricspermit: '127.0.0.0/8, ::1',
    metricspermitAt: '',
    shutdowntimeout: 10,
    pushBufferLimit: 1048576,
    wsMaxFrame: 65536,
    wsMaxInFlight: 64,
    pushMaxClients: 20000,
    maxConnections: 10000,
    requestTimeout: 10,
    authUserStep: 250,
    authUserMaxDelay: 2000,
    authUserQueue: 10,
    eventBufferBytes: 64 * 1024 * 1024,
    maxReplyBytes: 1024 * 1024,
    maxActionReplyBytes: 32 * 1024 * 1024,
    unauthRate: 200,
    maxSessions: 20000,
    maxSessionsPerUser: 5000,
    maxUnauthPerAddress: 100,
  });
  t.match(c.general.servername, /^ajam-proxy\/\d+\.\d+\.\d+/);
  t.same(c.asterisk, {
    name: 'default',
    host: '127.0.0.1',
    port: 5038,
    username: 'proxy',
    secret: 'pw',
    authtype: 'plain',
    connections: 2,
    simulate: false,
    actionTimeout: 30,
    keepalive: 15,
    stallTimeout: 5,
    authBackoff: 60,
    authBackoffMax: 600,
    eventBuffer: 10000,
    eventBufferBytes: 67108864,
  });
});

t.test('every option', async (t) => {
  const path = confFile(
    t,
    [
      '[General]',
      'BindAddr = ::1',
      'bindport = 9000',
      'prefix = /asterisk/',
      'httptimeout = 120',
      'servername =',
      'users = etc/manager.conf',
      'static = www',
      'eventbuffer = 500',
      'loglevel = Debug',
      'metricspermit = 10.0.0.0/8',
      'shutdowntimeout = 2.5',
      '[asterisk]',
      'host = pbx.example.com',
      'port = 5039',
      'username = proxy',
      'secret = s;x\\;y',
      'authtype = MD5',
      'connections = 4',
      'simulate = off',
      'actiontimeout = 2.5',
      'keepalive = 0',
      'stalltimeout = 2',
      'authbackoff = 30',
      'authbackoffmax = 120.5',
    ].join('\n'),
    { etc: { 'manager.conf': USERS } },
  );
  mkdirSync(join(path, '..', 'www'));
  const c = loadConfig(path);
  t.equal(c.general.bindaddr, '::1');
  t.equal(c.general.bindport, 9000);
  t.equal(c.general.prefix, '/asterisk');
  t.equal(c.general.httptimeout, 120);
  t.equal(c.general.servername, '', 'empty servername omits the header');
  t.equal(c.general.users, join(path, '..', 'etc', 'manager.conf'));
  t.equal(c.general.static, join(path, '..', 'www'));
  t.equal(c.general.eventBuffer, 500);
  t.equal(c.general.loglevel, 'debug');
  t.equal(c.general.metricspermit, '10.0.0.0/8');
  t.match(c.general.metricspermitAt, /\.conf:11$/);
  t.equal(c.general.shutdowntimeout, 2.5);
  t.same(c.asterisk, {
    name: 'default',
    host: 'pbx.example.com',
    port: 5039,
    username: 'proxy',
    secret: 's',
    authtype: 'md5',
    connections: 4,
    simulate: false,
    actionTimeout: 2.5,
    keepalive: 0,
    stallTimeout: 2,
    authBackoff: 30,
    authBackoffMax: 120.5,
    eventBuffer: 500,
    eventBufferBytes: 67108864,
  });
});

t.test('a server section may size its own event ring; the others keep [general]\'s', async (t) => {
  const path = confFile(
    t,
    [
      '[general]',
      'eventbuffer = 300',
      'eventbufferbytes = 100000',
      '[asterisk:east]',
      'username = proxy',
      'secret = pw',
      'eventbuffer = 20',
      'eventbufferbytes = 70000',
      '[asterisk:west]',
      'username = proxy',
      'secret = pw',
    ].join('\n'),
  );
  const c = loadConfig(path);
  t.same(c.servers.map((x) => [x.name, x.eventBuffer, x.eventBufferBytes]), [['east', 20, 70000], ['west', 300, 100000]]);
  const bad = confFile(t, '[asterisk:east]\nusername = proxy\nsecret = pw\neventbuffer = 0\n');
  t.throws(() => loadConfig(bad), { code: 'CONF_ERR_VALUE' });
  const small = confFile(t, '[asterisk:east]\nusername = proxy\nsecret = pw\neventbufferbytes = 1000\n');
  t.throws(() => loadConfig(small), { code: 'CONF_ERR_VALUE' });
});

t.test('prefix normalisation', async (t) => {
  for (const [v, want] of [['asterisk', '/asterisk'], ['/a/b/', '/a/b'], ['/', ''], ['', '']]) {
    const c = loadConfig(confFile(t, `[general]\nprefix = ${v}\n[asterisk]\nsimulate = yes\n`));
    t.equal(c.general.prefix, want, v);
  }
  fails(t, confFile(t, '[general]\nprefix = a b\n'), ErrorCodes.CONF_ERR_VALUE, /ajam-proxy\.conf:2: prefix: expected a URL path/);
  fails(t, confFile(t, '[general]\nprefix = a//b\n'), ErrorCodes.CONF_ERR_VALUE, /:2: prefix/);
});

t.test('simulate: yes/no words, credentials optional, CLI override', async (t) => {
  for (const w of ['yes', 'Yes', 'true', 'on', '1', 'y', 't']) {
    const c = loadConfig(confFile(t, `[asterisk]\nsimulate = ${w}\n`));
    t.equal(c.asterisk.simulate, true, w);
    t.equal(c.asterisk.username, DEFAULTS.simUsername);
    t.equal(c.asterisk.secret, DEFAULTS.simSecret);
  }
  for (const w of ['no', 'false', 'off', '0', 'n', 'f']) {
    const c = loadConfig(confFile(t, `[asterisk]\nsimulate = ${w}\nusername = u\nsecret = s\n`));
    t.equal(c.asterisk.simulate, false, w);
  }
  fails(t, confFile(t, '[asterisk]\nsimulate = perhaps\n'), ErrorCodes.CONF_ERR_VALUE, /:2: simulate: expected yes or no, got 'perhaps'/);
  fails(t, confFile(t, '[asterisk]\nusername = u\n'), ErrorCodes.CONF_ERR_VALUE, /:1: \[asterisk\] secret is required/);
  fails(t, confFile(t, '[general]\n'), ErrorCodes.CONF_ERR_VALUE, /ajam-proxy\.conf: \[asterisk\] username is required/);
  const c = loadConfig(confFile(t, '[asterisk]\nsimulate = no\n'), { simulate: true });
  t.equal(c.asterisk.simulate, true, '--simulate wins');
  t.equal(c.asterisk.username, 'ajam-proxy', 'not the demo HTTP user admin: the AMI account is never an HTTP login');
});

t.test('--listen override', async (t) => {
  const path = confFile(t, '[general]\nbindaddr = 127.0.0.1\nbindport = 8088\n[asterisk]\nsimulate = yes\n');
  let c = loadConfig(path, { listen: '0.0.0.0:9090' });
  t.equal(c.general.bindaddr, '0.0.0.0');
  t.equal(c.general.bindport, 9090);
  c = loadConfig(path, { listen: '[::]:8000' });
  t.equal(c.general.bindaddr, '::');
  t.equal(c.general.bindport, 8000);
  c = loadConfig(path, { listen: '9999' });
  t.equal(c.general.bindaddr, '127.0.0.1', 'port only keeps bindaddr');
  t.equal(c.general.bindport, 9999);
  t.same(parseListen('localhost:80'), { host: 'localhost', port: 80 });
  for (const bad of ['', 'host', 'host:', ':80', 'h:0', 'h:65536', '::1:80', '[::1]80', 'a b:80', 'h:8x']) {
    t.throws(() => parseListen(bad), { code: ErrorCodes.CONF_ERR_VALUE, message: /^--listen: / }, bad);
  }
  t.throws(() => loadConfig(path, { listen: 'nope' }), { code: ErrorCodes.CONF_ERR_VALUE });
});

t.test('unknown keys and sections, repeated keys', async (t) => {
  fails(t, confFile(t, '[general]\nbindadr = 0.0.0.0\n'), ErrorCodes.CONF_ERR_VALUE, /ajam-proxy\.conf:2: unknown key 'bindadr' in \[general\]/);
  fails(t, confFile(t, '[asterisk]\nsimulate = yes\nconection = 3\n'), ErrorCodes.CONF_ERR_VALUE, /:3: unknown key 'conection' in \[asterisk\]/);
  fails(t, confFile(t, '[generl]\n'), ErrorCodes.CONF_ERR_SYNTAX, /:1: unknown section \[generl\]/);
  fails(t, confFile(t, '[general]\nbindport = 1\nbindport = 2\n'), ErrorCodes.CONF_ERR_VALUE, /:3: 'bindport' given twice in \[general\] \(first at line 2\)/);
  fails(t, confFile(t, '[general]\n[general]\n'), ErrorCodes.CONF_ERR_SYNTAX, /:2: \[general\] repeated/);
});

t.test('bad values name file, line and key', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['[general]\nbindport = 80x', /:2: bindport: expected a whole number from 1 to 65535, got '80x'/],
    ['[general]\nbindport = 0', /:2: bindport/],
    ['[general]\nbindport = 70000', /:2: bindport/],
    ['[general]\nhttptimeout = 0', /:2: httptimeout/],
    ['[general]\nhttptimeout = -5', /:2: httptimeout/],
    ['[general]\neventbuffer = 0', /:2: eventbuffer/],
    ['[general]\nbindaddr = not an address', /:2: bindaddr: expected an IP address or host name/],
    ['[general]\nusers =', /:2: users: expected a value/],
    ['[asterisk]\nsimulate = yes\nport = http', /:3: port/],
    ['[asterisk]\nsimulate = yes\nauthtype = digest', /:3: authtype: expected plain or md5, got 'digest'/],
    ['[general]\nloglevel = loud', /:2: loglevel: expected silent, fatal, error, warn, info, debug or trace, got 'loud'/],
    ['[general]\nshutdowntimeout = soon', /:2: shutdowntimeout: expected seconds/],
    ['[asterisk]\nsimulate = yes\nconnections = 0', /:3: connections/],
    ['[asterisk]\nsimulate = yes\nconnections = 65', /:3: connections/],
    ['[asterisk]\nsimulate = yes\nactiontimeout = 0', /:3: actiontimeout: expected seconds, more than 0/],
    ['[asterisk]\nsimulate = yes\nkeepalive = -1', /:3: keepalive/],
    ['[asterisk]\nsimulate = yes\nhost = a_b', /:3: host/],
  ];
  for (const [text, re] of cases) fails(t, confFile(t, text), ErrorCodes.CONF_ERR_VALUE, re);
  fails(t, confFile(t, '[general]\nstatic = nothere\n[asterisk]\nsimulate = yes\n'), ErrorCodes.CONF_ERR_FILE, /:2: static: '.*nothere' is not a folder/);
  fails(t, confFile(t, '[general]\nusers = other.conf\n[asterisk]\nsimulate = yes\n'), ErrorCodes.CONF_ERR_FILE, /:2: users file '.*other\.conf' not found/);
  fails(t, confFile(t, '[general\n'), ErrorCodes.CONF_ERR_SYNTAX, /ajam-proxy\.conf:1: missing '\]'/);
});

t.test('a missing config file', async (t) => {
  const dir = t.testdir({});
  t.throws(() => loadConfig(join(dir, 'missing.conf')), { code: ErrorCodes.CONF_ERR_FILE, message: /cannot read config file/ });
});

t.test('the shipped conf/ajam-proxy.conf', async (t) => {
  const c = loadConfig(new URL('../../conf/ajam-proxy.conf', import.meta.url).pathname);
  t.equal(c.asterisk.simulate, true);
  t.equal(c.general.bindaddr, '127.0.0.1');
  t.equal(c.general.bindport, 8088);
  t.equal(c.general.prefix, '');
  t.equal(c.general.httptimeout, 60);
  t.match(c.general.users, /conf\/users\.conf$/);
  t.same([...loadUsers(c.general.users).keys()].sort(), ['admin', 'wallboard']);
});

t.test('push settings: values and bounds', async (t) => {
  const ok = loadConfig(
    confFile(t, '[general]\npushbufferlimit = 65536\nwsmaxframe = 2048\nwsmaxinflight = 8\npushmaxclients = 100\n[asterisk]\nsimulate = yes\n'),
  );
  t.equal(ok.general.pushBufferLimit, 65536);
  t.equal(ok.general.wsMaxFrame, 2048);
  t.equal(ok.general.wsMaxInFlight, 8);
  t.equal(ok.general.pushMaxClients, 100);
  t.throws(() => loadConfig(confFile(t, '[general]\npushbufferlimit = 10\n[asterisk]\nsimulate = yes\n')), /pushbufferlimit/);
  t.throws(() => loadConfig(confFile(t, '[general]\nwsmaxinflight = 0\n[asterisk]\nsimulate = yes\n')), /wsmaxinflight/);
});

t.test('several servers: [asterisk:NAME] sections, in file order', async (t) => {
  const c = loadConfig(
    confFile(t, '[asterisk:east]\nhost = 10.0.0.1\nusername = p\nsecret = s\n[asterisk:West-2]\nsimulate = yes\nconnections = 1\n'),
  );
  t.same(c.servers.map((s) => s.name), ['east', 'West-2']);
  t.equal(c.asterisk, c.servers[0], 'the first one is the default');
  t.equal(c.servers[0]!.host, '10.0.0.1');
  t.equal(c.servers[1]!.simulate, true);
  t.equal(c.servers[1]!.connections, 1);
  t.equal(c.servers[1]!.username, DEFAULTS.simUsername);
  t.same(loadConfig(confFile(t, '[asterisk]\nsimulate = yes\n')).servers.map((s) => s.name), ['default'], 'a plain [asterisk] is one server');
});

t.test('several servers: errors', async (t) => {
  fails(t, confFile(t, '[asterisk:a]\nsimulate = yes\n[asterisk:A]\nsimulate = yes\n'), ErrorCodes.CONF_ERR_SYNTAX, /:3: \[asterisk:A\] repeated \(first at line 1\)/);
  fails(t, confFile(t, '[asterisk]\nsimulate = yes\n[asterisk:b]\nsimulate = yes\n'), ErrorCodes.CONF_ERR_SYNTAX, /:3: \[asterisk:b\] next to a plain \[asterisk\]/);
  fails(t, confFile(t, '[asterisk:a b]\nsimulate = yes\n'), ErrorCodes.CONF_ERR_SYNTAX, /:1: \[asterisk:a b\]: a server name is/);
  fails(t, confFile(t, '[asterisk:]\nsimulate = yes\n'), ErrorCodes.CONF_ERR_SYNTAX, /:1: \[asterisk:\]: a server name is/);
  fails(t, confFile(t, '[asterisk:a]\nsimulate = yes\n[asterisk:b]\nhost = x\n'), ErrorCodes.CONF_ERR_VALUE, /:3: \[asterisk:b\] username is required/);
  fails(t, confFile(t, '[asterisk:a]\nsimulate = yes\nbogus = 1\n'), ErrorCodes.CONF_ERR_VALUE, /:3: unknown key 'bogus' in \[asterisk:a\]/);
});
