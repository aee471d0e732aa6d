#!/usr/bin/env node
// Times one sweep in the browser page against the same sweep by the CLI on this machine:
//   node scripts/time-web-page.mjs [--backend cpu|gpu] [--net mnist-mlp] [--samples 100] [--eps 0.005:0.05:10]
//                                  [--method ibp,crown] [--schedule bisect] [--screenshot OUT.png] [--page-only]
// Needs `npx tsc -p .` and `npm run build:web` first (serves dist-web/), and Debian's chromium
// (or $CHROMIUM); WebGPU runs on whatever adapter Chromium offers (SwiftShader without a GPU).
// Prints both sweep times (the bound runs of every method, as the page's and the CLI's reports time them),
// the wall time of each, and whether the verified counts agree.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import puppeteer from 'puppeteer-core';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values: v } = parseArgs({
  options: {
    backend: { type: 'string', default: 'gpu' }, net: { type: 'string', default: 'mnist-mlp' }, samples: { type: 'string', default: '100' },
    eps: { type: 'string', default: '0.005:0.05:10' }, method: { type: 'string', default: 'ibp,crown' }, schedule: { type: 'string', default: 'bisect' },
    screenshot: { type: 'string' }, 'page-only': { type: 'boolean', default: false },
  },
});
const site = path.join(root, 'dist-web');
if (!fs.existsSync(path.join(site, 'index.html'))) {
  process.stderr.write('time-web-page: dist-web/ is not built (npm run build:web)\n');
  process.exit(2);
}
const { serveStatic } = await import(path.join(root, 'dist/src/serve/static.js'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-time-web-'));
const server = await serveStatic(site);
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
let page, browser;
try {
  const w0 = performance.now();
  browser = await puppeteer.launch({
    executablePath: chromium, headless: true, userDataDir: path.join(tmp, 'profile'), protocolTimeout: 0, // a wait lasts the whole sweep
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--hide-scrollbars',
      '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader', '--disable-vulkan-surface'],
    env: { ...process.env, VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json' },
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 1000 });
  const q = new URLSearchParams({ net: v.net, samples: v.samples, eps: v.eps, method: v.method, schedule: v.schedule, backend: v.backend, run: '1' });
  await page.goto(`${server.url}?${q}`);
  await page.waitForFunction(`['done', 'error'].includes(document.body.dataset.state)`, { timeout: 0, polling: 500 });
  const got = await page.evaluate(`({ report: window.veribound.report, error: window.veribound.error, adapter: document.getElementById('adapter').textContent })`);
  const pageWall = (performance.now() - w0) / 1000;
  if (got.error) throw new Error(`the page failed: ${got.error}`);
  if (v.screenshot) await page.screenshot({ path: v.screenshot, fullPage: true });
  const pageSweep = got.report.runs.reduce((t, r) => t + r.timeS, 0);
  const pageLine = `${got.adapter}\npage: ${got.report.engine}: sweep ${pageSweep.toFixed(2)} s (browser start + page load + sweep ${pageWall.toFixed(1)} s)\n`;
  if (v['page-only']) process.stdout.write(pageLine);
  else await compareWithCli(got, pageLine);
} finally {
  await browser?.close();
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}

async function compareWithCli(got, pageLine) {
  const out = path.join(tmp, 'cli.json');
  const c0 = performance.now();
  execFileSync(process.execPath, [path.join(root, 'dist/src/cli.js'), 'sweep', '--net', v.net, '--samples', v.samples, '--eps', v.eps, '--method', v.method,
    '--schedule', v.schedule, '--backend', v.backend, '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  const cliWall = (performance.now() - c0) / 1000;
  const cli = JSON.parse(fs.readFileSync(out, 'utf8'));
  const key = (rs) => JSON.stringify(rs.map((r) => [r.method, r.eps, r.verified]));
  const cliSweep = (cli.runs ?? []).reduce((s, r) => s + (r.seconds ?? r.timeS ?? 0), 0);
  process.stdout.write(pageLine +
    `cli:  ${cli.engine}: sweep ${cliSweep.toFixed(2)} s (process ${cliWall.toFixed(1)} s)\n` +
    `verified counts ${key(got.report.results) === key(cli.results) ? 'agree' : 'DIFFER'}: ${key(got.report.results)}\n`);
}
