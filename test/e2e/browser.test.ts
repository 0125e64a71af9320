// The wallboard (static/) in a real browser: Debian's Chromium driven by playwright-core against
// the whole proxy with the in-process simulator generating calls. It proves that a client written
// like Asterisk's astman.js (GET ../rawman, the browser's own cookie jar, WaitEvent long-poll)
// works unchanged: login, channels coming and going, the quoted cookie, per-user event classes,
// Authentication failed, network errors with backoff, EventsLost, Permission denied and Logoff.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { startTestApp } from '../helpers/app.ts';
import { systemPackageOrFail } from '../helpers/system.ts';
import type { TestApp } from '../helpers/app.ts';

const STATIC_DIR = fileURLToPath(new URL('../../static/', import.meta.url));
// Small enough that a board kept offline falls out of it, large enough for the live call traffic.
const EVENT_BUFFER = 3000;
const WAIT = { timeout: 10_000 };

// Debian's Chromium: installed here when missing and root, else one failed line naming the command.
const chromiumPath = systemPackageOrFail(t, 'chromium', 'chromium');
if (chromiumPath !== undefined) run(chromiumPath);

function run(CHROMIUM: string): void {
  let ta: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  t.before(async () => {
    ta = await startTestApp({
      general: `static = ${STATIC_DIR}\neventbuffer = ${EVENT_BUFFER}`,
      simulateCalls: true,
      callsPerSecond: 3,
      callConcurrency: 4,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  t.teardown(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await ta?.close();
  });

  async function openBoard(base = ta.base): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    const res = await page.goto(`${base}/static/index.html`);
    if (res?.status() !== 200) throw new Error(`static page: HTTP ${res?.status()}`);
    await page.locator('#login-form').waitFor(WAIT);
    return { context, page };
  }

  async function login(page: Page, user: string, secret: string): Promise<void> {
    await page.fill('#username', user);
    await page.fill('#secret', secret);
    await page.click('#login-button');
  }

  /** Event names currently in the page's log, newest first. */
  function logNames(page: Page): Promise<string[]> {
    return page.$$eval('#log li', (lis) => lis.map((li) => li.getAttribute('data-event') ?? ''));
  }

  async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  const isPoll = (r: Response): boolean => r.url().includes('action=waitevent');
  /** A fetch from inside the page: same origin, same cookie jar as the wallboard's own requests. */
  const pageGet = (page: Page, query: string): Promise<string> =>
    page.evaluate((q) => fetch(`../rawman?${q}`).then((r) => r.text()), query);

  let admin: { context: BrowserContext; page: Page };

  t.test('a wrong secret shows Authentication failed and stays on the login form', async (t) => {
    const { page } = await openBoard();
    await login(page, 'admin', 'not-the-secret');
    await page.locator('#login-msg.error', { hasText: 'Authentication failed' }).waitFor(WAIT);
    t.equal(await page.isVisible('#board'), false, 'board hidden');
    t.equal(await page.isVisible('#login-form'), true, 'login form shown');
  });

  t.test('admin: channels appear and disappear, events stream in, the quoted cookie works', async (t) => {
    admin = await openBoard();
    const { context, page } = admin;
    const pollCookies: string[] = [];
    page.on('request', (req) => {
      if (req.url().includes('action=waitevent')) void req.allHeaders().then((h) => pollCookies.push(h.cookie ?? ''));
    });
    await login(page, 'admin', 'adminpw');
    await page.locator('#board').waitFor({ state: 'visible', ...WAIT });
    t.equal(await page.textContent('#who'), 'admin');
    await page.locator('#status-info', { hasText: /^Status: \d+ channel/ }).waitFor(WAIT);

    // A channel shows up from Newchannel, then its row goes away on Hangup.
    const row = page.locator('#channels tr').first();
    await row.waitFor(WAIT);
    const key = await row.getAttribute('data-key');
    t.match(key, /^\d+\.\d+$/, 'rows are keyed by Uniqueid');
    t.match(await row.locator('td').first().textContent(), /^Local\//, 'channel name shown');
    await page.locator(`#channels tr[data-key="${key}"]`).waitFor({ state: 'detached', ...WAIT });
    t.pass('the channel row went away after its Hangup');

    await until(async () => {
      const names = await logNames(page);
      return ['Newchannel', 'Newstate', 'Hangup', 'Newexten', 'VarSet'].every((n) => names.includes(n));
    }, 'call and dialplan events in the admin log');
    t.ok(Number(await page.textContent('#event-count')) > 20, 'events counted');

    // The simulator's dialplan sets WEIRD=a<b>&"c"'d: it must show as text, never as markup.
    await page.locator('#log li[data-event="VarSet"]', { hasText: 'a<b>&' }).first().waitFor(WAIT);
    const foreign = await page.$$eval('#log *', (els) => els.filter((e) => e.tagName !== 'LI' && e.tagName !== 'SPAN').length);
    t.equal(foreign, 0, 'log holds only its own li/span elements');

    // The browser stored the cookie with its quotes (RFC 6265) and sends it back that way.
    const cookies = await context.cookies();
    const c = cookies.find((x) => x.name === 'mansession_id');
    t.ok(c, 'mansession_id cookie stored');
    t.match(c!.value, /^"[0-9a-f]{32}"$/, 'value stored with its double quotes');
    t.equal(c!.httpOnly, true, 'HttpOnly');
    t.equal(c!.sameSite, 'Lax', 'SameSite=Lax');
    t.equal(c!.path, '/', 'Path=/');
    t.ok(pollCookies.length > 0, 'polls seen');
    t.ok(
      pollCookies.every((h) => h.includes(`mansession_id=${c!.value}`)),
      'every poll sent the quoted value back',
    );
    const ping = await fetch(`${ta.base}/rawman?action=ping`, { headers: { cookie: `mansession_id=${c!.value}` } });
    t.match(await ping.text(), /^Response: Success\r\n/, 'the stored (quoted) value names the live session');
    t.equal(await page.evaluate('document.cookie'), '', 'HttpOnly: page scripts cannot read it');

    // Status: the whole EventList comes back in one reply.
    const statusReply = page.waitForResponse((r) => r.url().includes('action=status'), WAIT);
    await page.click('#refresh');
    const body = await (await statusReply).text();
    t.match(body, /^Response: Success\r\nActionID: wb-\d+\r\nEventList: start\r\n/, 'Status reply with our ActionID');
    t.match(body, /Event: StatusComplete\r\nActionID: wb-\d+\r\nEventList: Complete\r\n/, 'and its Complete in the same reply');
    await page.locator('#status-info', { hasText: /^Status: \d+ channel/ }).waitFor(WAIT);

    const png = await page.screenshot({ fullPage: true });
    t.equal(png.subarray(1, 4).toString('latin1'), 'PNG', 'screenshot taken');
    const shots = process.env.AJAM_SCREENSHOT_DIR;
    if (shots !== undefined && shots !== '') {
      mkdirSync(shots, { recursive: true });
      writeFileSync(join(shots, 'wallboard.png'), png);
      t.comment(`screenshot: ${join(shots, 'wallboard.png')}`);
    }
  });

  t.test('network errors: retry with backoff, then EventsLost once back', async (t) => {
    const { context, page } = admin;
    await context.setOffline(true);
    // Wake the parked WaitEvent so the board issues a request while offline.
    ta.app.sim!.emitEvent([['Event', 'WallboardNudge']], 'call');
    await page.locator('#conn[data-state="retrying"]').waitFor(WAIT);
    t.match(await page.textContent('#conn'), /network error .* retry \d+ in [\d.]+ s/, 'says it is retrying');

    // While it is away, more events than the ring holds go by.
    const target = ta.app.events.nextSeq + EVENT_BUFFER + 100;
    for (let i = 0; i < EVENT_BUFFER + 100; i++) ta.app.sim!.emitEvent([['Event', 'Flood'], ['N', String(i)]], 'call');
    await until(() => ta.app.events.nextSeq >= target, 'the flood in the event log');

    const lostReply = page.waitForResponse(async (r) => isPoll(r) && (await r.text()).includes('Event: EventsLost'), WAIT);
    await context.setOffline(false);
    const count = /Event: EventsLost\r\nCount: (\d+)\r\n/.exec(await (await lostReply).text())?.[1];
    t.ok(Number(count) > 0, `the proxy told how many were lost (${count})`);
    // The log rolls on with the rest of the flood; the banner stays.
    await page.locator('#lost', { hasText: `EventsLost: ${count} event(s) were lost` }).waitFor(WAIT);
    await page.locator('#conn[data-state="live"]').waitFor(WAIT);
    await page.locator('#status-info', { hasText: /^Status: \d+ channel/ }).waitFor(WAIT);
  });

  t.test('Permission denied on a poll (logged off from another tab) returns to the login form', async (t) => {
    const { page } = admin;
    const denied = page.waitForResponse(async (r) => isPoll(r) && (await r.text()).includes('Message: Permission denied'), WAIT);
    // Another tab shares the cookie jar, hence the session.
    t.match(await pageGet(page, 'action=logoff'), /^Response: Goodbye\r\n/);
    await denied;
    await page.locator('#login-form').waitFor({ state: 'visible', ...WAIT });
    t.match(await page.textContent('#login-msg'), /Permission denied: the session has expired or was logged off/);
    t.equal(await page.isVisible('#board'), false, 'board hidden');
  });

  t.test('Logoff button: back to the login form, and the session is dead', async (t) => {
    const { page } = admin;
    await login(page, 'admin', 'adminpw');
    await page.locator('#board').waitFor({ state: 'visible', ...WAIT });
    await page.locator('#log li').first().waitFor(WAIT);
    const logoff = page.waitForResponse((r) => r.url().includes('action=logoff'), WAIT);
    await page.click('#logoff');
    t.match(await (await logoff).text(), /^Response: Goodbye\r\nMessage: Thanks for all the fish\.\r\n/);
    await page.locator('#login-form').waitFor({ state: 'visible', ...WAIT });
    t.match(await page.textContent('#login-msg'), /^Logged off/);
    t.match(await pageGet(page, 'action=waitevent&timeout=0'), /^Response: Error\r\nMessage: Permission denied\r\n/, 'a poll now gets Permission denied');
  });

  t.test('wallboard user: only call-class events, never dialplan ones', async (t) => {
    const { page } = await openBoard();
    const bodies: Promise<string>[] = [];
    page.on('response', (r) => {
      if (isPoll(r)) bodies.push(r.text().catch(() => ''));
    });
    await login(page, 'wallboard', 'wallpw');
    await page.locator('#board').waitFor({ state: 'visible', ...WAIT });
    await page.locator('#status-info', { hasText: /^Status: \d+ channel/ }).waitFor(WAIT);
    await until(async () => {
      const names = await logNames(page);
      return names.includes('Newchannel') && names.includes('Hangup') && names.filter((n) => n === 'Hangup').length >= 4;
    }, 'whole calls in the wallboard log');
    const names = await logNames(page);
    for (const n of ['Newexten', 'VarSet', 'UserEvent', 'FullyBooted']) t.notOk(names.includes(n), `no ${n} in its log`);
    const all = (await Promise.all(bodies)).join('');
    t.notMatch(all, /Event: (Newexten|VarSet)\r\n/, 'no dialplan event in any poll reply');
    t.match(all, /Event: Newchannel\r\nPrivilege: call,all\r\n/, 'call events delivered');
  });

  t.test('under a prefix the relative ../rawman still works', async (t) => {
    const pre = await startTestApp({ general: `static = ${STATIC_DIR}\nprefix = asterisk`, simulateCalls: false });
    t.teardown(() => pre.close());
    const { context, page } = await openBoard(`${pre.base}/asterisk`);
    const loginReply = page.waitForResponse((r) => r.url().includes('action=login'), WAIT);
    await login(page, 'admin', 'adminpw');
    t.equal(new URL((await loginReply).url()).pathname, '/asterisk/rawman');
    await page.locator('#status-info', { hasText: /^Status: 0 channel/ }).waitFor(WAIT);
    const c = (await context.cookies()).find((x) => x.name === 'mansession_id');
    t.equal(c?.path, '/asterisk', 'cookie scoped to the prefix');
    await page.click('#logoff');
    await page.locator('#login-form').waitFor({ state: 'visible', ...WAIT });
    await context.close();
  });
}
