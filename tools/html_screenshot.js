#!/usr/bin/env node
// Render a local HTML file to PNG in headless Chromium (Debian `chromium`), driven by
// playwright-core. Nothing is downloaded; every request other than the file itself is blocked,
// and scripts are disabled (a report must read the same without them).
//
//   node tools/html_screenshot.js PAGE.html OUT.png [width] [chromium path]
// Prints one JSON line: {"written": OUT.png, "blocked": [urls], "height": px}.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

async function main() {
  const [page_file, out, width = '1200', executable = '/usr/bin/chromium'] = process.argv.slice(2);
  if (!page_file || !out) {
    console.error('usage: node tools/html_screenshot.js PAGE.html OUT.png [width] [chromium]');
    process.exit(2);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'signoff-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: executable, args: CHROMIUM_FLAGS, headless: true,
    viewport: { width: Number(width), height: 800 }, javaScriptEnabled: false,
  });
  const url = 'file://' + path.resolve(page_file);
  const blocked = [];
  try {
    const page = await context.newPage();
    await page.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue();
      blocked.push(route.request().url());
      return route.abort();
    });
    await page.goto(url, { waitUntil: 'load' });
    await page.screenshot({ path: out, fullPage: true });
    const height = await page.evaluate(() => document.documentElement.scrollHeight).catch(() => null);
    console.log(JSON.stringify({ written: out, blocked, height }));
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((error) => { console.error(String(error && error.stack || error)); process.exit(1); });
