// Nothing lost through the real CLI: output paths are checked and claimed before the work starts
// (a second run writing the same output refuses, one line, exit 2), Ctrl-C ends verify with one
// line and exit 130 leaving no file or lock behind, `run` kills its running child on SIGINT (no
// orphan) and keeps the rows already finished, `run --resume` runs only the unanswered rows, and
// an existing results CSV is never truncated without --overwrite. The slow instance is a
// robustness property of the bundled mnist-mlp-200x2 at eps 0.04, which no stage settles quickly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/data/load.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cli = path.join(root, 'dist/src/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-lost-'));
const net = path.join(root, 'models/mnist-mlp-200x2.onnx');

function veribound(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: tmp, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function start(...args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; err: string; out: string }> } {
  const child = spawn(process.execPath, [cli, ...args], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '', out = '';
  child.stderr!.on('data', (d) => { err += d; });
  child.stdout!.on('data', (d) => { out += d; });
  const done = new Promise<{ code: number | null; err: string; out: string }>((resolve) => child.on('close', (code) => resolve({ code, err, out })));
  return { child, done };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) assert.unreachable(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const children = (pid: number): number[] => {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean).map(Number);
  } catch { return []; }
};

// the L∞ robustness property of MNIST test image `index` at radius eps, as VNN-LIB
function property(file: string, index: number, eps: number): string {
  const ds = loadDataset('mnist', { split: 'test' });
  const x = ds.images.subarray(index * 784, (index + 1) * 784), label = ds.labels[index];
  const lines: string[] = [];
  for (let i = 0; i < 784; i++) lines.push(`(declare-const X_${i} Real)`);
  for (let j = 0; j < 10; j++) lines.push(`(declare-const Y_${j} Real)`);
  for (let i = 0; i < 784; i++) lines.push(`(assert (>= X_${i} ${Math.max(0, x[i] - eps)}))`, `(assert (<= X_${i} ${Math.min(1, x[i] + eps)}))`);
  lines.push(`(assert (or ${[...Array(10).keys()].filter((j) => j !== label).map((j) => `(and (>= Y_${j} Y_${label}))`).join(' ')}))`);
  fs.writeFileSync(path.join(tmp, file), lines.join('\n') + '\n');
  return file;
}
const fast = property('fast.vnnlib', 0, 0);
const slow = property('slow.vnnlib', 0, 0.04);

test('verify: a second run on the same --out refuses; Ctrl-C exits 130 with one line and leaves nothing', async () => {
  const out = path.join(tmp, 'v.json'), result = path.join(tmp, 'v.result');
  const first = start('verify', '--net', net, '--spec', slow, '--timeout', '120', '--backend', 'cpu', '--out', out, '--result', result);
  await until('the lock', () => fs.existsSync(`${out}.lock`));
  const second = veribound('verify', '--net', net, '--spec', slow, '--timeout', '5', '--backend', 'cpu', '--out', out);
  assert.is(second.code, 2, second.err);
  assert.match(second.err, new RegExp(`--out .*v\\.json: another veribound \\(pid ${first.child.pid}\\) is writing it`));
  assert.is(second.err.trim().split('\n').length, 1);
  await until('the first stage line', () => fs.existsSync(`${result}.lock`));
  first.child.kill('SIGINT');
  const r = await first.done;
  assert.is(r.code, 130);
  assert.match(r.err.trim().split('\n').at(-1)!, /^veribound: verify interrupted \(SIGINT\); exiting$/);
  assert.is(r.out, '');
  for (const f of [out, result, `${out}.lock`, `${result}.lock`]) assert.not.ok(fs.existsSync(f), `${f} is left behind`);
});

test('attack: Ctrl-C exits 130 with one line, nothing written, no lock left', async () => {
  const out = path.join(tmp, 'a.json'), png = path.join(tmp, 'a.png');
  const a = start('attack', '--net', net, '--index', '0', '--timeout', '120', '--out', out, '--png', png);
  await until('the first progress line', () => fs.existsSync(`${out}.lock`) && fs.existsSync(`${png}.lock`));
  await sleep(1500);
  a.child.kill('SIGINT');
  const r = await a.done;
  assert.is(r.code, 130, r.err);
  assert.match(r.err.trim().split('\n').at(-1)!, /^veribound: attack interrupted \(SIGINT\); exiting$/);
  assert.is(r.out, '');
  for (const f of [out, png, `${out}.lock`, `${png}.lock`]) assert.not.ok(fs.existsSync(f), `${f} is left behind`);
});

test('verify: unwritable outputs fail before any work, one line', () => {
  let r = veribound('verify', '--net', net, '--spec', fast, '--out', path.join(tmp, 'no-such-dir', 'x.json'));
  assert.is(r.code, 2);
  assert.match(r.err, /--out .*x\.json: folder .*no-such-dir does not exist/);
  r = veribound('verify', '--net', net, '--spec', fast, '--out', path.join(tmp, 'x.result'));
  assert.is(r.code, 2);
  assert.match(r.err, /--out writes the JSON document \(FILE\.json\); the competition result file is --result FILE/);
  r = veribound('verify', '--net', net, '--spec', fast, '--summary', path.join(tmp, 'x.json'));
  assert.is(r.code, 2);
  assert.match(r.err, /--summary is now --out/);
  assert.is(r.err.trim().split('\n').length, 1);
});

test('run: SIGINT kills the running child and keeps the finished rows; --resume runs only the rest', async () => {
  const instances = path.join(tmp, 'instances.csv');
  fs.writeFileSync(instances, `${net},${fast},60\n${net},${slow},120\n`);
  const csv = path.join(tmp, 'results.csv');
  const run = start('run', '--instances', instances, '--csv', csv, '--backend', 'cpu', '--results-dir', path.join(tmp, 'res'));
  await until('the first row', () => fs.existsSync(csv) && fs.readFileSync(csv, 'utf8').trim().split('\n').length === 2, 90_000);
  let kids: number[] = [];
  await until('the second instance', () => (kids = children(run.child.pid!)).length > 0);
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.is(r.code, 130, r.err);
  await until('the child to be gone', () => kids.every((k) => !alive(k)), 5000);
  const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
  assert.is(lines.length, 2);
  assert.match(lines[1], /fast\.vnnlib,unsat,/);
  assert.not.ok(fs.existsSync(`${csv}.lock`));

  // a re-run without --resume or --overwrite refuses instead of truncating
  const again = veribound('run', '--instances', instances, '--csv', csv, '--backend', 'cpu');
  assert.is(again.code, 2);
  assert.match(again.err, /already has 1 row\(s\); add --resume .* or --overwrite/);
  assert.is(fs.readFileSync(csv, 'utf8').trim().split('\n').length, 2);

  // --resume: only the slow row runs (given a short timeout here), the fast row stays as it was
  fs.writeFileSync(instances, `${net},${fast},60\n${net},${slow},3\n`);
  const resumed = veribound('run', '--instances', instances, '--csv', csv, '--backend', 'cpu', '--resume', '--json');
  assert.is(resumed.code, 0, resumed.err);
  const doc = JSON.parse(resumed.out);
  assert.is(doc.resumed, 1);
  assert.is(doc.instances, 1);
  assert.is(doc.rows[0].vnnlib, slow);
  const after = fs.readFileSync(csv, 'utf8').trim().split('\n');
  assert.is(after.length, 3);
  assert.is(after[1], lines[1]);
  assert.match(after[2], /slow\.vnnlib,(timeout|unknown|sat|unsat),/);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
