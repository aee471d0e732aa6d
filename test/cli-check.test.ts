// `veribound check` through the real CLI on a run it did not write itself: a small random network
// and properties built here (no ../shared needed), answered by `veribound run`; every sat is
// replayed (float64 and, when installed, onnxruntime) and passes; a result file whose Y or X was
// tampered with fails with exit 1 and a line naming the problem; relative paths without
// --root/--instances are one line, exit 2; scripts/check-sat.mjs still works.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveOnnx } from '../src/onnx/export.js';
import { inputSize, outputSize } from '../src/network.js';
import { randomNetwork, seededRng } from './helpers/random-network.js';
import { instanceFiles } from '../src/verify/instance-files.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cli = path.join(root, 'dist/src/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-check-'));

function veribound(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: tmp, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const net = randomNetwork(seededRng(5), { kind: 'dense', depth: 2, width: 6, outputs: 3 });
saveOnnx(net, path.join(tmp, 'net.onnx'));
const n = inputSize(net), m = outputSize(net);
const decl = [...Array(n).keys()].map((i) => `(declare-const X_${i} Real)`).concat([...Array(m).keys()].map((j) => `(declare-const Y_${j} Real)`));
const box = [...Array(n).keys()].flatMap((i) => [`(assert (>= X_${i} 0.2))`, `(assert (<= X_${i} 0.6))`]);
// sat: the unsafe set holds everywhere; unsat: Y_0 can never exceed an enormous value
fs.writeFileSync(path.join(tmp, 'sat.vnnlib'), [...decl, ...box, '(assert (<= Y_0 1000000))'].join('\n') + '\n');
fs.writeFileSync(path.join(tmp, 'unsat.vnnlib'), [...decl, ...box, '(assert (>= Y_0 1000000))'].join('\n') + '\n');
fs.writeFileSync(path.join(tmp, 'instances.csv'), 'net.onnx,sat.vnnlib,20\nnet.onnx,unsat.vnnlib,20\n');

test('check: the sats of a run replay; tampered ones fail with exit 1; paths resolve as run resolved them', () => {
  const run = veribound('run', '--instances', 'instances.csv', '--csv', 'r.csv', '--results-dir', 'res', '--backend', 'cpu');
  assert.is(run.code, 0, run.err);
  assert.match(fs.readFileSync(path.join(tmp, 'r.csv'), 'utf8'), /sat\.vnnlib,sat,[\s\S]*unsat\.vnnlib,unsat,/);
  for (const engine of ['float64', 'auto']) {
    const ok = veribound('check', '--csv', 'r.csv', '--results-dir', 'res', '--instances', 'instances.csv', '--engine', engine, '--json');
    assert.is(ok.code, 0, ok.err + ok.out);
    const doc = JSON.parse(ok.out);
    assert.is(doc.checked, 1);
    assert.is(doc.failed, 0);
    assert.ok(doc.rows[0].maxYDiff <= 1e-3);
  }
  // relative paths and no --root / --instances: one line, exit 2
  const noRoot = veribound('check', '--csv', 'r.csv', '--results-dir', 'res');
  assert.is(noRoot.code, 2);
  assert.match(noRoot.err, /names relative paths \(net\.onnx\); give --instances CSV or --root DIR/);
  assert.is(noRoot.err.trim().split('\n').length, 1);

  const file = instanceFiles(path.join(tmp, 'res'), 'net.onnx', 'sat.vnnlib').result;
  const original = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, original.replace(/\(Y_0 [^)]+\)/, '(Y_0 777)'));
  let bad = veribound('check', '--csv', 'r.csv', '--results-dir', 'res', '--root', '.', '--engine', 'float64');
  assert.is(bad.code, 1);
  assert.match(bad.out, /FAILS net\.onnx sat\.vnnlib: the reported Y differs from the network's output/);
  fs.writeFileSync(file, original.replace(/\(X_0 [^)]+\)/, '(X_0 0.9)'));
  bad = veribound('check', '--csv', 'r.csv', '--results-dir', 'res', '--root', '.', '--engine', 'float64');
  assert.is(bad.code, 1);
  assert.match(bad.out, /X lies outside every input box/);
  fs.rmSync(file);
  bad = veribound('check', '--csv', 'r.csv', '--results-dir', 'res', '--root', '.');
  assert.is(bad.code, 1);
  assert.match(bad.out, /no result file/);
  assert.not.match(bad.out + bad.err, /at .*\.js:\d+/);
  fs.writeFileSync(file, original);
  const script = spawnSync(process.execPath, [path.join(root, 'scripts/check-sat.mjs'), '--results', 'r.csv', '--results-dir', 'res', '--root', '.'], { cwd: tmp, encoding: 'utf8' });
  assert.is(script.status, 0, script.stderr + script.stdout);
});

test('check: bad arguments are one line, exit 2', () => {
  for (const [args, re] of [
    [['--results-dir', 'res'], /--csv results\.csv is required/],
    [['--csv', 'nope.csv', '--results-dir', tmp], /--csv nope\.csv does not exist/],
    [['--csv', 'r.csv', '--results-dir', 'nowhere'], /--results-dir nowhere is not a folder/],
    [['--results', 'r.csv'], /--results is now --csv/],
    [['--csv', 'instances.csv', '--results-dir', tmp], /not a results CSV/],
  ] as [string[], RegExp][]) {
    const r = veribound('check', ...args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.is(r.err.trim().split('\n').length, 1);
  }
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
