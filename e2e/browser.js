#!/usr/bin/env node
// Plays the user's browser for the e2e tests with a real headless Chromium
// driven by playwright-core (no browser download: it launches the system's
// chromium, /usr/bin/chromium or $CHROMIUM):
//
//   node e2e/browser.js AUTHORIZATION_URL SCREENSHOT_DIR [USERNAME]
//
// It opens the authorization URL, signs in on the dev IdP's form, approves
// the consent page (button name="decision" value="approve") and waits until
// the browser lands on mcp-remote's loopback callback page. Screenshots of
// the three pages go to SCREENSHOT_DIR (1-dev-form.png, 2-consent.png,
// 3-callback.png). Exits 0 on success, 1 with a message otherwise; every
// wait is bounded.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const STEP_TIMEOUT_MS = 15000; // each navigation / wait
const TOTAL_TIMEOUT_MS = 60000; // the whole run

function die(msg) {
	process.stderr.write(`browser.js: ${msg}\n`);
	process.exit(1);
}

async function main() {
	const [authURL, shotDir, username = 'alice'] = process.argv.slice(2);
	if (!authURL || !shotDir) die('usage: node browser.js AUTHORIZATION_URL SCREENSHOT_DIR [USERNAME]');
	fs.mkdirSync(shotDir, { recursive: true });
	const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
	if (!fs.existsSync(executablePath)) die(`no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM)`);
	const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zscaler-mcp-chromium-'));
	const shot = (page, name) => page.screenshot({ path: path.join(shotDir, name), fullPage: true, timeout: STEP_TIMEOUT_MS });

	let context;
	try {
		// launchPersistentContext is the way to give Chromium its own
		// --user-data-dir (playwright refuses it in args).
		context = await chromium.launchPersistentContext(userDataDir, {
			executablePath,
			headless: true,
			timeout: STEP_TIMEOUT_MS,
			ignoreDefaultArgs: ['--headless'],
			args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
				'--disable-background-networking', '--disable-component-update', '--disable-sync'],
			viewport: { width: 900, height: 700 },
		});
		context.setDefaultTimeout(STEP_TIMEOUT_MS);
		context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
		const page = context.pages()[0] || (await context.newPage());
		const errors = [];
		page.on('pageerror', (e) => errors.push(String(e)));

		// 1. The authorization URL redirects to the dev IdP's sign-in form.
		let resp = await page.goto(authURL, { waitUntil: 'load' });
		if (!resp || !resp.ok()) die(`authorization URL answered ${resp && resp.status()} at ${page.url()}`);
		if (!new URL(page.url()).pathname.includes('/auth/dev/')) die(`expected the dev IdP's form, got ${page.url()}`);
		const user = page.locator('input[name="username"]');
		await user.waitFor({ state: 'visible' });
		await user.fill(username);
		await shot(page, '1-dev-form.png');
		await Promise.all([
			page.waitForURL((u) => u.pathname === '/consent', { waitUntil: 'load' }),
			page.locator('button[name="action"][value="signin"]').click(),
		]);

		// 2. The consent page.
		const approve = page.locator('button[name="decision"][value="approve"]');
		await approve.waitFor({ state: 'visible' });
		await shot(page, '2-consent.png');
		const origin = new URL(authURL).origin;
		await Promise.all([
			page.waitForURL((u) => u.origin !== origin && u.pathname === '/oauth/callback', { waitUntil: 'load' }),
			approve.click(),
		]);

		// 3. mcp-remote's loopback callback page.
		const cb = new URL(page.url());
		if (!['localhost', '127.0.0.1', '[::1]'].includes(cb.hostname)) die(`callback on a non-loopback host: ${cb}`);
		if (!cb.searchParams.get('code')) die(`callback without a code: ${cb}`);
		await page.locator('body').waitFor({ state: 'attached' });
		await shot(page, '3-callback.png');
		const text = (await page.locator('body').innerText()).trim();
		process.stdout.write(JSON.stringify({ callback: cb.origin + cb.pathname, code: true, state: cb.searchParams.get('state'), page: text.slice(0, 200), pageErrors: errors }) + '\n');
	} finally {
		if (context) await context.close().catch(() => {});
		fs.rmSync(userDataDir, { recursive: true, force: true });
	}
}

const timer = setTimeout(() => die(`gave up after ${TOTAL_TIMEOUT_MS / 1000}s`), TOTAL_TIMEOUT_MS);
main().then(() => { clearTimeout(timer); process.exit(0); }, (e) => die(e && e.stack ? e.stack : String(e)));
