// The shipped pages (static/index.html, the console; static/wallboard.html, the wallboard) and
// Asterisk's own ajamdemo.html + astman.js, in Debian's Chromium driven by playwright-core, against
// the whole proxy and its simulator over loopback. One browser for the whole file; pages are reused
// where a test only adds to what the last one left.
import t from 'tap';
import type { Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AjamClient, messages, field, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { systemPackageOrFail } from '../helpers/system.ts';
import { pngFacts } from '../helpers/png.ts';
import { until } from '../helpers/until.ts';

const STATIC_DIR = fileURLToPath(new URL('../../static/', import.meta.url));
const ASTERISK_STATIC = fileURLToPath(new URL('../fixtures/asterisk-static-http/', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const WAIT = { timeout: 15_000 };
const SIZES = [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
];

const chromiumPath = systemPackageOrFail(t, 'chromium', 'chromium');
if (chromiumPath !== undefined) run(chromiumPath);

function run(executablePath: string): void {
  let ta: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  t.before(async () => {
    ta = await startTestApp({ general: `static = ${STATIC_DIR}\nhttptimeout = 60`, simulateCalls: false });
    // A queue nobody answers: its callers stay until hung up (long-lived channels for the console).
    ta.app.sim!.queues.addQueue('hold', 0);
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  });
  t.teardown(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await ta?.close();
  });

  /** A page with its console errors and uncaught exceptions collected. */
  async function open(path: string, opts: { base?: string; viewport?: { width: number; height: number } } = {}): Promise<{ page: Page; errors: string[]; context: BrowserContext }> {
    const context = await browser.newContext({ viewport: opts.viewport ?? SIZES[0] });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    // Failed loads are recorded with their URL (the console line for them names none).
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${new URL(r.url()).pathname}`);
    });
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(`${opts.base ?? ta.base}/static/${path}`);
    if (res?.status() !== 200) throw new Error(`${path}: HTTP ${res?.status()}`);
    return { page, errors, context };
  }

  async function login(page: Page, user: string, secret: string): Promise<void> {
    await page.fill('#username', user);
    await page.fill('#secret', secret);
    await page.click('#login-button');
  }

  /** Page state is read over CDP: poll it gently, and give a page more time than a socket. */
  const untilPage = (cond: () => Promise<boolean> | boolean, what: string, ms = 15_000): Promise<void> => until(cond, what, ms, 50);

  /** A caller waiting in the `hold` queue: a channel that stays until hung up. */
  function holdCaller(name: string): string {
    return ta.app.sim!.queueCall({ queue: 'hold', callerIdNum: '5550100', callerIdName: name, patienceMs: 600_000, ringMs: 1000, talkMs: 1000 })!;
  }

  const received = (action: string, channel?: string): boolean =>
    ta.app.sim!.received.some((m) => m.get('Action')?.toLowerCase() === action.toLowerCase() && (channel === undefined || m.get('Channel') === channel));

  const rowOf = (page: Page, channel: string) => page.locator('#channels tr', { has: page.locator('td.chan', { hasText: channel }) });

  /** Saves a screenshot under test/artifacts/ and checks that it shows something. */
  async function screenshot(tt: Test, page: Page, name: string): Promise<void> {
    const png = await page.screenshot();
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, `${name}.png`), png);
    const f = pngFacts(png);
    const vp = page.viewportSize()!;
    tt.same([f.width, f.height], [vp.width, vp.height], `${name}: full viewport`);
    // A one-colour image inflates to a handful of byte values (PNG filters make flat areas zeros).
    tt.ok(f.distinctBytes > 64, `${name}: not blank (${f.distinctBytes} distinct byte values)`);
  }

  /** Layout checks: no sideways scrolling, no clipped text in the elements given. */
  async function layoutSound(tt: Test, page: Page, what: string, clipped: string): Promise<void> {
    // Runs in the page (this project's TypeScript has no DOM types, so it goes as text).
    const r = (await page.evaluate(`(() => {
      const doc = document.documentElement;
      const over = [...document.querySelectorAll(${JSON.stringify(clipped)})].filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent);
      return { sideways: doc.scrollWidth > window.innerWidth, over, header: document.querySelector('header').getBoundingClientRect().height };
    })()`)) as { sideways: boolean; over: string[]; header: number };
    tt.notOk(r.sideways, `${what}: no horizontal scrolling`);
    tt.same(r.over, [], `${what}: nothing clipped (${clipped})`);
    tt.ok(r.header < 90, `${what}: header on one line (${r.header}px)`);
  }

  /** Every control on the page has an accessible name (a label, aria-label/labelledby, or text). */
  async function labelled(tt: Test, page: Page, what: string): Promise<void> {
    const unnamed = (await page.evaluate(`(() => [...document.querySelectorAll('input, button, select, textarea')]
      .filter((e) => !(e.labels && e.labels.length > 0) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby') && !(e.tagName === 'BUTTON' && e.textContent.trim() !== ''))
      .map((e) => e.outerHTML.slice(0, 80)))()`)) as string[];
    tt.same(unnamed, [], `${what}: every control is labelled`);
  }

  let admin: { page: Page; errors: string[]; context: BrowserContext };

  t.test('console: a wrong secret says Authentication failed', async (tt) => {
    const { page } = await open('index.html');
    await login(page, 'admin', 'not-the-secret');
    await page.locator('#login-msg.error', { hasText: 'Authentication failed' }).waitFor(WAIT);
    await labelled(tt, page, 'login form');
    tt.equal(await page.isVisible('#board'), false, 'board hidden');
  });

  t.test('console: log in with the keyboard, live over WebSocket, a call appears and leaves', async (tt) => {
    admin = await open('index.html');
    const { page } = admin;
    // Keyboard only: type, Tab to the secret, Enter submits.
    await page.locator('#username').focus();
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    tt.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'secret', 'Tab moves to the secret');
    await page.keyboard.type('adminpw');
    await page.keyboard.press('Enter');
    await page.locator('#board').waitFor({ state: 'visible', ...WAIT });
    await page.locator('#conn[data-state="live"][data-transport="websocket"]').waitFor(WAIT);
    tt.match(await page.textContent('#conn'), /live via WebSocket/, 'state and transport shown in words');
    tt.equal(await page.textContent('#who'), 'admin');
    await page.locator('#status-info', { hasText: /^Status: \d+ channel/ }).waitFor(WAIT);

    ta.app.sim!.originate({ channel: 'Local/100@test' });
    const row = page.locator('#channels tr[data-key]').first();
    await row.waitFor(WAIT);
    const key = await row.getAttribute('data-key');
    tt.match(key, /^\d+\.\d+$/, 'rows keyed by Uniqueid');
    tt.match(await row.locator('td.chan').textContent(), /^Local\/100@test-/, 'channel name shown');
    await page.locator(`#channels tr[data-key="${key}"]`).waitFor({ state: 'detached', ...WAIT });
    tt.pass('the row went away with its Hangup');

    // Durations tick on a channel that stays.
    const chan = holdCaller('Ticking');
    const dur = rowOf(page, chan).locator('td.dur');
    await dur.waitFor(WAIT);
    const first = await dur.textContent();
    await untilPage(async () => (await dur.textContent()) !== first, 'the duration to tick');
    tt.match(await dur.textContent(), /^\d+:\d\d$/, 'm:ss');
    tt.match(await rowOf(page, chan).locator('td').nth(2).textContent(), /Ticking <5550100>/, 'caller shown as text');
  });

  t.test('console: hang up from the page reaches the simulator', async (tt) => {
    const { page } = admin;
    const chan = holdCaller('Hang me up');
    const row = rowOf(page, chan);
    await row.waitFor(WAIT);
    await row.locator('button[data-act="hangup"]').click();
    await untilPage(() => received('Hangup', chan), 'the simulator to receive the Hangup');
    await row.waitFor({ state: 'detached', ...WAIT });
    tt.pass(`Hangup ${chan} received and the row is gone`);
  });

  t.test('console: redirect (dialog, keyboard) and originate', async (tt) => {
    const { page } = admin;
    const chan = holdCaller('Redirect me');
    const row = rowOf(page, chan);
    await row.waitFor(WAIT);
    await row.locator('button[data-act="redirect"]').click();
    await page.locator('#redirect-dialog[open]').waitFor(WAIT);
    tt.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'redirect-exten', 'focus in the dialog');
    await page.fill('#redirect-exten', '300');
    await page.keyboard.press('Enter');
    await untilPage(() => ta.app.sim!.received.some((m) => m.get('Action') === 'Redirect' && m.get('Channel') === chan && m.get('Exten') === '300'), 'Redirect received');
    await page.locator('#status-info', { hasText: 'Redirect successful' }).waitFor(WAIT);

    await page.fill('#orig-channel', 'Local/150@test');
    await page.click('#originate');
    await untilPage(() => received('Originate', 'Local/150@test'), 'Originate received');
    await page.locator('#channels td.chan', { hasText: 'Local/150@test-' }).first().waitFor(WAIT);
    tt.pass('the originated call shows up');
  });

  t.test('console: event log filter and pause', async (tt) => {
    const { page } = admin;
    const sim = ta.app.sim!;
    sim.emitEvent([['Event', 'UserEvent'], ['UserEvent', 'FilterMe'], ['Value', 'a<b>&"c"']], 'user');
    await page.locator('#log li[data-event="UserEvent"]', { hasText: 'FilterMe' }).waitFor(WAIT);
    tt.match(await page.locator('#log li', { hasText: 'FilterMe' }).textContent(), 'Value: a<b>&"c"', 'event text shown as text, not markup');
    await page.fill('#log-filter', 'filterme');
    const shown = await page.$$eval('#log li:not([hidden])', (lis) => lis.map((li) => li.textContent ?? ''));
    tt.ok(shown.length >= 1 && shown.every((s) => s.toLowerCase().includes('filterme')), 'only matching lines shown');
    await page.fill('#log-filter', '');

    await page.click('#log-pause');
    tt.equal(await page.getAttribute('#log-pause', 'aria-pressed'), 'true');
    const lines = await page.locator('#log li').count();
    const counted = Number(await page.textContent('#event-count'));
    sim.emitEvent([['Event', 'UserEvent'], ['UserEvent', 'WhilePaused']], 'user');
    // Another event (a call of an earlier test ending) may bump the count first. The channel list
    // updates while paused, and events reach the page in order: once this caller's row is there,
    // WhilePaused has been handled.
    const after = holdCaller('After WhilePaused');
    await rowOf(page, after).waitFor(WAIT);
    tt.ok(Number(await page.textContent('#event-count')) > counted, 'the event counted');
    tt.equal(await page.locator('#log li').count(), lines, 'paused: no new lines');
    await page.click('#log-pause');
    sim.emitEvent([['Event', 'UserEvent'], ['UserEvent', 'AfterResume']], 'user');
    await page.locator('#log li', { hasText: 'AfterResume' }).waitFor(WAIT);
    tt.equal(await page.locator('#log li', { hasText: 'WhilePaused' }).count(), 0, 'nothing logged while paused');
  });

  t.test('console: the read-only user sees no actions, and a forged Hangup is refused', async (tt) => {
    const { page, errors } = await open('index.html');
    await login(page, 'wallboard', 'wallpw');
    await page.locator('#conn[data-state="live"]').waitFor(WAIT);
    const chan = holdCaller('Read only');
    await rowOf(page, chan).waitFor(WAIT);
    tt.equal(await page.locator('#channels [data-act]').count(), 0, 'no hangup/redirect buttons');
    tt.equal(await page.isVisible('#originate-form'), false, 'no originate form');
    // Forge one with the page's own session cookie.
    const body = await page.evaluate((c) => fetch('../json', { method: 'POST', body: new URLSearchParams({ Action: 'Hangup', Channel: c }) }).then((r) => r.text()), chan);
    tt.same(JSON.parse(body), [{ Response: 'Error', Message: 'Permission denied' }], 'Permission denied');
    tt.notOk(received('Hangup', chan), 'nothing reached the simulator');
    tt.same(errors, [], 'no console errors');
  });

  t.test('console: the AMI goes away, the page says so, comes back, and loses no event', async (tt) => {
    const { page } = admin;
    const sim = ta.app.sim!;
    sim.emitEvent([['Event', 'UserEvent'], ['UserEvent', 'BeforeOutage']], 'user');
    await page.locator('#log li', { hasText: 'BeforeOutage' }).waitFor(WAIT);
    sim.refuse(true);
    sim.dropAll();
    tt.teardown(() => sim.refuse(false));
    await page.locator('#outage').waitFor({ state: 'visible', ...WAIT });
    tt.match(await page.textContent('#outage'), /unreachable/);
    tt.equal(await page.getAttribute('#conn', 'data-state'), 'live', 'the page stays connected to the proxy');
    sim.refuse(false);
    await page.locator('#outage').waitFor({ state: 'hidden', ...WAIT });
    // The proxy's outage notices reached the page's log, and the gap in Asterisk's event stream is
    // reported: the page says so and reads Status again.
    await page.locator('#log li[data-event="ProxyAMIDown"]').first().waitFor(WAIT);
    await page.locator('#log li[data-event="ProxyAMIUp"]').first().waitFor(WAIT);
    await page.locator('#lost', { hasText: /EventsLost: events may be missing \(.*AMI.*\)/ }).waitFor(WAIT);
    for (let i = 0; i < 20; i++) sim.emitEvent([['Event', 'UserEvent'], ['UserEvent', 'AfterOutage'], ['N', String(i)]], 'user');
    await untilPage(async () => (await page.locator('#log li', { hasText: 'AfterOutage' }).count()) === 20, 'all 20 events after the outage');
    tt.pass('every event after the recovery arrived');
  });

  t.test('client fallback: WebSocket blocked → SSE; SSE blocked too → long-poll', async (tt) => {
    const ws = await open('index.html');
    await ws.page.routeWebSocket(/\/ws/, (route) => route.close({ code: 1011, reason: 'blocked by the test' }));
    await login(ws.page, 'admin', 'adminpw');
    await ws.page.locator('#conn[data-state="live"][data-transport="sse"]').waitFor(WAIT);
    ta.app.sim!.emitEvent([['Event', 'UserEvent'], ['UserEvent', 'OverSse']], 'user');
    await ws.page.locator('#log li', { hasText: 'OverSse' }).waitFor(WAIT);
    tt.pass('live over SSE, events arrive');

    const both = await open('index.html');
    await both.page.routeWebSocket(/\/ws/, (route) => route.close({ code: 1011, reason: 'blocked by the test' }));
    await both.page.route(/\/events(\?|$)/, (route) => route.abort());
    await login(both.page, 'admin', 'adminpw');
    await both.page.locator('#conn[data-state="live"][data-transport="longpoll"]').waitFor(WAIT);
    tt.match(await both.page.textContent('#conn'), /live via long-poll/);
    ta.app.sim!.emitEvent([['Event', 'UserEvent'], ['UserEvent', 'OverLongPoll']], 'user');
    await both.page.locator('#log li', { hasText: 'OverLongPoll' }).waitFor(WAIT);
    const chan = holdCaller('Over long-poll');
    await rowOf(both.page, chan).locator('button[data-act="hangup"]').click();
    await untilPage(() => received('Hangup', chan), 'Hangup over /json');
    tt.pass('live over long-poll, events and actions work');
  });

  t.test('console: screenshots at both sizes, no console errors', async (tt) => {
    const { page, errors } = admin;
    await labelled(tt, page, 'console (admin)');
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await layoutSound(tt, page, `console ${size.width}x${size.height}`, 'td.num, .count, header h1');
      await screenshot(tt, page, `console-${size.width}x${size.height}`);
    }
    tt.same(errors, [], 'no console errors on the admin console');
  });

  t.test('wallboard: numbers match QueueSummary after a burst of queue calls', async (tt) => {
    const sim = ta.app.sim!;
    sim.staffQueues();
    const { page, errors } = await open('wallboard.html', { viewport: SIZES[1] });
    await login(page, 'wallboard', 'wallpw');
    await page.locator('#conn[data-state="live"]').waitFor(WAIT);
    const sales = page.locator('.queue[data-queue="sales"]');
    await sales.waitFor(WAIT);

    // Eight callers for sales' three agents: three answered (long talks), two give up, three wait.
    for (let i = 0; i < 8; i++) {
      sim.queueCall({ queue: 'sales', callerIdNum: `55520${i}`, callerIdName: `Burst ${i}`, patienceMs: i === 4 || i === 5 ? 400 : 600_000, ringMs: 100, talkMs: 600_000 });
    }
    // An agent goes on a break, another call into support.
    sim.queues.pause('sales', 'PJSIP/305', true, 'Lunch');
    sim.queueCall({ queue: 'support', callerIdNum: '5553000', callerIdName: 'Support 1', patienceMs: 600_000, ringMs: 100, talkMs: 600_000 });

    const node = new AjamClient(ta.base);
    await node.login('admin', 'adminpw');
    const board = async (queue: string) =>
      page.$eval(`.queue[data-queue="${queue}"]`, (card) => Object.fromEntries([...card.querySelectorAll('[data-field]')].map((v) => [v.getAttribute('data-field'), v.textContent])));
    const truth = async (queue: string) => {
      const sum = messages((await node.get(`/rawman?action=QueueSummary&queue=${queue}`)).body).find((m) => field(m, 'Event') === 'QueueSummary')!;
      const params = messages((await node.get(`/rawman?action=QueueStatus&queue=${queue}`)).body).find((m) => field(m, 'Event') === 'QueueParams')!;
      return { sum, params };
    };
    const agree = async (queue: string): Promise<string> => {
      const b = await board(queue);
      const { sum, params } = await truth(queue);
      const loggedIn = Number(b.available) + Number(b.busy) + Number(b.paused);
      const want = { waiting: field(sum, 'Callers'), available: field(sum, 'Available'), loggedIn: field(sum, 'LoggedIn'), answered: field(params, 'Completed'), abandoned: field(params, 'Abandoned') };
      const got = { waiting: b.waiting, available: b.available, loggedIn: String(loggedIn), answered: b.answered, abandoned: b.abandoned };
      return JSON.stringify(got) === JSON.stringify(want) ? '' : `board ${JSON.stringify(got)} vs AMI ${JSON.stringify(want)}`;
    };
    let last = '';
    await untilPage(async () => (last = await agree('sales')) === '' && Number((await board('sales')).abandoned) === 2, `sales to agree (${last})`, 20_000);
    await untilPage(async () => (last = await agree('support')) === '', `support to agree (${last})`);
    const b = await board('sales');
    tt.equal(b.waiting, '3', 'three waiting in sales');
    tt.equal(b.paused, '1', 'one paused');
    tt.equal(b.busy, '2', 'two busy (Carla and Dev)');
    tt.equal(b.abandoned, '2', 'two abandoned');
    tt.match(b.longest, /^\d+:\d\d$/, 'longest wait as m:ss');
    const first = b.longest;
    await untilPage(async () => (await board('sales')).longest !== first, 'the longest wait to tick');
    tt.equal(await page.locator('.queue[data-queue="sales"] svg rect').count() > 0, true, 'the chart has bars');

    await labelled(tt, page, 'wallboard');
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await layoutSound(tt, page, `wallboard ${size.width}x${size.height}`, '.tile .value, .tile .label, header h1');
      await screenshot(tt, page, `wallboard-${size.width}x${size.height}`);
    }
    await page.click('#theme');
    tt.equal(await page.getAttribute('html', 'data-theme'), 'dark', 'the theme button switches to dark');
    await screenshot(tt, page, 'wallboard-dark-1920x1080');
    await page.click('#theme');
    tt.equal(await page.getAttribute('html', 'data-theme'), 'light', 'then light');
    // The console link, and the session carried over without a second login.
    await page.click('nav a');
    await page.locator('#conn[data-state="live"]').waitFor(WAIT);
    tt.equal(await page.textContent('#who'), 'wallboard', 'the console opened on the same session');
    tt.same(errors, [], 'no console errors');
  });

  t.test('wallboard: answered and abandoned start again at local midnight', async (tt) => {
    const { page, errors } = await open('wallboard.html');
    // The page's clock (not the proxy's) starts a few seconds before midnight.
    await page.clock.install({ time: new Date(2026, 10, 29, 23, 59, 55) });
    await page.reload();
    await login(page, 'wallboard', 'wallpw');
    await page.locator('#conn[data-state="live"]').waitFor(WAIT);
    const abandoned = page.locator('.queue[data-queue="sales"] [data-field="abandoned"]');
    await abandoned.waitFor(WAIT);
    const before = Number(await abandoned.textContent());
    tt.ok(before >= 2, `yesterday's abandoned calls shown (${before})`);
    await page.clock.runFor(10_000);
    await untilPage(async () => (await abandoned.textContent()) === '0', 'the count to start again after midnight');
    ta.app.sim!.queueCall({ queue: 'sales', callerIdNum: '5554000', callerIdName: 'After midnight', patienceMs: 100, ringMs: 100, talkMs: 100 });
    await untilPage(async () => (await abandoned.textContent()) === '1', 'a new abandoned call counted from zero');
    tt.same(errors, [], 'no console errors');
  });

  t.test('under a prefix the pages use relative URLs: /asterisk/json, /asterisk/ws', async (tt) => {
    const pre = await startTestApp({ general: `static = ${STATIC_DIR}\nprefix = asterisk`, simulateCalls: false });
    tt.teardown(() => pre.close());
    const { page, errors } = await open('index.html', { base: `${pre.base}/asterisk` });
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(new URL(ws.url()).pathname));
    const loginReply = page.waitForResponse((r) => r.request().method() === 'POST', WAIT);
    await login(page, 'admin', 'adminpw');
    tt.equal(new URL((await loginReply).url()).pathname, '/asterisk/json');
    await page.locator('#conn[data-state="live"][data-transport="websocket"]').waitFor(WAIT);
    tt.same(sockets, ['/asterisk/ws']);
    await page.locator('#status-info', { hasText: /^Status: 0 channel/ }).waitFor(WAIT);
    await page.click('#logoff');
    await page.locator('#login-form').waitFor({ state: 'visible', ...WAIT });
    tt.match(await page.textContent('#login-msg'), /^Logged off/);
    tt.same(errors, [], 'no console errors');
  });

  t.test("Asterisk's ajamdemo.html + astman.js still work from the static folder", async (tt) => {
    const demo = await startTestApp({ general: `static = ${ASTERISK_STATIC}`, simulateCalls: false });
    tt.teardown(() => demo.close());
    demo.app.sim!.queues.addQueue('hold', 0);
    const { page, errors } = await open('ajamdemo.html', { base: demo.base });
    await page.locator('#statusbar', { hasText: 'Please login...' }).waitFor(WAIT);
    const chan = demo.app.sim!.queueCall({ queue: 'hold', callerIdNum: '5550199', callerIdName: 'Demo', patienceMs: 600_000, ringMs: 1000, talkMs: 1000 })!;
    await page.fill('#username', 'admin');
    await page.fill('#secret', 'adminpw');
    await page.click('#login');
    await page.locator('#statusbar', { hasText: 'Ready' }).waitFor(WAIT);
    const row = page.locator(`tr[id="${chan}"]`);
    await row.waitFor(WAIT);
    // astman.js reads pre-12 field names (State, CallerID): against Asterisk 22 it shows the name only.
    tt.match(await row.textContent(), 'Demo', 'the demo lists the channel from Status');
    await row.click();
    await page.locator('#hangup:not([disabled])').waitFor(WAIT);
    await page.click('#hangup');
    await untilPage(() => demo.app.sim!.received.some((m) => m.get('Action')?.toLowerCase() === 'hangup' && m.get('Channel') === chan), 'the demo\'s Hangup');
    await row.waitFor({ state: 'detached', ...WAIT });
    tt.pass('the channel went away through the WaitEvent long-poll');
    await page.click('#logoff');
    await page.locator('#statusbar', { hasText: 'Thanks for all the fish.' }).waitFor(WAIT);
    // The demo has no icon, so the browser's own /favicon.ico request is a 404 (as from Asterisk).
    tt.same(errors.filter((e) => e !== 'HTTP 404 /favicon.ico'), [], 'no console errors');
  });
}
