// Asterisk-style .conf reader (the syntax of manager.conf and friends):
//   [section]            [user](!) template   [user](base1,base2) inherits   [user](+) appends
//   key = value          key => value          ; comment     \; a literal semicolon
//   ;-- block comment, may span lines and nest --;
//   #include "other.conf"   #tryinclude "maybe/*.conf"   (relative to the including file)
// Repeated keys are kept in order. Every entry remembers its file and line so that later
// validation can say exactly where a bad value is. Syntax errors throw AjamError CONF_ERR_SYNTAX
// with a `file:line: message` text.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AjamError, ErrorCodes, type ErrorCode } from '../errors.ts';

export interface ConfEntry {
  key: string;
  value: string;
  /** True for `key => value` (Asterisk "object" syntax); otherwise identical. */
  object: boolean;
  file: string;
  line: number;
}

export interface ConfSection {
  name: string;
  /** `[name](!)`: a template, only there to be inherited from. */
  template: boolean;
  file: string;
  line: number;
  entries: ConfEntry[];
}

/** Resolves an `#include` argument to the files it names, each with its text. */
export type IncludeResolver = (spec: string, from: string, line: number, optional: boolean) => { file: string; text: string }[];

export interface ParseOptions {
  /** Without it, `#include` is a syntax error (parseConf works on text only). */
  include?: IncludeResolver;
}

const MAX_INCLUDE_DEPTH = 16;

/** `file:line: message` as an AjamError. */
export function confError(code: ErrorCode, file: string, line: number, message: string): AjamError {
  return new AjamError(code, `${file}:${line}: ${message}`);
}

/** Parses config text. `file` is only used in messages and entries. */
export function parseConf(text: string, file: string, options: ParseOptions = {}): ConfSection[] {
  const p = new ConfParser(options.include);
  p.feed(text, file, 0);
  p.finish();
  return p.sections;
}

/** Reads and parses a config file, following `#include` / `#tryinclude`. */
export function readConf(path: string): ConfSection[] {
  const abs = resolve(path);
  return parseConf(readText(abs), abs, { include: includeFiles });
}

function readText(file: string, from?: { file: string; line: number }): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const msg = `cannot read config file '${file}' (${why})`;
    if (from !== undefined) throw confError(ErrorCodes.CONF_ERR_FILE, from.file, from.line, msg);
    throw new AjamError(ErrorCodes.CONF_ERR_FILE, msg);
  }
}

/** `#include` resolver for files on disk: relative to the including file, `*`/`?` in the last part. */
function includeFiles(spec: string, from: string, line: number, optional: boolean): { file: string; text: string }[] {
  const target = resolve(dirname(from), spec);
  const base = basename(target);
  let files: string[];
  if (/[*?]/.test(base)) {
    const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    let names: string[] = [];
    try {
      names = readdirSync(dirname(target));
    } catch {
      names = [];
    }
    files = names
      .filter((n) => re.test(n))
      .sort()
      .map((n) => join(dirname(target), n))
      .filter((f) => statSync(f).isFile());
    if (files.length === 0 && !optional) {
      throw confError(ErrorCodes.CONF_ERR_FILE, from, line, `#include '${spec}' matches no file`);
    }
  } else {
    let exists = true;
    try {
      exists = statSync(target).isFile();
    } catch {
      exists = false;
    }
    if (!exists && optional) return [];
    files = [target];
  }
  return files.map((f) => ({ file: f, text: readText(f, { file: from, line }) }));
}

class ConfParser {
  readonly sections: ConfSection[] = [];
  private current: ConfSection | undefined = undefined;
  /** Open `;--` block comments (they nest, as in Asterisk). */
  private commentDepth = 0;
  private commentStart: { file: string; line: number } | undefined = undefined;
  private readonly include: IncludeResolver | undefined;

  constructor(include: IncludeResolver | undefined) {
    this.include = include;
  }

  feed(text: string, file: string, depth: number): void {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      let raw = lines[i]!;
      if (raw.endsWith('\r')) raw = raw.slice(0, -1);
      const line = this.stripComments(raw, file, i + 1).trim();
      if (line === '') continue;
      this.handleLine(line, file, i + 1, depth);
    }
  }

  finish(): void {
    if (this.commentDepth > 0) {
      const at = this.commentStart!;
      throw confError(ErrorCodes.CONF_ERR_SYNTAX, at.file, at.line, `';--' block comment is never closed with '--;'`);
    }
  }

  /** Removes `;` comments and block comments, turning `\;` into `;`. */
  private stripComments(line: string, file: string, lineNo: number): string {
    let out = '';
    let i = 0;
    const n = line.length;
    while (i < n) {
      if (this.commentDepth > 0) {
        const open = line.indexOf(';--', i);
        const close = line.indexOf('--;', i);
        if (close === -1 && open === -1) return out;
        if (open !== -1 && (close === -1 || open < close)) {
          this.commentDepth++;
          i = open + 3;
        } else {
          this.commentDepth--;
          i = close + 3;
        }
        continue;
      }
      const semi = line.indexOf(';', i);
      if (semi === -1) {
        out += line.slice(i);
        break;
      }
      if (semi > 0 && line.charCodeAt(semi - 1) === 92 /* \ */) {
        out += line.slice(i, semi - 1) + ';';
        i = semi + 1;
        continue;
      }
      out += line.slice(i, semi);
      if (line.startsWith(';--', semi)) {
        this.commentDepth = 1;
        this.commentStart = { file, line: lineNo };
        i = semi + 3;
        continue;
      }
      break;
    }
    return out;
  }

  private handleLine(line: string, file: string, lineNo: number, depth: number): void {
    const c = line.charCodeAt(0);
    if (c === 91 /* [ */) return this.section(line, file, lineNo);
    if (c === 35 /* # */) return this.directive(line, file, lineNo, depth);
    const eq = line.indexOf('=');
    if (eq === -1) {
      throw confError(ErrorCodes.CONF_ERR_SYNTAX, file, lineNo, `expected 'key = value', '[section]' or a comment, got '${line}'`);
    }
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1);
    let object = false;
    if (value.startsWith('>')) {
      object = true;
      value = value.slice(1);
    }
    if (key === '') throw confError(ErrorCodes.CONF_ERR_SYNTAX, file, lineNo, `missing key before '${object ? '=>' : '='}'`);
    if (this.current === undefined) {
      throw confError(ErrorCodes.CONF_ERR_SYNTAX, file, lineNo, `'${key}' is outside any [section]`);
    }
    this.current.entries.push({ key, value: value.trim(), object, file, line: lineNo });
  }

  private section(line: string, file: string, lineNo: number): void {
    const close = line.indexOf(']');
    if (close === -1) throw confError(ErrorCodes.CONF_ERR_SYNTAX, file, lineNo, `missing ']' in section header '${line}'`);
    const name = line.slice(1, close).trim();
    if (name === '') throw confError(ErrorCodes.CONF_ERR_SYNTAX, file, lineNo, 'empty section name');
    const rest = line.slice(close + 1).trim();
    let template = false;
    let append = false;
    const bases: ConfSection[] = [];
    if (rest !== '') {
      if (!rest.startsWith('(') || !rest.endsWith(')')) {
        throw confError(ErrorCodes.CONF_ERR_SYNTAX, file, lineNo, `unexpected '${rest}' after [${name}]`);
      }
      for (const opt of rest.slice(1, -1).split(',')) {
        const o = opt.trim();
        if (o === '!') template = true;
        else if (o === '+') append = true;
        else if (o === '') throw confError(ErrorCodes.CONF_ERR_SYNTAX, file, lineNo, `empty option in [${name}]${rest}`);
        else {
          const base = this.find(o);
          if (base === undefined) {
            throw confError(ErrorCodes.CONF_ERR_SYNTAX, file, lineNo, `[${name}] inherits from '${o}', which is not defined above`);
          }
          bases.push(base);
        }
      }
    }
    if (append) {
      const existing = this.find(name);
      if (existing === undefined) {
        throw confError(ErrorCodes.CONF_ERR_SYNTAX, file, lineNo, `[${name}](+) appends to a section that is not defined above`);
      }
      this.current = existing;
      return;
    }
    const section: ConfSection = { name, template, file, line: lineNo, entries: [] };
    // Inherited entries come first, so the section's own lines are read after them.
    for (const b of bases) for (const e of b.entries) section.entries.push(e);
    this.sections.push(section);
    this.current = section;
  }

  private find(name: string): ConfSection | undefined {
    for (let i = this.sections.length - 1; i >= 0; i--) if (this.sections[i]!.name === name) return this.sections[i];
    return undefined;
  }

  private directive(line: string, file: string, lineNo: number, depth: number): void {
    const m = /^#\s*([a-zA-Z]+)\s*(.*)$/.exec(line);
    const word = m === null ? '' : m[1]!.toLowerCase();
    if (word !== 'include' && word !== 'tryinclude') {
      throw confError(ErrorCodes.CONF_ERR_SYNTAX, file, lineNo, `unsupported directive '${line}' (only #include and #tryinclude)`);
    }
    let spec = m![2]!.trim();
    if ((spec.startsWith('"') && spec.endsWith('"')) || (spec.startsWith('<') && spec.endsWith('>'))) spec = spec.slice(1, -1).trim();
    if (spec === '') throw confError(ErrorCodes.CONF_ERR_SYNTAX, file, lineNo, `#${word} needs a file name`);
    if (this.include === undefined) {
      throw confError(ErrorCodes.CONF_ERR_SYNTAX, file, lineNo, `#${word} is not available here`);
    }
    if (depth >= MAX_INCLUDE_DEPTH) {
      throw confError(ErrorCodes.CONF_ERR_SYNTAX, file, lineNo, `#${word} nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`);
    }
    for (const inc of this.include(spec, file, lineNo, word === 'tryinclude')) this.feed(inc.text, inc.file, depth + 1);
  }
}
