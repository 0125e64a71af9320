// Cross-site request forgery in a real browser (Debian's Chromium): an operator has the console
// open (a session cookie for the proxy) and visits another site, which navigates the top-level
// window to `/rawman?action=…`. A `SameSite=Lax` cookie rides along on such a navigation and the
// action would run as the operator; the cookie must stay home. `localhost` and `127.0.0.1` are
// different sites to the browser, so the attacker's page is served on `localhost`.
import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { systemPackageOrFail } from '../helpers/system.ts';

const chromiumPath = systemPackageOrFail(t, 'chromium', 'chromium');
if (chromiumPath !== undefined) run(chromiumPath);

function run(executablePath: string): void {
  let ta: TestApp;
  let browser: Browser;
  let evil: Server;
  let evilPort = 0;

  t.before(async () => {
    ta = await startTestApp({ simulateCalls: false });
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    // The attacker's site: one page that sends the window to the proxy with an action of its choice.
    evil = createServer((req, res) => {
      const target = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '';
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><script>location.href = ${JSON.stringify(target)};</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilPort = (evil.address() as AddressInfo).port;
  });
  t.teardown(async () => {
    await browser?.close();
    evil?.close();
    await ta?.close();
  });

  t.test('another site cannot run an action with the operator\'s session by navigating to it', async (t) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const login = await page.goto(`${ta.base}/rawman?action=Login&Username=admin&Secret=adminpw`);
    t.match(await login!.text(), /Authentication accepted/, 'the operator is logged in');
    const own = await page.goto(`${ta.base}/rawman?action=Ping&Marker=own`);
    t.match(await own!.text(), /Pong/, 'and the session works from the proxy\'s own pages');

    ta.app.sim!.clearReceived();
    const forged = `${ta.base}/rawman?action=UserEvent&UserEvent=Forged&Marker=csrf`;
    await page.goto(`http://localhost:${evilPort}/?to=${encodeURIComponent(forged)}`);
    await page.waitForURL((u) => u.href.startsWith(ta.base), { timeout: 15_000 });
    const body = await page.locator('body').innerText();
    t.match(body, /Permission denied/, 'the forged navigation arrives without the session');
    const got = ta.app.sim!.received.filter((m) => m.get('Marker') === 'csrf' || m.get('UserEvent') === 'Forged');
    t.same(got.map((m) => m.toObject()), [], 'and nothing reached the simulator');
    await context.close();
  });
}
