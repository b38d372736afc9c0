// Drives the web console (FR-12.3) in Debian's headless Chromium with puppeteer-core, against a
// real Api and PostgreSQL started by ConsoleBrowserTests. Every wait has a timeout; the first
// failed expectation throws, the process exits 1 and prints why. On success it prints one JSON
// line of what it saw. Usage:
//   node console-scenario.mjs <modules dir> <base url> <screenshots dir> <image1> <image2> <broken png> <text file> [api key]
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';

const [modules, base, shots, image1, image2, broken, textFile, apiKey] = process.argv.slice(2);
const require = createRequire(path.join(modules, 'node_modules', 'x.js'));
const puppeteer = require('puppeteer-core');
const axePath = require.resolve('axe-core/axe.min.js');
const axeSource = fs.readFileSync(axePath, 'utf8');
const T = 20000;
const seen = { steps: [], axe: {} };

function expect(condition, message) { if (!condition) throw new Error(message); }
const step = name => { seen.steps.push(name); console.error(`step: ${name}`); };

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  defaultViewport: { width: 1200, height: 820 },
});
const errors = [];
try {
  const page = await browser.newPage();
  // The page runs under its own Content-Security-Policy: anything it refuses is an error here.
  page.on('pageerror', e => errors.push(String(e)));
  page.on('console', m => { if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text()); });
  page.on('dialog', d => d.accept());
  page.setDefaultTimeout(T);

  async function scan(name) {
    // Evaluated through the DevTools protocol, which the page's CSP does not govern (a <script> would be refused).
    if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(axeSource);
    const result = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
    });
    seen.axe[name] = result;
    const bad = result.filter(v => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.length === 0, `axe on ${name}: ${JSON.stringify(bad)}`);
  }
  const shot = name => page.screenshot({ path: path.join(shots, `${name}.png`) });

  step('open');
  await page.goto(`${base}/console`, { waitUntil: 'domcontentloaded' });
  if (apiKey) {
    step('key prompt');
    await page.waitForSelector('#key-dialog[open]');
    await shot('key-prompt');
    await page.type('#key-input', apiKey);
    await page.click('#key-dialog button[type=submit]');
    const stored = await page.evaluate(() => sessionStorage.getItem('images-console-api-key'));
    expect(stored === apiKey, 'the key is kept in sessionStorage');
    expect(!page.url().includes(apiKey), 'the key is never in the URL');
  } else {
    const prompted = await page.$('#key-dialog[open]');
    expect(prompted === null, 'no key prompt without a key');
  }
  await page.waitForSelector('#live-state[data-state=live]');
  await page.waitForSelector('#list-summary');
  await page.evaluate(() => { window.__sameDocument = true; });

  step('upload two images, an undecodable PNG and a text file');
  await page.type('#tags-input', 'console-test');
  const input = await page.$('#file-input');
  await input.uploadFile(image1, image2, broken, textFile);
  const textName = path.basename(textFile);
  await page.waitForFunction(name => {
    const item = document.querySelector(`.uploads li[data-file="${name}"]`);
    return item && item.dataset.result === '415';
  }, {}, textName);
  const message415 = await page.$eval(`.uploads li[data-file="${textName}"] [role=status]`, e => e.textContent);
  expect(/415/.test(message415) && /supported image/i.test(message415), `415 message: ${message415}`);
  await page.waitForFunction(() => [...document.querySelectorAll('.uploads li')].filter(li => li.dataset.result === 'ok').length === 3);

  step('both reach completed on screen, without reload');
  const names = [path.basename(image1), path.basename(image2)];
  await page.waitForFunction(files => {
    const rows = [...document.querySelectorAll('#image-table tbody tr')];
    return files.every(f => rows.some(r => r.textContent.includes(f) && r.dataset.status === 'completed'));
  }, { timeout: 60000 }, names);
  expect(await page.evaluate(() => window.__sameDocument === true), 'the page was not reloaded');
  await page.waitForFunction(() => [...document.querySelectorAll('#image-table img.thumb')].filter(i => i.naturalWidth > 0).length >= 2);
  await shot('list');
  await scan('list');

  step('filter by status: the failed one, and why');
  const brokenName = path.basename(broken);
  await page.select('#status-filter', 'failed');
  await page.waitForFunction(() => location.hash.includes('status=failed'));
  await page.waitForFunction(name => {
    const rows = [...document.querySelectorAll('#image-table tbody tr')];
    return rows.length === 1 && rows[0].textContent.includes(name) && rows[0].dataset.status === 'failed';
  }, {}, brokenName);
  await page.click('#image-table tbody tr a');
  await page.waitForSelector('#image-error');
  const why = await page.$eval('#image-error', e => e.textContent);
  expect(why.length > 0, 'a failed image says why');
  await scan('failed-image');

  step('process the failed image again');
  await page.click('#reprocess');
  await page.waitForFunction(() => { const b = document.querySelector('#reprocess'); return b && !b.disabled; });
  expect(!(await page.$('#action-message.error')), `process again was refused: ${await page.$eval('#action-message', e => e.textContent).catch(() => '')}`);
  await page.waitForSelector('#image-error');

  step('filter by status: completed');
  await page.evaluate(() => { location.hash = '#/?status=completed'; });
  await page.waitForFunction(() => document.querySelectorAll('#image-table tbody tr').length === 2);
  const statuses = await page.$$eval('#image-table tbody tr', rows => rows.map(r => r.dataset.status));
  expect(statuses.every(s => s === 'completed'), `filtered rows: ${statuses}`);

  step('filter by tag and filename, by the API');
  await page.type('#tag-filter', 'console-test');
  await page.type('#find-input', 'MEADOW');
  await page.click('#apply-filters');
  await page.waitForFunction(() => location.hash.includes('tag=console-test') && location.hash.includes('filename=MEADOW'));
  await page.waitForFunction(name => {
    const rows = [...document.querySelectorAll('#image-table tbody tr')];
    return rows.length === 1 && rows[0].textContent.includes(name) && document.querySelector('#list-summary').textContent.includes('of 1');
  }, {}, names[1]);
  await page.evaluate(() => { location.hash = '#/?tag=another-tag'; });
  await page.waitForFunction(() => document.querySelector('#list-summary')?.textContent === 'No images.');
  await page.evaluate(() => { location.hash = '#/?status=completed'; });
  await page.waitForFunction(() => document.querySelectorAll('#image-table tbody tr').length === 2);

  step('open an image: its preview is rendered');
  await page.click(`#image-table tbody tr a`);
  await page.waitForSelector('#image-title');
  // The ThumbHash placeholder was decoded and drawn in this browser (a data: PNG behind the preview).
  await page.waitForSelector('#preview[data-placeholder=thumbhash]');
  await page.waitForFunction(() => { const i = document.querySelector('#preview-image'); return i && i.complete && i.naturalWidth > 0; });
  const renditions = await page.$$eval('#renditions img', imgs => imgs.length);
  await page.waitForFunction(() => [...document.querySelectorAll('#renditions img')].every(i => i.complete && i.naturalWidth > 0));
  await page.waitForFunction(() => !document.querySelector('#similar')?.textContent.includes('Looking'));
  await shot('image');
  await scan('image');
  const deletedId = await page.evaluate(() => location.hash.split('/').pop());

  step('process again');
  await page.click('#reprocess');
  await page.waitForFunction(() => !document.querySelector('#reprocess') || !document.querySelector('#reprocess').disabled);
  expect(!(await page.$('#action-message.error')), `process again was refused: ${await page.$eval('#action-message', e => e.textContent).catch(() => '')}`);

  step('delete it');
  await page.waitForSelector('#delete');
  await page.click('#delete');
  await page.waitForFunction(() => location.hash === '#/' || location.hash === '');
  await page.waitForFunction(id => !document.querySelector(`#image-table tr[data-id="${id}"]`) && document.querySelectorAll('#image-table tbody tr').length === 2, {}, deletedId);
  const gone = await page.evaluate(async (id, key) => (await fetch(`/api/v1/images/${id}`, { headers: key ? { 'X-API-Key': key } : {} })).status, deletedId, apiKey || null);
  expect(gone === 404, `the deleted image answers ${gone}`);

  step('operations');
  await page.click('a[data-nav=operations]');
  await page.waitForFunction(() => document.querySelector('#health-status')?.textContent === 'healthy');
  await page.waitForFunction(() => document.querySelector('#counts .card[data-status=completed] .n')?.textContent === '1'
    && document.querySelector('#counts .card[data-status=failed] .n')?.textContent === '1');
  // The processing view: three outcomes so far (two completed, one failed, one completed again), none waiting.
  await page.waitForFunction(() => document.querySelectorAll('#rate svg rect.bar-ok').length >= 1
    && document.querySelector('#queue-lag')?.textContent === 'none waiting');
  const charted = await page.$$eval('#rate-table tbody tr', rows => rows.reduce((n, r) => n + Number(r.cells[1].textContent) + Number(r.cells[2].textContent), 0));
  expect(charted >= 3, `outcomes in the chart's table: ${charted}`);
  await page.click('#sweep');
  await page.waitForFunction(() => /Deleted \d+ expired/.test(document.querySelector('#sweep-result')?.textContent || ''));
  await shot('operations');
  await scan('operations');

  expect(errors.length === 0, `errors in the page: ${errors.join('; ')}`);
  seen.renditions = renditions;
  console.log(JSON.stringify(seen));
} catch (e) {
  // What the page showed when it failed, to say why.
  const page = (await browser.pages()).at(-1);
  const thumbs = await page.$$eval('img', imgs => imgs.map(i => `${i.id || i.className} ${i.src.slice(0, 60)} ${i.title} ${i.naturalWidth}`)).catch(() => []);
  console.error(`page errors: ${errors.join('; ')}\nimages: ${thumbs.join('\n')}`);
  await page.screenshot({ path: path.join(shots, 'failure.png') }).catch(() => {});
  throw e;
} finally {
  await browser.close();
}
