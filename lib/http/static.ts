// `<prefix>/static/<path>` (spec §1.6): files from the configured folder, GET/HEAD only.
//
// Asterisk's rules, kept: 403 "Access Denied" when the path starts with a byte below 33 or one of
// `./|~@#$%^&*() \t`, contains `/..`, is over 1024 bytes, or contains `/private/` without an
// authenticated session cookie; 404 for missing files and directories. The path is not
// percent-decoded. Added: the resolved file must stay inside the folder (symlinks included).
// ETag `"<mtime>"` + Last-Modified; a matching If-None-Match gives 304. No Cache-Control, as Asterisk.
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

const MAX_PATH = 1024;
const FORBIDDEN_FIRST = './|~@#$%^&*() \t';

/** Asterisk's table (http.c `mimetypes[]`), plus a few types a web console needs. */
const MIME: Readonly<Record<string, string>> = {
  png: 'image/png',
  xml: 'text/xml',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  js: 'application/javascript',
  mjs: 'application/javascript',
  json: 'application/json',
  wav: 'audio/x-wav',
  mp3: 'audio/mpeg',
  svg: 'image/svg+xml',
  svgz: 'image/svg+xml',
  gif: 'image/gif',
  ico: 'image/x-icon',
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  txt: 'text/plain',
  cnf: 'text/plain',
  cfg: 'text/plain',
  woff: 'font/woff',
  woff2: 'font/woff2',
  bin: 'application/octet-stream',
  sbn: 'application/octet-stream',
  ld: 'application/octet-stream',
};

export function mimeType(file: string): string {
  const ext = extname(file).slice(1).toLowerCase();
  if (ext === '') return 'text/plain';
  return MIME[ext] ?? `text/${ext}`;
}

/** Asterisk's path checks (static_callback), except `/private/` which needs the session store. */
export function staticPathAllowed(sub: string): boolean {
  if (sub.length === 0 || sub.length > MAX_PATH) return false;
  const c = sub.charCodeAt(0);
  if (c < 33 || FORBIDDEN_FIRST.includes(sub[0]!)) return false;
  if (sub.includes('/..')) return false;
  // A NUL or backslash could only be an attempt to escape the folder on some platform.
  return !sub.includes('\0') && !sub.includes('\\');
}

export function isPrivatePath(sub: string): boolean {
  return sub.includes('/private/');
}

export type StaticResult =
  | { kind: 'file'; body: Buffer; type: string; etag: string; lastModified: string }
  | { kind: 'not-modified'; etag: string; lastModified: string }
  | { kind: 'not-found' }
  | { kind: 'forbidden' };

/**
 * Looks `sub` up under `root` (an absolute, real path). Never throws for a missing or unreadable
 * file: that is 'not-found'.
 */
export async function readStatic(root: string, sub: string, ifNoneMatch: string): Promise<StaticResult> {
  let file: string;
  try {
    file = await realpath(join(root, sub));
  } catch {
    return { kind: 'not-found' };
  }
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) return { kind: 'forbidden' };
  try {
    const st = await stat(file);
    if (!st.isFile()) return { kind: 'not-found' };
    const etag = `"${Math.floor(st.mtimeMs / 1000)}"`;
    const lastModified = st.mtime.toUTCString();
    if (ifNoneMatch !== '' && ifNoneMatch === etag) return { kind: 'not-modified', etag, lastModified };
    const body = await readFile(file);
    return { kind: 'file', body, type: mimeType(file), etag, lastModified };
  } catch {
    return { kind: 'not-found' };
  }
}
