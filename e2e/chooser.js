#!/usr/bin/env node
// Plays the user's browser at the IdP chooser with a real headless Chromium
// driven by playwright-core (the system's chromium, /usr/bin/chromium or
// $CHROMIUM; nothing is downloaded):
//
//   node e2e/chooser.js AUTHORIZATION_URL SCREENSHOT_DIR
//
// It opens the authorization URL, expects the chooser (/login) and reads
// its buttons; then, for each button, opens the authorization URL afresh,
// clicks that button and waits until the browser shows a sign-in form
// (input[name="password"]) on another origin: the upstream IdP's login
// page. Screenshots: 0-chooser.png, then one per button. It prints one
// JSON line, {"buttons": [names], "visits": [{"button", "url", "title",
// "text"}]} (text: the start of the page's visible text),
// and exits 0, or 1 with a message; every wait is bounded.
'use strict';

const { die: dieAs, withBrowser, run } = require('./chromium');

const TOTAL_TIMEOUT_MS = 90000;
const die = (msg) => dieAs('chooser.js', msg);

async function main() {
	const [authURL, shotDir] = process.argv.slice(2);
	if (!authURL || !shotDir) die('usage: node chooser.js AUTHORIZATION_URL SCREENSHOT_DIR');
	const origin = new URL(authURL).origin;
	await withBrowser('chooser.js', shotDir, async ({ page, errors, shot }) => {
		// The chooser: /authorize redirects to /login when several IdPs are configured.
		const openChooser = async () => {
			const resp = await page.goto(authURL, { waitUntil: 'load' });
			if (!resp || !resp.ok()) die(`authorization URL answered ${resp && resp.status()} at ${page.url()}`);
			const at = new URL(page.url());
			if (at.origin !== origin || at.pathname !== '/login') die(`expected the chooser at ${origin}/login, got ${page.url()}`);
			const buttons = page.locator('a.button');
			await buttons.first().waitFor({ state: 'visible' });
			return buttons;
		};
		const buttons = await openChooser();
		const names = (await buttons.allInnerTexts()).map((s) => s.trim());
		if (names.length === 0) die('the chooser shows no button');
		await shot(page, '0-chooser.png');

		const visits = [];
		for (const [i, name] of names.entries()) {
			const fresh = await openChooser();
			const button = fresh.filter({ hasText: name });
			if ((await button.count()) !== 1) die(`button ${JSON.stringify(name)} is not unique on the chooser`);
			await Promise.all([
				page.waitForURL((u) => u.origin !== origin, { waitUntil: 'load' }),
				button.click(),
			]);
			await page.locator('input[name="password"]').waitFor({ state: 'visible' });
			const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
			await shot(page, `${i + 1}-${slug}.png`);
			const text = (await page.locator('body').innerText()).trim().slice(0, 300);
			visits.push({ button: name, url: page.url(), title: await page.title(), text });
		}
		process.stdout.write(JSON.stringify({ buttons: names, visits, pageErrors: errors }) + '\n');
	});
}

run('chooser.js', TOTAL_TIMEOUT_MS, main);
