// Shared by the e2e browser scripts (browser.js, chooser.js): launching the
// system's headless Chromium with playwright-core (no browser download;
// /usr/bin/chromium or $CHROMIUM), screenshots, bounded waits, clean-up.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const STEP_TIMEOUT_MS = 15000; // each navigation / wait

// die prints msg prefixed with the script's name and exits 1.
function die(script, msg) {
	process.stderr.write(`${script}: ${msg}\n`);
	process.exit(1);
}

// withBrowser runs fn({page, errors, shot}) in a fresh Chromium profile and
// always closes the browser and removes the profile afterwards. shot(page,
// name) saves a full-page screenshot into shotDir; errors collects the
// pages' uncaught script errors.
async function withBrowser(script, shotDir, fn) {
	fs.mkdirSync(shotDir, { recursive: true });
	const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
	if (!fs.existsSync(executablePath)) die(script, `no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM)`);
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
		return await fn({ page, errors, shot });
	} finally {
		if (context) await context.close().catch(() => {});
		fs.rmSync(userDataDir, { recursive: true, force: true });
	}
}

// run runs main with an overall deadline and exits 0 on success, 1 with the
// error otherwise.
function run(script, totalMs, main) {
	const timer = setTimeout(() => die(script, `gave up after ${totalMs / 1000}s`), totalMs);
	main().then(() => { clearTimeout(timer); process.exit(0); }, (e) => die(script, e && e.stack ? e.stack : String(e)));
}

module.exports = { STEP_TIMEOUT_MS, die, withBrowser, run };
