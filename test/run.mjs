// Runs every compiled test file (dist/test/**/*.test.js) with uvu, each file in its own
// process (a crash or a stuck GPU device in one file cannot take the others down, and
// files run two at a time on the 2-core machines), then prints one closing line
// "N passed, N failed" that CI counts. A file still running after VERIBOUND_TEST_FILE_TIMEOUT_S
// seconds (default 600; the longest file takes about 90 s on a loaded 2-core machine) is killed and
// counted as failed with its output so far, so a hang is a red line naming the file, not a CI run
// that sits until its own limit. Usage: node test/run.mjs [filter-substring]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dir = path.join(root, 'dist', 'test');
const filter = process.argv[2] ?? '';
// only compiled files whose source is still there: a renamed or deleted test leaves its old
// .js behind in dist/ (tsc never removes outputs), and that stale copy must not run
const files = fs.readdirSync(dir, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.js') && f.includes(filter))
  .filter((f) => fs.existsSync(path.join(root, 'test', f.replace(/\.js$/, '.ts'))))
  .sort();

process.env.XDG_RUNTIME_DIR ??= os.tmpdir();
const uvu = path.join(root, 'node_modules', 'uvu', 'bin.js');
const fileTimeoutS = Number(process.env.VERIBOUND_TEST_FILE_TIMEOUT_S ?? 600);
let passed = 0, failed = 0, skipped = 0;
const failedFiles = [];

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [uvu, path.dirname(path.join(dir, file)), `^${path.basename(file).replace(/\./g, '\\.')}$`], {
      cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, fileTimeoutS * 1000);
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) out += `\nkilled: still running after ${fileTimeoutS} s (VERIBOUND_TEST_FILE_TIMEOUT_S)\n`;
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
      const num = (label) => Number((plain.match(new RegExp(`${label}:\\s+(\\d+)`)) ?? [])[1] ?? 0);
      const total = num('Total'), ok = num('Passed'), skip = num('Skipped');
      let bad = Math.max(0, total - ok); // uvu's Total leaves skipped tests out
      if ((code !== 0 || timedOut) && bad === 0) bad = 1; // crashed or hung before or outside a test
      passed += ok; failed += bad; skipped += skip;
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`${bad ? 'FAIL' : 'ok  '} ${file}  (${ok} passed, ${bad} failed${skip ? `, ${skip} skipped` : ''}, ${secs}s)\n`);
      // a skipping file says why in one line (test/helpers/requires.ts prints it)
      if (skip && !bad) for (const line of new Set(plain.match(/^skip: .*$/gm) ?? [])) process.stdout.write(`     ${line}\n`);
      if (bad) { failedFiles.push(file); process.stdout.write(out.replace(/^/gm, '    ') + '\n'); }
      resolve();
    });
  });
}

const queue = [...files];
const workers = Array.from({ length: Math.min(2, queue.length) }, async () => {
  while (queue.length) await runFile(queue.shift());
});
await Promise.all(workers);
if (failedFiles.length) process.stdout.write(`failed files: ${failedFiles.join(', ')}\n`);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed || files.length === 0 ? 1 : 0;
