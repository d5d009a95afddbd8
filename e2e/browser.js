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

const { die: dieAs, withBrowser, run } = require('./chromium');

const TOTAL_TIMEOUT_MS = 60000; // the whole run
const die = (msg) => dieAs('browser.js', msg);

async function main() {
	const [authURL, shotDir, username = 'alice'] = process.argv.slice(2);
	if (!authURL || !shotDir) die('usage: node browser.js AUTHORIZATION_URL SCREENSHOT_DIR [USERNAME]');
	await withBrowser('browser.js', shotDir, async ({ page, errors, shot }) => {
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
	});
}

run('browser.js', TOTAL_TIMEOUT_MS, main);
