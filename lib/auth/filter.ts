// Event filters, as Asterisk's manager_add_filter / should_send_event (manager.c, 20.x+):
//   eventfilter = Event: Newchannel          legacy: a regex over the whole event text
//   eventfilter = !Channel: DAHDI/           legacy exclude
//   eventfilter(action(exclude),name(Newchannel),header(Channel),method(starts_with)) = Local/
// and the Filter action (`Operation: Add`, `Filter`, optional `MatchCriteria`), which builds the
// same `eventfilter(<MatchCriteria>)` criteria. Decision (spec §4.4): no rules → send; only
// includes → some include matches; only excludes → no exclude matches; both → an include matches
// and no exclude does.
import type { AmiMessage } from '../ami/message.ts';
import { LINE_SLOTS } from '../ami/message.ts';
import { AjamError, ErrorCodes } from '../errors.ts';
import type { EventFilterRule } from './types.ts';

export type MatchMethod = 'regex' | 'exact' | 'starts_with' | 'ends_with' | 'contains' | 'none';

const METHODS: ReadonlySet<string> = new Set(['regex', 'exact', 'starts_with', 'ends_with', 'contains', 'none']);

export class FilterRule implements EventFilterRule {
  readonly exclude: boolean;
  readonly method: MatchMethod;
  /** `name(...)`: the event name must equal this (case-sensitive, as Asterisk's hash compare). */
  readonly eventName: string | undefined;
  /** `header(...)` as bytes of `Name:`; only lines starting with it are matched. */
  readonly header: Buffer | undefined;
  readonly pattern: string;
  /** The criteria and pattern as given, for listings and messages. */
  readonly source: string;
  private readonly regex: RegExp | undefined;
  // Byte forms, so that only regex rules ever decode event bytes to text.
  private readonly nameBytes: Buffer | undefined;
  private readonly patternBytes: Buffer;

  constructor(opts: {
    exclude: boolean;
    method: MatchMethod;
    eventName?: string | undefined;
    header?: string | undefined;
    pattern: string;
    regex?: RegExp | undefined;
    source: string;
  }) {
    this.exclude = opts.exclude;
    this.method = opts.method;
    this.eventName = opts.eventName;
    this.header = opts.header === undefined ? undefined : Buffer.from(opts.header.endsWith(':') ? opts.header : `${opts.header}:`);
    this.pattern = opts.pattern;
    this.regex = opts.regex;
    this.source = opts.source;
    this.nameBytes = opts.eventName === undefined ? undefined : Buffer.from(opts.eventName);
    this.patternBytes = Buffer.from(opts.pattern);
  }

  matches(event: AmiMessage): boolean {
    if (this.nameBytes !== undefined && !nameIs(event, this.nameBytes)) return false;
    const raw = event.raw;
    if (this.header === undefined) {
      return this.method === 'regex' ? this.regex!.test(eventText(event)) : this.test(raw, 0, raw.length);
    }
    // A specific header: each line starting with `Name:` whose value is not empty is tried.
    const lines = event.lines;
    const h = this.header;
    const hl = h.length;
    const h0 = h[0]!;
    for (let i = 0; i < event.count; i++) {
      const b = event.base + i * LINE_SLOTS;
      const start = lines[b]!;
      const end = lines[b + 2]!;
      if (end - start < hl || raw[start] !== h0 || !bytesAt(raw, start, h)) continue;
      let p = start + hl;
      while (p < end && raw[p]! < 33) p++; // ast_skip_blanks
      if (p === end) continue;
      if (this.method === 'regex' ? this.regex!.test(raw.toString('utf8', p, end)) : this.test(raw, p, end)) return true;
    }
    return false;
  }

  /** The non-regex methods on raw[start, end), byte for byte (same answers as on the text). */
  private test(raw: Buffer, start: number, end: number): boolean {
    const pat = this.patternBytes;
    const n = pat.length;
    switch (this.method) {
      case 'exact':
        return end - start === n && bytesAt(raw, start, pat);
      case 'starts_with':
        return end - start >= n && bytesAt(raw, start, pat);
      case 'ends_with':
        return end - start >= n && bytesAt(raw, end - n, pat);
      case 'contains': {
        const at = raw.indexOf(pat, start);
        return at !== -1 && at + n <= end;
      }
      default:
        return true; // 'none' ('regex' is handled by the caller)
    }
  }
}

function bytesAt(raw: Buffer, at: number, what: Buffer): boolean {
  for (let j = 0; j < what.length; j++) if (raw[at + j] !== what[j]) return false;
  return true;
}

/** Is the event's name (its `Event:` value) exactly these bytes? No decoding. */
function nameIs(event: AmiMessage, name: Buffer): boolean {
  const i = event.count > 0 && event.keyEquals(0, 'Event') ? 0 : event.indexOf('Event');
  if (i === -1) return false;
  const b = event.base + i * LINE_SLOTS;
  const raw = event.raw;
  const end = event.lines[b + 2]!;
  let p = event.lines[b + 1]! + 1;
  while (p < end && (raw[p] === 32 || raw[p] === 9)) p++;
  return end - p === name.length && bytesAt(raw, p, name);
}

// The whole-event text is decoded once per event, not once per rule and session: sessions are
// walked event by event, so the last event is usually the one asked about again.
let lastEvent: AmiMessage | undefined;
let lastText = '';

/** The event as Asterisk's `eventdata`: its exact bytes as text. */
export function eventText(event: AmiMessage): string {
  if (event !== lastEvent) {
    lastText = event.raw.toString('utf8');
    lastEvent = event;
  }
  return lastText;
}

/** spec §4.4 include/exclude logic over one rule list (user eventfilters + session Filters). */
export function shouldSendEvent(rules: readonly EventFilterRule[], event: AmiMessage): boolean {
  const n = rules.length;
  if (n === 0) return true;
  let hasInclude = false;
  let included = false;
  let hasExclude = false;
  for (let i = 0; i < n; i++) {
    const r = rules[i]!;
    if (r.exclude) hasExclude = true;
    else {
      hasInclude = true;
      if (!included && r.matches(event)) included = true;
    }
  }
  if (hasInclude && !included) return false;
  if (!hasExclude) return true;
  for (let i = 0; i < n; i++) {
    const r = rules[i]!;
    if (r.exclude && r.matches(event)) return false;
  }
  return true;
}

/** Why a filter was refused; `kind` picks Asterisk's Filter action reply. */
export class FilterError extends Error {
  readonly kind: 'format' | 'compile';
  constructor(kind: 'format' | 'compile', message: string) {
    super(message);
    this.kind = kind;
    this.name = 'FilterError';
  }
}

/**
 * manager_add_filter: `criteria` is the config key (`eventfilter` or `eventfilter(...)`),
 * `pattern` its value. Throws FilterError.
 */
export function parseFilter(criteria: string, pattern: string): FilterRule {
  const source = `${criteria} = ${pattern}`;
  let exclude = false;
  let pat = pattern;
  // `!` excludes, for legacy filters and (unless action() says otherwise) advanced ones.
  if (pat.startsWith('!')) {
    exclude = true;
    pat = pat.slice(1);
  }
  const open = criteria.indexOf('(');
  if (open === -1) {
    if (pat === '') throw new FilterError('format', `'${source}': a legacy filter needs a pattern`);
    return new FilterRule({ exclude, method: 'regex', pattern: pat, regex: compileRegex(pat, source), source });
  }

  let method: MatchMethod = 'none';
  let eventName: string | undefined;
  let header: string | undefined;
  let found = 0;
  const body = criteria.slice(open + 1).trim();
  if (body === '' || !body.endsWith(')')) throw new FilterError('format', `'${source}': filter options not formatted correctly`);
  // Asterisk tokenises on blanks, commas and ')', so `action(exclude)` reads as `action(exclude`.
  for (const option of body.split(/[ ,)]+/)) {
    if (option === '') continue;
    const paren = option.indexOf('(');
    const name = paren === -1 ? option : option.slice(0, paren);
    const arg = paren === -1 ? '' : option.slice(paren + 1).trim();
    if (name === 'action') {
      if (arg === 'include') exclude = false;
      else if (arg === 'exclude') exclude = true;
      else throw new FilterError('format', `'${source}': action must be include or exclude, not '${arg}'`);
    } else if (name === 'name') {
      if (arg === '') throw new FilterError('format', `'${source}': 'name' parameter not formatted correctly`);
      eventName = arg;
    } else if (name === 'header') {
      if (arg === '') throw new FilterError('format', `'${source}': 'header' parameter not formatted correctly`);
      header = arg;
    } else if (name === 'method') {
      if (!METHODS.has(arg)) throw new FilterError('format', `'${source}': method '${arg}' is unknown`);
      method = arg as MatchMethod;
    } else {
      throw new FilterError('format', `'${source}': filter option '${option}' is unknown`);
    }
    found++;
  }
  if (found === 0) throw new FilterError('format', `'${source}': no action, name, header or method option found`);
  if (pat === '' && method !== 'none') throw new FilterError('format', `'${source}': method can't be '${method}' with no filter pattern`);
  if (pat !== '' && method === 'none') throw new FilterError('format', `'${source}': method can't be 'none' with a filter pattern`);
  if (eventName === undefined && header === undefined && method === 'none') {
    throw new FilterError('format', `'${source}': no name or header option found and no filter pattern`);
  }
  const regex = method === 'regex' ? compileRegex(pat, source) : undefined;
  return new FilterRule({ exclude, method, eventName, header, pattern: pat, regex, source });
}

/**
 * A users-file `eventfilter…` line as a rule; a bad one is a startup error naming the line
 * (Asterisk only logs a warning and drops it, which silently widens what the user receives).
 */
export function parseEventFilterEntry(key: string, value: string, file: string, line: number): FilterRule {
  try {
    return parseFilter(key, value);
  } catch (err) {
    if (err instanceof FilterError) throw new AjamError(ErrorCodes.CONF_ERR_VALUE, `${file}:${line}: ${err.message}`);
    throw err;
  }
}

/** What a Filter action asked for: a rule to add, or the reply text for `Response: Error`. */
export type FilterActionResult = { ok: true; rule: FilterRule; message: 'Success' } | { ok: false; message: string };

/** Parses a Filter action (action_filter). `get` is a case-insensitive first-match header lookup. */
export function parseFilterAction(request: { get(name: string): string | undefined }): FilterActionResult {
  const operation = request.get('Operation') ?? '';
  if (operation.toLowerCase() !== 'add') return { ok: false, message: 'Unknown operation' };
  const criteria = request.get('MatchCriteria') ?? '';
  const filter = request.get('Filter') ?? '';
  try {
    const rule = parseFilter(criteria === '' ? 'eventfilter' : `eventfilter(${criteria})`, filter);
    return { ok: true, rule, message: 'Success' };
  } catch (err) {
    if (!(err instanceof FilterError)) throw err;
    return {
      ok: false,
      message:
        err.kind === 'compile'
          ? 'Filter did not compile.  Check the syntax of the filter given.'
          : 'Filter was formatted incorrectly.  Check the syntax of the filter given.',
    };
  }
}

// POSIX bracket classes have no JavaScript spelling; everything else in an extended regex does.
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\r\\n\\v\\f',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
};

/**
 * A POSIX extended regex (regcomp REG_EXTENDED, no REG_NEWLINE) as a JavaScript RegExp: `.`
 * matches newlines too (the `s` flag), `^`/`$` anchor the whole text, `[:class:]` is translated.
 */
export function compileRegex(pattern: string, source = pattern): RegExp {
  const js = pattern.replace(/\[:([a-z]+):\]/g, (m, name: string) => POSIX_CLASSES[name] ?? m);
  try {
    return new RegExp(js, 's');
  } catch (err) {
    throw new FilterError('compile', `'${source}': regex does not compile (${(err as Error).message})`);
  }
}
