// What is checked is what is sent (issue 7 §1): every hostile spelling of an action or a guarded
// parameter, over GET, POST and the digest endpoints, is judged on the same normalized view that
// goes upstream. Each case asserts on what the simulator RECEIVED, not only on the HTTP reply.
import t from 'tap';
import { AjamClient, startTestApp } from '../helpers/app.ts';
import { USERS_WITH_CALLER, receivedUpstream } from '../helpers/upstream.ts';
import type { TestApp } from '../helpers/app.ts';
import { DigestClient } from '../helpers/digest-client.ts';
import type { AmiMessage } from '../../lib/ami/message.ts';

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp({ users: USERS_WITH_CALLER });
});
t.teardown(() => ta.close());

/** What the simulator received since `clear()`. */
const received = (): AmiMessage[] => receivedUpstream(ta);

function clear(): void {
  ta.app.sim!.clearReceived();
}

/** Every header line the simulator got for `name` (case-insensitive), across all received actions. */
function allValues(name: string): string[] {
  return ta.app.sim!.received.flatMap((m) => m.getAll(name));
}

type Transport = 'GET' | 'POST' | 'mxml' | 'digest';
const TRANSPORTS: Transport[] = ['GET', 'POST', 'mxml', 'digest'];

class As {
  readonly cookie: AjamClient;
  readonly digest: DigestClient;
  constructor(
    readonly user: string,
    readonly secret: string,
  ) {
    this.cookie = new AjamClient(ta.base);
    this.digest = new DigestClient(ta.port, user, secret);
  }

  async login(): Promise<void> {
    const r = await this.cookie.login(this.user, this.secret);
    if (!r.body.includes('Authentication accepted')) throw new Error(`login ${this.user}: ${r.body}`);
  }

  /** `query` is the raw (already encoded) parameter string. */
  async send(how: Transport, query: string): Promise<string> {
    switch (how) {
      case 'GET':
        return (await this.cookie.get(`/rawman?${query}`)).body;
      case 'POST':
        return (await this.cookie.post('/rawman', query)).body;
      case 'mxml':
        return (await this.cookie.get(`/mxml?${query}`)).body;
      case 'digest':
        return (await this.digest.get(`/arawman?${query}`)).body.toString('latin1');
    }
  }

  close(): void {
    this.digest.close();
  }
}

let wall: As;
let caller: As;
let admin: As;
t.before(async () => {
  wall = new As('wallboard', 'wallpw');
  caller = new As('caller', 'callerpw');
  admin = new As('admin', 'adminpw');
  await Promise.all([wall.login(), caller.login(), admin.login()]);
});
t.teardown(() => {
  wall.close();
  caller.close();
  admin.close();
});

const NOTHING_FOR_WALLBOARD: Array<[string, string]> = [
  ['space', 'action=%20Originate&Channel=Local/1@x&Application=Playback&Data=hello'],
  ['plus', 'action=+Command&command=core%20show%20version'],
  ['tab', 'action=%09Originate&Channel=Local/1@x&Exten=1&Context=x&Priority=1'],
  ['%01', 'action=%01Command&command=core+show+version'],
  ['mixed case', 'aCtIoN=oRiGiNaTe&Channel=Local/1@x&Application=System&Data=id'],
  ['blank first action', 'action=%20&action=Originate&Channel=Local/1@x&Application=System&Data=id'],
  ['empty first action', 'action=&Action=DBPut&Family=x&Key=y&Val=z'],
  ['DBDel', 'action=%20DBDel&Family=x&Key=y'],
  ['UserEvent', 'action=+UserEvent&UserEvent=Boom'],
  ['trailing space (unknown to Asterisk)', 'action=Originate%20&Channel=Local/1@x'],
  ['unknown action', 'action=NoSuchAction'],
  ['name with a colon', 'Action%3AOriginate=&action=Ping'],
  ['name with a space', 'action%20=Originate&action=Ping'],
  ['Getvar SHELL', 'action=Getvar&variable=SHELL(id)'],
  ['Getvar SHELL with a leading blank', 'action=%20Getvar&variable=%20SHELL(id)'],
  ['Getvar SHELL under a mixed-case name', 'action=Getvar&VaRiAbLe=%09EVAL(x)'],
  ['Status with SHELL in Variables', 'action=status&variables=SHELL(id)'],
];

t.test('the wallboard (write reporting) gets nothing forbidden through, however it is spelled', async (t) => {
  for (const how of TRANSPORTS) {
    for (const [name, query] of NOTHING_FOR_WALLBOARD) {
      clear();
      const body = await wall.send(how, query);
      t.match(body, /Permission denied|Invalid\/unknown command|Access Forbidden|Invalid character in parameter/, `${how} ${name}: refused`);
      const got = received();
      const forwarded = got.filter((m) => m.get('Action') !== 'Ping');
      t.same(
        forwarded.map((m) => m.toObject()),
        [],
        `${how} ${name}: nothing but a Ping reached the simulator`,
      );
    }
  }
});

t.test('unknown names get Asterisk\'s exact text and are never forwarded, for admin too', async (t) => {
  for (const how of TRANSPORTS) {
    clear();
    const body = await admin.send(how, 'action=NoSuchAction&ActionID=abc123');
    if (how !== 'mxml') {
      t.equal(
        body,
        'Response: Error\r\nActionID: abc123\r\nMessage: Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands.\r\n\r\n',
        `${how}: http_16a's bytes`,
      );
    }
    clear();
    const trailing = await admin.send(how, 'action=Ping%20');
    t.match(trailing, /Invalid\/unknown command: Ping \. Use Action/, `${how}: a trailing blank is kept, as Asterisk does`);
    t.same(received().map((m) => m.toObject()), [], `${how}: nothing forwarded`);
  }
});

t.test('admin: whatever the spelling, exactly one Action line, the normalized name', async (t) => {
  const variants: Array<[string, string]> = [
    ['space', 'action=%20CoreStatus'],
    ['plus', 'action=+CoreStatus'],
    ['tab', 'action=%09CoreStatus'],
    ['%01', 'action=%01CoreStatus'],
    ['blank first', 'action=%20%09&ACTION=CoreStatus'],
    ['duplicate action', 'action=CoreStatus&action=Command&command=core+show+version'],
  ];
  for (const how of TRANSPORTS) {
    for (const [name, query] of variants) {
      clear();
      const body = await admin.send(how, `${query}&X-Mark=1`);
      t.match(body, /CoreStartupTime|CoreStartupDate|Success/, `${how} ${name}: ran`);
      const got = received();
      t.equal(got.length, 1, `${how} ${name}: one action upstream`);
      t.same(got[0]!.getAll('Action'), ['CoreStatus'], `${how} ${name}: one Action header, normalized`);
    }
  }
});

t.test('duplicated ActionID: the first is echoed, only the proxy\'s goes upstream', async (t) => {
  for (const how of TRANSPORTS) {
    clear();
    const body = await admin.send(how, 'action=Ping&ActionID=%20first&ActionID=second&actionid=third&X-Mark=1');
    if (how !== 'mxml') t.match(body, /^Response: Success\r\nActionID: first\r\n/, `${how}: first ActionID echoed, leading blank skipped`);
    const got = received();
    t.equal(got.length, 1);
    const ids = got[0]!.getAll('ActionID');
    t.equal(ids.length, 1, `${how}: one ActionID line upstream`);
    t.notOk(['first', 'second', 'third', ' first'].includes(ids[0]!), `${how}: and it is the proxy's own`);
  }
});

t.test('Originate guard rails: the Application checked is the one Asterisk reads', async (t) => {
  const denied: Array<[string, string]> = [
    ['System', 'Application=System&Data=id'],
    ['leading space', 'Application=%20System&Data=id'],
    ['tab and case', 'application=%09sYsTeM&Data=id'],
    ['%01', 'Application=%01Exec&Data=x'],
    ['SHELL in Data', 'Application=Playback&Data=${SHELL(id)}'],
    ['second Application harmless, first bad', 'application=System&Application=Playback&Data=id'],
  ];
  const base = 'action=Originate&Channel=Local/100@test&Async=true&';
  for (const how of TRANSPORTS) {
    for (const [name, q] of denied) {
      clear();
      const body = await caller.send(how, base + q.replace('${', '%24%7B').replace('}', '%7D'));
      t.match(body, /Originate Access Forbidden/, `${how} ${name}: refused`);
      t.same(received().map((m) => m.toObject()), [], `${how} ${name}: nothing upstream`);
    }
    clear();
    const body = await caller.send(how, base + 'Application=Playback&application=System&Data=hello&data=id&X-Mark=1');
    t.match(body, /Success/, `${how}: the first Application is harmless: queued`);
    const got = received().filter((m) => m.get('Action') === 'Originate');
    t.equal(got.length, 1);
    t.same(got[0]!.getAll('Application'), ['Playback'], `${how}: only the Application that was checked went upstream`);
    t.same(got[0]!.getAll('Data'), ['hello'], `${how}: only the Data that was checked went upstream`);
  }
  t.notOk(allValues('Application').includes('System'));
});

t.test('Getvar: the Variable checked is the only one sent', async (t) => {
  for (const how of TRANSPORTS) {
    clear();
    const body = await wall.send(how, 'action=Getvar&Variable=CHANNEL_COUNT&variable=SHELL(id)&X-Mark=1');
    t.notMatch(body, /Access Forbidden/, `${how}: the first Variable is harmless`);
    const got = received().filter((m) => m.get('Action') === 'Getvar');
    t.equal(got.length, 1);
    t.same(got[0]!.getAll('Variable'), ['CHANNEL_COUNT'], `${how}: the SHELL copy never went upstream`);
  }
});

t.test('ListCommands is answered per user, lines kept byte for byte', async (t) => {
  const full = await admin.cookie.get('/rawman?action=ListCommands');
  const mine = await wall.cookie.get('/rawman?action=ListCommands');
  const fullLines = full.body.split('\r\n');
  const myLines = mine.body.split('\r\n');
  t.ok(fullLines.some((l) => l.startsWith('Originate: ')), 'admin sees Originate');
  t.notOk(myLines.some((l) => /^(Originate|Command|DBPut|DBDel|UserEvent|Getvar|Setvar): /.test(l) && !/Priv: [^)]*reporting/.test(l)), 'the wallboard sees no action it may not run');
  t.ok(myLines.some((l) => l.startsWith('Status: ')), 'but those of its class');
  t.ok(myLines.some((l) => l.startsWith('Ping: ')), 'and those of no class');
  t.ok(myLines.every((l) => fullLines.includes(l)), 'every line is one of Asterisk\'s own');
  t.ok(myLines.length < fullLines.length);
  t.match(mine.body, /^Response: Success\r\n/);
  t.ok(mine.body.endsWith('\r\n\r\n'));
});
