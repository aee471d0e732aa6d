#!/usr/bin/env node
// Screenshots an HTML report in headless Chromium, to look at how it reads:
//   node scripts/screenshot-report.mjs REPORT.html [OUT.png] [--width 1200] [--height 1600]
// Chromium is Debian's `chromium` (or $CHROMIUM). Network access, sync and extensions are off and
// the profile is a throw-away folder, so the page must render from its own file alone.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { width: { type: 'string', default: '1200' }, height: { type: 'string', default: '1600' } },
  allowPositionals: true,
});
const [html, outArg] = positionals;
if (!html) {
  process.stderr.write('usage: node scripts/screenshot-report.mjs REPORT.html [OUT.png] [--width W] [--height H]\n');
  process.exit(2);
}
if (!fs.existsSync(html)) {
  process.stderr.write(`screenshot-report: ${html}: no such file\n`);
  process.exit(2);
}
const out = path.resolve(outArg ?? html.replace(/\.html?$/i, '') + '.png');
const chromium = process.env.CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p));
if (!chromium) {
  process.stderr.write('screenshot-report: no chromium found (set $CHROMIUM)\n');
  process.exit(2);
}
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-chromium-'));
try {
  const r = spawnSync(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--hide-scrollbars', `--user-data-dir=${profile}`,
    `--screenshot=${out}`, `--window-size=${values.width},${values.height}`, pathToFileURL(path.resolve(html)).href,
  ], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0 || !fs.existsSync(out)) {
    process.stderr.write(`screenshot-report: chromium failed (exit ${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}\n`);
    process.exit(1);
  }
  process.stdout.write(`wrote ${out}\n`);
} finally {
  fs.rmSync(profile, { recursive: true, force: true });
}
