// Every test/fixtures/asterisk-22/http_*.txt capture (real Asterisk 22.10.1, `curl -i`) that is an AJAM
// response or an HTTP error page, reproduced byte for byte: status line, headers in Asterisk's order,
// body. Server, Date and the cookie id are taken from the capture; our extra cookie attributes are
// the only normalisation.
//
// Where the AMI input comes from, per capture:
//  - rawman: the capture's own body (rawman output IS the AMI output).
//  - twin:X: the body of rawman capture X, whose AMI output is the same bytes (the same request
//    over /rawman, or one whose reply is identical, e.g. a Login without FullyBooted).
//  - RECONSTRUCTED: no rawman twin exists, so the AMI input is rebuilt from the formatted output
//    itself (fixtures.ts amiFromMxml / amiFromHtml: `-N` suffixes folded back, entities undone,
//    header case as Asterisk 22 prints it). This checks that our formatter maps that input to the
//    capture's exact bytes (escaping, duplicate suffixes, ordering, envelope, headers), not how
//    Asterisk produced the input.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { rawman } from '../../lib/format/rawman.ts';
import { mxml } from '../../lib/format/mxml.ts';
import { HTML_DIGEST_HEAD, HTML_HEAD, html, htmlDigest } from '../../lib/format/html.ts';
import {
  ERROR_TEXT,
  ajamHeaders,
  errorHeaders,
  errorPage,
  responseHead,
  type AjamFormat,
} from '../../lib/format/http.ts';
import {
  CAPTURES,
  amiFromHtml,
  amiFromMxml,
  buildLike,
  header,
  listCaptures,
  splitMessages,
  splitResponses,
  type Response,
} from '../helpers/format-fixtures.ts';

type Source = 'rawman' | `twin:${string}` | 'reconstructed';
type Kind = AjamFormat | 'amxml' | 'amanager' | 'arawman';

interface Case {
  kind: Kind;
  source: Source;
}

const AJAM: Record<string, Case> = {
  http_01c_rawman_login_cookiejar: { kind: 'rawman', source: 'rawman' },
  http_02_rawman_ping: { kind: 'rawman', source: 'rawman' },
  http_03_mxml_ping: { kind: 'mxml', source: 'reconstructed' },
  http_04_manager_ping_html: { kind: 'manager', source: 'reconstructed' },
  http_05_rawman_status_idle: { kind: 'rawman', source: 'rawman' },
  http_06_mxml_status_idle: { kind: 'mxml', source: 'twin:http_05_rawman_status_idle' },
  http_07a_rawman_waitevent_drain: { kind: 'rawman', source: 'rawman' },
  http_07b_rawman_waitevent_timeout_noevents: { kind: 'rawman', source: 'rawman' },
  http_08a_rawman_waitevent_during_originate: { kind: 'rawman', source: 'rawman' },
  http_08b_rawman_status_during_call: { kind: 'rawman', source: 'rawman' },
  http_08c_mxml_status_during_call: { kind: 'mxml', source: 'twin:http_08b_rawman_status_during_call' },
  http_08d_rawman_waitevent_rest_of_call: { kind: 'rawman', source: 'rawman' },
  http_08e_rawman_waitevent_rest_of_call2: { kind: 'rawman', source: 'rawman' },
  http_09a_mxml_waitevent_drain: { kind: 'mxml', source: 'reconstructed' },
  http_09b_mxml_waitevent_after_call: { kind: 'mxml', source: 'reconstructed' },
  http_09c_manager_waitevent_html_timeout: { kind: 'manager', source: 'twin:http_07b_rawman_waitevent_timeout_noevents' },
  http_10a_rawman_command_uptime: { kind: 'rawman', source: 'rawman' },
  http_10b_mxml_command_uptime: { kind: 'mxml', source: 'twin:http_10a_rawman_command_uptime' },
  http_10c_manager_command_uptime_html: { kind: 'manager', source: 'twin:http_10a_rawman_command_uptime' },
  http_10d_rawman_command_multiline: { kind: 'rawman', source: 'rawman' },
  http_10e_rawman_command_unknown: { kind: 'rawman', source: 'rawman' },
  http_11a_rawman_ping_no_cookie: { kind: 'rawman', source: 'rawman' },
  http_11b_mxml_ping_no_cookie: { kind: 'mxml', source: 'twin:http_11a_rawman_ping_no_cookie' },
  http_11c_rawman_ping_bogus_cookie: { kind: 'rawman', source: 'rawman' },
  http_12a_rawman_bad_login: { kind: 'rawman', source: 'rawman' },
  http_12b_mxml_bad_login: { kind: 'mxml', source: 'twin:http_12a_rawman_bad_login' },
  http_12c_mxml_login_ok: { kind: 'mxml', source: 'twin:http_01c_rawman_login_cookiejar' },
  http_12d_manager_login_ok_html: { kind: 'manager', source: 'twin:http_01c_rawman_login_cookiejar' },
  http_13b_arawman_digest_ping: { kind: 'arawman', source: 'rawman' },
  http_13c_amxml_digest_ping: { kind: 'amxml', source: 'reconstructed' },
  http_13d_amanager_digest_ping: { kind: 'amanager', source: 'reconstructed' },
  http_14a_post_rawman_login_form: { kind: 'rawman', source: 'rawman' },
  http_14b_post_rawman_ping_form: { kind: 'rawman', source: 'rawman' },
  http_14c_post_rawman_command_form: { kind: 'rawman', source: 'rawman' },
  http_14d_post_mxml_status_form: { kind: 'mxml', source: 'reconstructed' },
  http_15a_rawman_wallboard_login: { kind: 'rawman', source: 'rawman' },
  http_15b_rawman_wallboard_originate_denied: { kind: 'rawman', source: 'rawman' },
  http_15c_rawman_wallboard_command_denied: { kind: 'rawman', source: 'rawman' },
  http_16a_rawman_actionid_and_unknown_action: { kind: 'rawman', source: 'rawman' },
  http_16b_rawman_listcommands: { kind: 'rawman', source: 'rawman' },
  http_16c_rawman_coresettings_mixedcase: { kind: 'rawman', source: 'rawman' },
  http_16d_rawman_queuestatus: { kind: 'rawman', source: 'rawman' },
  http_16e_mxml_coreshowchannels_idle: { kind: 'mxml', source: 'reconstructed' },
  http_21_rawman_logoff: { kind: 'rawman', source: 'rawman' },
  http_22_rawman_ping_after_logoff: { kind: 'rawman', source: 'rawman' },
  http_23_mxml_ajaxdest_ajaxobjtype: { kind: 'mxml', source: 'reconstructed' },
  http_24_mxml_command_multiline: { kind: 'mxml', source: 'twin:http_10d_rawman_command_multiline' },
  http_25a_rawman_waitevent_actionid_drain: { kind: 'rawman', source: 'rawman' },
  http_25b_rawman_waitevent_actionid_timeout: { kind: 'rawman', source: 'rawman' },
};

/** Error pages (ast_http_error / ast_http_auth): the full final response. */
const ERROR_PAGES: Record<string, keyof typeof ERROR_TEXT> = {
  http_13a_arawman_no_auth: 'unauthorized',
  http_13e_arawman_digest_badpw: 'unauthorized',
  http_13f_arawman_basic_auth: 'unauthorized',
  http_17c_static_missing: 'notFound',
  http_19_unknown_uri_404: 'notFound',
  http_20b_put_rawman: 'notImplemented',
};

/** HEAD: headers only, Content-Length of the full body (a Ping reply of 63 bytes, RECONSTRUCTED). */
const HEAD_ONLY: Record<string, string> = { http_20a_head_rawman_ping: 'http_02_rawman_ping' };

/** Not produced by lib/format. */
const NOT_FORMAT: Record<string, string> = {
  http_18_httpstatus: '/httpstatus page (http.c), not an AJAM format',
};

function read(name: string): Response[] {
  return splitResponses(readFileSync(CAPTURES + name + '.txt'));
}

function last(name: string): Response {
  const r = read(name);
  return r[r.length - 1]!;
}

t.test('every http_*.txt capture is accounted for', async (t) => {
  const known = new Set([
    ...Object.keys(AJAM),
    ...Object.keys(ERROR_PAGES),
    ...Object.keys(HEAD_ONLY),
    ...Object.keys(NOT_FORMAT),
  ]);
  for (const f of listCaptures()) t.ok(known.has(f.replace(/\.txt$/, '')), f);
});

function amiInput(c: Case, ref: Response): Buffer {
  if (c.source === 'rawman') return ref.body;
  if (c.source.startsWith('twin:')) return last(c.source.slice(5)).body;
  // RECONSTRUCTED from the output itself.
  if (c.kind === 'mxml' || c.kind === 'amxml') return amiFromMxml(ref.body);
  return amiFromHtml(ref.body.subarray(preamble(c).length));
}

function preamble(c: Case): Buffer {
  return c.kind === 'amanager' ? HTML_DIGEST_HEAD : HTML_HEAD;
}

function format(c: Case, ami: Buffer, ref: Response): Buffer {
  switch (c.kind) {
    case 'rawman':
    case 'arawman':
      return rawman(splitMessages(ami));
    case 'mxml':
    case 'amxml': {
      // ajaxdest/ajaxobjtype as the request gave them (read back from the capture's first block).
      const m = /<response type='object' id='([^']*)'><([^ ]+) /.exec(ref.body.toString('latin1'));
      return mxml(ami, m?.[1], m?.[2]);
    }
    case 'manager':
      return html(ami);
    case 'amanager':
      return htmlDigest(ami);
  }
}

const WIRE_FORMAT: Record<Kind, AjamFormat> = {
  rawman: 'rawman',
  arawman: 'rawman',
  mxml: 'mxml',
  amxml: 'mxml',
  manager: 'manager',
  amanager: 'manager',
};

for (const [name, c] of Object.entries(AJAM)) {
  t.test(`${name} (${c.source}) byte for byte`, async (t) => {
    const responses = read(name);
    const ref = responses[responses.length - 1]!;
    const ami = amiInput(c, ref);
    if (c.kind === 'manager' || c.kind === 'amanager') {
      t.ok(ref.body.subarray(0, preamble(c).length).equals(preamble(c)), 'preamble bytes are ours');
    }
    const actual = buildLike(ref, WIRE_FORMAT[c.kind], format(c, ami, ref));
    const expected = Buffer.concat([ref.head, ref.body]);
    t.equal(actual.toString('latin1'), expected.toString('latin1'));
    if (c.kind === 'arawman' || c.kind === 'amxml' || c.kind === 'amanager') {
      t.equal(header(ref, 'Set-Cookie'), undefined, 'digest replies carry no cookie');
      // The 401 challenge that curl --digest printed before the 200 (no body shown): its headers.
      const challenge = responses[0]!;
      t.equal(challenge.status, 401);
      const headers = errorHeaders(
        {
          servername: header(challenge, 'Server')!,
          date: Date.parse(header(challenge, 'Date')!),
          contentLength: Number(header(challenge, 'Content-Length')),
        },
        [['WWW-authenticate', header(challenge, 'WWW-authenticate')!]],
      );
      t.equal(responseHead(401, headers).toString('latin1'), challenge.head.toString('latin1'), '401 head');
    }
  });
}

for (const [name, code] of Object.entries(ERROR_PAGES)) {
  t.test(`${name} error page byte for byte`, async (t) => {
    const responses = read(name);
    for (const ref of responses) {
      const [status, title, text] = ERROR_TEXT[code];
      t.equal(ref.status, status);
      const body = errorPage(status, title, text, header(ref, 'Server')!);
      const auth = header(ref, 'WWW-authenticate');
      const headers = errorHeaders(
        { servername: header(ref, 'Server')!, date: Date.parse(header(ref, 'Date')!), contentLength: body.length },
        auth === undefined ? [] : [['WWW-authenticate', auth]],
      );
      const head = responseHead(status, headers);
      t.equal(head.toString('latin1'), ref.head.toString('latin1'), 'head');
      // curl shows no body for the first 401 of a digest retry; compare the body wherever shown.
      if (ref.body.length > 0) t.equal(body.toString('latin1'), ref.body.toString('latin1'), 'body');
    }
  });
}

for (const [name, twin] of Object.entries(HEAD_ONLY)) {
  t.test(`${name} (HEAD) byte for byte`, async (t) => {
    const ref = last(name);
    t.equal(ref.body.length, 0);
    const body = rawman([last(twin).body]); // any 63-byte Ping reply
    t.equal(body.length, Number(header(ref, 'Content-Length')));
    const actual = buildLike(ref, 'rawman', body).subarray(0, ref.head.length);
    t.equal(actual.toString('latin1'), ref.head.toString('latin1'));
  });
}

t.test('digest header variant omits Set-Cookie and Pragma', async (t) => {
  const h = ajamHeaders({ servername: 'S', date: 0, format: 'rawman', contentLength: 1 });
  t.same(
    h.map(([k]) => k),
    ['Server', 'Date', 'Cache-Control', 'Content-type', 'Content-Length'],
  );
});
