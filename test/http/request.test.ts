import t from 'tap';
import {
  MAX_PARAMS,
  ROUTE_AMANAGER,
  ROUTE_AMXML,
  ROUTE_ARAWMAN,
  ROUTE_HEALTH,
  ROUTE_MANAGER,
  ROUTE_MXML,
  ROUTE_NONE,
  ROUTE_RAWMAN,
  ROUTE_STATIC,
  isAllowedMethod,
  isFormContentType,
  matchRoute,
  normalizePrefix,
  parseParams,
  requestLineTooLong,
  staticSubpath,
} from '../../lib/http/request.ts';

t.test('normalizePrefix', async (t) => {
  t.equal(normalizePrefix(''), '');
  t.equal(normalizePrefix('/'), '');
  t.equal(normalizePrefix('asterisk'), '/asterisk');
  t.equal(normalizePrefix('/asterisk/'), '/asterisk');
});

t.test('matchRoute without prefix (spec §1.2)', async (t) => {
  t.equal(matchRoute('/rawman', ''), ROUTE_RAWMAN);
  t.equal(matchRoute('/rawman/', ''), ROUTE_RAWMAN);
  t.equal(matchRoute('/RAWMAN', ''), ROUTE_RAWMAN);
  t.equal(matchRoute('/RawMan/', ''), ROUTE_RAWMAN);
  t.equal(matchRoute('/rawman/x', ''), ROUTE_NONE);
  t.equal(matchRoute('/rawman//', ''), ROUTE_NONE);
  t.equal(matchRoute('/rawmanx', ''), ROUTE_NONE);
  t.equal(matchRoute('/mxml', ''), ROUTE_MXML);
  t.equal(matchRoute('/Manager', ''), ROUTE_MANAGER);
  t.equal(matchRoute('/health', ''), ROUTE_HEALTH);
  t.equal(matchRoute('/static/a.html', ''), ROUTE_STATIC);
  t.equal(matchRoute('/static', ''), ROUTE_STATIC);
  t.equal(matchRoute('/staticx', ''), ROUTE_NONE);
  t.equal(matchRoute('/', ''), ROUTE_NONE);
  t.equal(matchRoute('', ''), ROUTE_NONE);
  t.equal(matchRoute('/arawman', ''), ROUTE_ARAWMAN);
  t.equal(matchRoute('/AMXML/', ''), ROUTE_AMXML);
  t.equal(matchRoute('/amanager', ''), ROUTE_AMANAGER);
  t.equal(matchRoute('/amanagerx', ''), ROUTE_NONE);
  t.equal(matchRoute('/httpstatus', ''), ROUTE_NONE);
  t.equal(matchRoute('/raw%6dan', ''), ROUTE_NONE, 'path is not percent-decoded');
});

t.test('matchRoute with prefix', async (t) => {
  const p = normalizePrefix('asterisk');
  t.equal(matchRoute('/asterisk/rawman', p), ROUTE_RAWMAN);
  t.equal(matchRoute('/ASTERISK/mxml/', p), ROUTE_MXML);
  t.equal(matchRoute('/rawman', p), ROUTE_NONE);
  t.equal(matchRoute('/asteriskrawman', p), ROUTE_NONE);
  t.equal(matchRoute('/asterisk', p), ROUTE_NONE);
  t.equal(matchRoute('/asterisk/static/x/y.js', p), ROUTE_STATIC);
  t.equal(staticSubpath('/asterisk/static/x/y.js', p), 'x/y.js');
  t.equal(staticSubpath('/Static/', ''), '');
  t.equal(staticSubpath('/static', ''), '');
});

t.test('methods', async (t) => {
  for (const m of ['GET', 'HEAD', 'POST']) t.ok(isAllowedMethod(m), m);
  for (const m of ['PUT', 'DELETE', 'OPTIONS', 'PATCH', 'get']) t.notOk(isAllowedMethod(m), m);
});

t.test('request line limit', async (t) => {
  // "GET " + path + "?" + query = 4096 bytes exactly is allowed.
  const q = 'x'.repeat(4096 - 4 - '/rawman'.length - 1);
  t.notOk(requestLineTooLong('GET', '/rawman', q));
  t.ok(requestLineTooLong('GET', '/rawman', q + 'x'));
  t.notOk(requestLineTooLong('GET', '/rawman', ''));
  // multi-byte characters count as their UTF-8 bytes
  t.ok(requestLineTooLong('GET', '/rawman', 'é'.repeat(2100)));
  t.notOk(requestLineTooLong('GET', '/rawman', 'é'.repeat(2000)));
});

t.test('form content type', async (t) => {
  t.ok(isFormContentType('application/x-www-form-urlencoded'));
  t.ok(isFormContentType('Application/X-WWW-Form-Urlencoded; charset=UTF-8'));
  t.ok(isFormContentType(' application/x-www-form-urlencoded ;x'));
  t.notOk(isFormContentType('multipart/form-data'));
  t.notOk(isFormContentType('text/plain'));
  t.notOk(isFormContentType(''));
  t.notOk(isFormContentType('application/x-www-form-urlencodedx'));
});

t.test('parseParams (spec §1.4)', async (t) => {
  t.same(parseParams('action=Ping&ActionID=1'), [
    ['action', 'Ping'],
    ['ActionID', '1'],
  ]);
  t.same(parseParams(''), []);
  t.same(parseParams('a'), [['a', '']], 'no = gets empty value');
  t.same(parseParams('a='), [['a', '']]);
  t.same(parseParams('a=b=c'), [['a', 'b=c']], 'split at first =');
  t.same(
    parseParams('Variable=a=1&Variable=b=2'),
    [
      ['Variable', 'a=1'],
      ['Variable', 'b=2'],
    ],
    'order and duplicates kept',
  );
  t.same(parseParams('a=1&&b=2&'), [
    ['a', '1'],
    ['b', '2'],
  ]);
  t.same(parseParams('=x&a=1'), [['a', '1']], 'empty names dropped');
  t.same(parseParams('a=hello+world'), [['a', 'hello world']], '+ is a space');
  t.same(parseParams('a%20b=c%3Dd'), [['a b', 'c=d']]);
  t.same(parseParams('a=%e2%82%ac'), [['a', '€']], 'bytes decoded as UTF-8');
  t.same(parseParams('a=%zz%4'), [['a', '%zz%4']], 'malformed % copied through');
  t.same(parseParams('a=%'), [['a', '%']]);
  t.same(parseParams('a=100%'), [['a', '100%']]);
  t.same(parseParams('a=x%0D%0AAction: Originate'), [['a', 'x\r\nAction: Originate']], 'CRLF kept for the dispatcher');
  t.same(parseParams('a%00b=1'), [['a\0b', '1']], 'NUL kept for the dispatcher');
  t.same(parseParams('a=é'), [['a', 'é']], 'already-decoded non-ASCII passes');
  t.same(parseParams('a=é+%41'), [['a', 'é A']]);
  t.same(parseParams(Buffer.from('action=login&secret=p%26w')), [
    ['action', 'login'],
    ['secret', 'p&w'],
  ]);
});

t.test('parameter count limit', async (t) => {
  const items = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join('&');
  t.equal(parseParams(items(MAX_PARAMS))!.length, MAX_PARAMS);
  t.equal(parseParams(items(MAX_PARAMS + 1)), null);
  t.equal(parseParams(items(MAX_PARAMS + 1) + '&x=%41'), null, 'byte path too');
  t.equal(parseParams(items(MAX_PARAMS) + '&&&')!.length, MAX_PARAMS, 'empty items do not count');
});
