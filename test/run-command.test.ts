import { test } from 'uvu';
import { guard, sharedMissing } from './helpers/requires.js';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadOnnxFile } from '../src/onnx/load.js';
import { readVnnlib } from '../src/spec/vnnlib.js';
import { insideBox, unsafeDisjunct } from '../src/spec/property.js';
import { forward } from '../src/forward.js';
import { formatResult, parseResult } from '../src/verify/result-file.js';

/** For the tests that read VNN-COMP files from ../shared (skipped with one line without it). */
const sharedTest = guard(test, sharedMissing());

const sanity = path.resolve('..', 'shared', 'benchmarks', 'sanity');
const cli = path.resolve('dist', 'src', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-run-test-'));

function veribound(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

test('result file format: the answer line, and for sat ((X_i v) ... (Y_j v)) that reads back exactly', () => {
  assert.is(formatResult('unsat'), 'unsat\n');
  assert.is(formatResult('timeout'), 'timeout\n');
  const x = new Float64Array([0.1, -2.5e-7]), y = new Float64Array([1 / 3]);
  const text = formatResult('sat', { x, y });
  assert.is(text, `sat\n((X_0 0.1)\n (X_1 -2.5e-7)\n (Y_0 ${1 / 3}))\n`);
  const back = parseResult(text);
  assert.equal(back, { answer: 'sat', x: [...x], y: [...y] });
});

sharedTest('verify: answer on the first line of stdout; --out writes a sat counterexample that replays', () => {
  const out = path.join(tmp, 'sat.result');
  const r = veribound('verify', '--net', path.join(sanity, 'test_sat.onnx'), '--spec', path.join(sanity, 'test_prop.vnnlib'), '--backend', 'cpu', '--timeout', '30', '--out', out);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.split('\n')[0], 'sat');
  assert.match(r.stderr, /attack: counterexample found/);
  const res = parseResult(fs.readFileSync(out, 'utf8'));
  assert.is(res.answer, 'sat');
  const net = loadOnnxFile(path.join(sanity, 'test_sat.onnx'));
  const prop = readVnnlib(path.join(sanity, 'test_prop.vnnlib'));
  const x = Float64Array.from(res.x);
  assert.is(res.x.length, 5);
  assert.is(res.y.length, 5);
  const y = forward(net, x, 1);
  assert.ok(insideBox(prop.regions[0], x, 1e-4));
  assert.ok(unsafeDisjunct(prop.regions[0], y) >= 0);
  y.forEach((v, j) => assert.ok(Math.abs(v - res.y[j]) < 1e-9));
});

sharedTest('verify: bad arguments and files are one-line user errors with exit 2', () => {
  let r = veribound('verify', '--net', path.join(sanity, 'test_sat.onnx'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /--spec P\.vnnlib is required/);
  const bad = path.join(tmp, 'bad.vnnlib');
  fs.writeFileSync(bad, '(declare-const X_0 Real)\n(assert (<= X_0 oops))\n');
  r = veribound('verify', '--net', path.join(sanity, 'test_nano.onnx'), '--spec', bad, '--backend', 'cpu');
  assert.is(r.status, 2);
  assert.match(r.stderr, /bad\.vnnlib:2: .*'oops'/);
  assert.is(r.stderr.trim().split('\n').length, 1);
  r = veribound('verify', '--net', path.join(sanity, 'test_sat.onnx'), '--spec', path.join(sanity, 'test_nano.vnnlib'), '--backend', 'cpu');
  assert.is(r.status, 2);
  assert.match(r.stderr, /declares 1 inputs X_i/);
});

sharedTest('run: a 3-row CSV (one row crashing) gives a results CSV, counts and a stage breakdown', () => {
  const csv = path.join(tmp, 'instances.csv');
  fs.writeFileSync(csv, 'test_sat.onnx,test_prop.vnnlib,30\ntest_unsat.onnx,test_prop.vnnlib,30\nmissing.onnx,test_prop.vnnlib,30\n');
  const out = path.join(tmp, 'results.csv');
  const r = veribound('run', '--instances', csv, '--root', sanity, '--out', out, '--backend', 'cpu', '--results-dir', path.join(tmp, 'res'));
  assert.is(r.status, 0, r.stderr);
  const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
  assert.is(lines[0], 'onnx,vnnlib,result,time_s');
  assert.is(lines.length, 4);
  assert.match(lines[1], /^test_sat\.onnx,test_prop\.vnnlib,sat,\d+\.\d+$/);
  assert.match(lines[2], /^test_unsat\.onnx,test_prop\.vnnlib,unsat,\d+\.\d+$/);
  assert.match(lines[3], /^missing\.onnx,test_prop\.vnnlib,error,/);
  assert.match(r.stdout, /3 instances in [\d.]+s: unsat 1, sat 1, timeout 0, unknown 0, error 1/);
  assert.match(r.stdout, /attack\s+1\s/);
  assert.match(r.stdout, /missing\.onnx.*no such file/);
});

sharedTest('run: --filter and --limit select rows; a bad CSV row is a user error', () => {
  const csv = path.join(tmp, 'instances2.csv');
  fs.writeFileSync(csv, 'test_sat.onnx,test_prop.vnnlib,30\ntest_unsat.onnx,test_prop.vnnlib,30\n');
  const out = path.join(tmp, 'results2.csv');
  let r = veribound('run', '--instances', csv, '--root', sanity, '--out', out, '--backend', 'cpu', '--filter', 'unsat', '--limit', '1');
  assert.is(r.status, 0, r.stderr);
  assert.is(fs.readFileSync(out, 'utf8').trim().split('\n').length, 2);
  fs.writeFileSync(csv, 'test_sat.onnx,test_prop.vnnlib\n');
  r = veribound('run', '--instances', csv, '--root', sanity, '--out', out);
  assert.is(r.status, 2);
  assert.match(r.stderr, /instances2\.csv:1: expected 'onnx,vnnlib,timeout', got 2 fields/);
});

test.run();
