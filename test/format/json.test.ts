import t from 'tap';
import { AmiMessage, parseOne } from '../../lib/ami/message.ts';
import { AmiParser } from '../../lib/ami/parser.ts';
import { json, jsonJoin, jsonMessage } from '../../lib/format/json.ts';

function parseAll(text: string): AmiMessage[] {
  const msgs: AmiMessage[] = [];
  const p = new AmiParser({ onMessage: (m) => msgs.push(m) });
  p.push(Buffer.from(text));
  return msgs;
}

t.test('array of objects, key case and order kept', async (t) => {
  const msgs = parseAll('Response: Success\r\nActionID: 1\r\nPing: Pong\r\nTimestamp: 1.5\r\n\r\nEvent: X\r\n2: two\r\n\r\n');
  const text = json(msgs).toString();
  t.equal(text, '[{"Response":"Success","ActionID":"1","Ping":"Pong","Timestamp":"1.5"},{"Event":"X","2":"two"}]');
  t.same(JSON.parse(text), [
    { Response: 'Success', ActionID: '1', Ping: 'Pong', Timestamp: '1.5' },
    { Event: 'X', 2: 'two' },
  ]);
  t.equal(json([]).toString(), '[]');
});

t.test('repeated keys become arrays', async (t) => {
  const m = parseOne(Buffer.from('Response: Success\r\nOutput: a\r\nOutput: b\r\nOutput: \r\nVariable: x=1\r\n\r\n'));
  t.equal(jsonMessage(m).toString(), '{"Response":"Success","Output":["a","b",""],"Variable":"x=1"}');
});

t.test('escaping and UTF-8', async (t) => {
  const m = AmiMessage.from([
    ['Weird', 'a"b\\c</script>'],
    ['Name', 'café'],
    ['__proto__', 'x'],
  ]);
  const text = jsonMessage(m).toString('utf8');
  t.same(JSON.parse(text), JSON.parse('{"Weird":"a\\"b\\\\c</script>","Name":"café","__proto__":"x"}'));
});

t.test('pre-14 Follows body and lines without a colon go in "body"', async (t) => {
  const [m] = parseAll('Response: Follows\r\nPrivilege: Command\r\nActionID: 7\r\nline one\r\nline: two\r\n--END COMMAND--\r\n\r\n');
  t.same(JSON.parse(jsonMessage(m!).toString()), {
    Response: 'Follows',
    Privilege: 'Command',
    ActionID: '7',
    body: 'line one\r\nline: two\r\n',
  });
  const o = parseOne(Buffer.from('Response: Success\r\nfree text\r\nmore\r\n\r\n'));
  t.same(JSON.parse(jsonMessage(o).toString()), { Response: 'Success', body: 'free text\nmore' });
  const clash = parseOne(Buffer.from('body: header\r\nfree\r\n\r\n'));
  t.same(JSON.parse(jsonMessage(clash).toString()), { body: ['header', 'free'] }, 'nothing lost on a name clash');
});

t.test('jsonJoin of per-message objects = json of the list', async (t) => {
  const msgs = parseAll('Response: Success\r\nA: 1\r\n\r\nEvent: E\r\nB: 2\r\n\r\nEvent: F\r\n\r\n');
  t.ok(jsonJoin(msgs.map(jsonMessage)).equals(json(msgs)));
  t.equal(jsonJoin([]).toString(), '[]');
});
