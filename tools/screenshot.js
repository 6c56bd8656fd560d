#!/usr/bin/env node
// Render Adaptive Cards to PNG with the official renderer (npm adaptivecards) in headless Chromium,
// driven by playwright-core. The browser is the system Chromium (Debian `chromium`); nothing is
// downloaded and every network request from the page is blocked.
//
//   node tools/screenshot.js JOB.json
//   JOB.json: {"cards": [{"name": "...", "file": "/abs/out.png", "card": {...}}, ...],
//              "width": 450, "scale": 2, "chromium": "/usr/bin/chromium"}   (last three optional)
// Prints one JSON line: {"written": [files], "errors": {name: message}}; exit code 1 on errors.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..');
const AC_DIST = path.join(ROOT, 'node_modules', 'adaptivecards', 'dist');
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// Runs inside the page: a small Markdown subset (what Teams shows most): bold, italic, links,
// bullet and numbered lists, paragraphs. Text is HTML-escaped first.
function installMarkdown() {
  const escape = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const inline = (s) => escape(s)
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[\s(])_(.+?)_(?=$|[\s).,!?])/g, '$1<em>$2</em>')
    .replace(/(^|[^*])\*([^*\s][^*]*?)\*(?!\*)/g, '$1<em>$2</em>')
    .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, '<a href="$2">$1</a>');
  window.AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
    const blocks = [];
    let list = null;
    for (const line of text.split(/\r?\n/)) {
      const bullet = /^\s*(?:[-*+]|(\d+)\.)\s+(.*)$/.exec(line);
      if (bullet) {
        const tag = bullet[1] ? 'ol' : 'ul';
        if (!list || list.tag !== tag) { list = { tag, items: [] }; blocks.push(list); }
        list.items.push(inline(bullet[2]));
      } else if (line.trim()) {
        list = null;
        blocks.push({ tag: 'p', html: inline(line) });
      } else {
        list = null;
      }
    }
    result.outputHtml = blocks.map((b) => (b.tag === 'p'
      ? `<p>${b.html}</p>`
      : `<${b.tag} style="margin:0;padding-left:20px">${b.items.map((i) => `<li>${i}</li>`).join('')}</${b.tag}>`)).join('');
    result.didProcess = true;
  };
}

// Runs inside the page: render one card into #host; returns parse/render messages.
function renderCard({ card, hostConfig }) {
  const AC = window.AdaptiveCards;
  const host = document.getElementById('host');
  host.innerHTML = '';
  const adaptiveCard = new AC.AdaptiveCard();
  adaptiveCard.hostConfig = new AC.HostConfig(hostConfig);
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  adaptiveCard.parse(card, context);
  const messages = [];
  for (let i = 0; i < context.eventCount; i++) messages.push(context.getEventAt(i).message);
  const element = adaptiveCard.render();
  if (!element) return { rendered: false, messages };
  host.appendChild(element);
  return { rendered: true, messages };
}

function page(width) {
  const css = fs.readFileSync(path.join(AC_DIST, 'adaptivecards.css'), 'utf8')
    + fs.readFileSync(path.join(__dirname, 'teams_card.css'), 'utf8');
  return `<!doctype html><html><head><meta charset="utf-8"><style>${css}</style>
<style>:root { --card-width: ${Number(width)}px; }</style></head>
<body><div id="frame"><div id="host"></div></div></body></html>`;
}

async function main() {
  const jobFile = process.argv[2];
  if (!jobFile) throw new Error('usage: node tools/screenshot.js JOB.json');
  const job = JSON.parse(fs.readFileSync(jobFile, 'utf8'));
  const hostConfig = JSON.parse(fs.readFileSync(path.join(__dirname, 'teams_host_config.json'), 'utf8'));
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'signoff-cards-chromium-'));
  const result = { written: [], errors: {} };
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: job.chromium || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: (job.width || 450) + 64, height: 800 },
    deviceScaleFactor: job.scale || 2,
    offline: true,
    timeout: 30000,
  });
  try {
    await context.route('**/*', (route) => route.abort());
    const tab = context.pages()[0] || (await context.newPage());
    await tab.setContent(page(job.width || 450));
    await tab.addScriptTag({ path: path.join(AC_DIST, 'adaptivecards.min.js') });
    await tab.evaluate(installMarkdown);
    for (const { name, file, card } of job.cards) {
      try {
        const { rendered, messages } = await tab.evaluate(renderCard, { card, hostConfig });
        if (!rendered) throw new Error(`the renderer produced nothing: ${messages.join('; ')}`);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        await tab.locator('#frame').screenshot({ path: file, animations: 'disabled' });
        result.written.push(file);
      } catch (err) {
        result.errors[name] = err instanceof Error ? err.message : String(err);
      }
    }
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  return Object.keys(result.errors).length ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
