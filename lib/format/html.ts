// /manager (and /amanager): AMI output → the HTML "Manager Tester" page, byte for byte as Asterisk
// (spec §3.4). Rows come from the same translator as /mxml (translate.ts): one
// `<tr><td>Name</td><td>Value</td></tr>\n` per header, `<tr><td colspan="2"><hr></td></tr>\r\n` after
// each message, opaque text as `<tr><td>Opaque-data</td><td>a<br>\nb</td></tr>\n`.
//
// The preambles are Asterisk's exact bytes (spec examples and the 22.10.1 captures), so existing
// screen-scrapers and the golden tests see no difference. The form posts to the relative URL
// `manager`, which also works under a prefix.
import { translate } from './translate.ts';

/** Cookie endpoint (/manager) preamble: 727 bytes, no <html>/<head>, form lines end in bare LF. */
export const HTML_HEAD = Buffer.from(
  '<title>Asterisk&trade; Manager Interface</title>' +
    '<body bgcolor="#ffffff"><table align=center bgcolor="#f1f1f1" width="500">\r\n' +
    '<tr><td colspan="2" bgcolor="#f1f1ff"><h1>Manager Tester</h1></td></tr>\r\n' +
    '<tr><td colspan="2" bgcolor="#f1f1ff"><form action="manager" method="post">\n' +
    '\tAction: <select name="action">\n' +
    '\t\t<option value="">-----&gt;</option>\n' +
    '\t\t<option value="login">login</option>\n' +
    '\t\t<option value="command">Command</option>\n' +
    '\t\t<option value="waitevent">waitevent</option>\n' +
    '\t\t<option value="listcommands">listcommands</option>\n' +
    '\t</select>\n' +
    '\tor <input name="action"><br/>\n' +
    '\tCLI Command <input name="command"><br>\n' +
    '\tuser <input name="username"> pass <input type="password" name="secret"><br>\n' +
    '\t<input type="submit">\n' +
    '</form>\n' +
    '</td></tr>\r\n',
);
export const HTML_TAIL = Buffer.from('</table></body>\r\n');

/** Digest endpoint (/amanager) template (spec §2.5, capture http_13d). */
export const HTML_DIGEST_HEAD = Buffer.from(
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n' +
    '<html><head>\r\n' +
    '<title>Asterisk&trade; Manager Interface</title>\r\n' +
    '</head><body style="background-color: #ffffff;">\r\n' +
    '<form method="POST">\r\n' +
    '<table align="center" style="background-color: #f1f1f1;" width="500">\r\n' +
    '<tr><th colspan="2" style="background-color: #f1f1ff;"><h1>Manager Tester</h1></th></tr>\r\n' +
    '<tr><th colspan="2" style="background-color: #f1f1ff;">Action: <input name="action" /> ' +
    'Cmd: <input name="command" /><br><input type="submit" value="Send request" /></th></tr>\r\n',
);
export const HTML_DIGEST_TAIL = Buffer.from('</table></form></body></html>\r\n');

/** The whole /manager body for one request's AMI output. Empty output → preamble + footer. */
export function html(out: Buffer): Buffer {
  return translate(out, null, HTML_HEAD, HTML_TAIL);
}

/** The whole /amanager (digest) body. */
export function htmlDigest(out: Buffer): Buffer {
  return translate(out, null, HTML_DIGEST_HEAD, HTML_DIGEST_TAIL);
}

/** The rows of one AMI message (no preamble/footer); same joining caveat as mxmlBlock. */
export function htmlBlock(message: Buffer): Buffer {
  return translate(message, null, null, null);
}

/** Preamble + row blocks + footer; `digest` selects the /amanager template. */
export function htmlJoin(blocks: readonly Buffer[], digest = false): Buffer {
  return Buffer.concat([digest ? HTML_DIGEST_HEAD : HTML_HEAD, ...blocks, digest ? HTML_DIGEST_TAIL : HTML_TAIL]);
}
