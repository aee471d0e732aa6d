// `veribound bounds` through the real CLI: the JSON's margins are the CPU engine's bounds on the
// same boxes, verified ⇔ correctly classified and every margin bound > 0, and bad input is one
// line on stderr with exit code 2.
import { test } from 'uvu';
import { guard, sharedMissing } from './helpers/requires.js';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputSize, logitNetwork } from '../src/network.js';
import { loadDataset } from '../src/data/load.js';
import { CpuEngine } from '../src/bounds/index.js';
import { saveOnnx } from '../src/onnx/export.js';
import { loadNetwork } from '../src/models.js';
import { forward } from '../src/forward.js';
import { marginSpec, predictedClass } from '../src/spec/margins.js';
import { buildBoxes } from '../src/sweep/boxes.js';
import { randomNetwork, seededRng } from './helpers/random-network.js';

/** For the tests that read VNN-COMP files from ../shared (skipped with one line without it). */
const sharedTest = guard(test, sharedMissing());

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cli = path.join(root, 'dist/src/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-bounds-'));
const shared256 = path.resolve(root, '../shared/benchmarks/mnist_fc/onnx/mnist-net_256x2.onnx');

function veribound(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// a small random dense network (2 to 6 inputs) with 4 classes, saved as ONNX
const rng = seededRng(2024);
const net = randomNetwork(rng, { kind: 'dense', depth: 2, width: 10, outputs: 4 });
const netFile = path.join(tmp, 'tiny.onnx');
saveOnnx(net, netFile);
const n = inputSize(net);
const count = 12;
const xs = Array.from({ length: count }, () => Array.from({ length: n }, () => Math.round(rng() * 1000) / 1000));
const outs = forward(net, Float64Array.from(xs.flat()), count);
const preds = xs.map((_, i) => predictedClass(outs.subarray(i * 4, i * 4 + 4)));
const labels = preds.map((p, i) => (i % 4 === 3 ? (p + 1) % 4 : p)); // every fourth misclassified
const inputsFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(inputsFile, JSON.stringify({ inputs: xs, labels }));

for (const method of ['ibp', 'crown'] as const) {
  for (const eps of ['0', '0.02', '0.15']) {
    test(`--inputs --json (${method}, eps ${eps}): margins are the engine's bounds, verdicts follow them`, async () => {
      const r = veribound('bounds', '--net', netFile, '--inputs', inputsFile, '--eps', eps, '--method', method, '--backend', 'cpu', '--json');
      assert.is(r.code, 0, r.err);
      const doc = JSON.parse(r.out);
      assert.is(doc.method, method);
      assert.is(doc.eps, Number(eps));
      assert.is(doc.backend, 'cpu');
      assert.is(doc.samples.length, count);
      const loaded = loadNetwork(netFile);
      const ref = await new CpuEngine().bound(loaded, buildBoxes(Float64Array.from(xs.flat()), n, [...xs.keys()], xs.map(() => Number(eps))), { method, spec: marginSpec(loaded, labels) });
      doc.samples.forEach((s: { index: number; label: number; predicted: number; margin_lower: number[]; verified: boolean }, i: number) => {
        assert.equal(Object.keys(s).sort(), ['index', 'label', 'margin_lower', 'predicted', 'verified']);
        assert.is(s.index, i);
        assert.is(s.label, labels[i]);
        assert.is(s.predicted, preds[i]);
        assert.is(s.margin_lower.length, 3);
        s.margin_lower.forEach((v, r) => assert.ok(Math.abs(v - ref.lower[i * 3 + r]) <= 1e-12 * Math.max(1, Math.abs(v)), `sample ${i} row ${r}`));
        assert.is(s.verified, s.predicted === s.label && s.margin_lower.every((v) => v > 0));
        if (s.label !== s.predicted) assert.is(s.verified, false);
      });
      if (eps === '0') {
        // at eps 0 every correctly classified input is verified (its margins are the exact logit gaps)
        doc.samples.forEach((s: { label: number; predicted: number; verified: boolean }) => assert.is(s.verified, s.label === s.predicted));
      }
    });
  }
}

test('table output names the verified count', () => {
  const r = veribound('bounds', '--net', netFile, '--inputs', inputsFile, '--eps', '0', '--backend', 'cpu');
  assert.is(r.code, 0, r.err);
  const correct = labels.filter((l, i) => l === preds[i]).length;
  assert.match(r.out, new RegExp(`verified ${correct} of ${count}`));
  assert.match(r.out, /misclassified/);
});

sharedTest('--samples on a real MNIST network: first N test images, verdicts follow the margins', () => {
  const r = veribound('bounds', '--net', shared256, '--samples', '15', '--eps', '0.01', '--method', 'crown', '--backend', 'cpu', '--json');
  assert.is(r.code, 0, r.err);
  const doc = JSON.parse(r.out);
  assert.equal(doc.samples.map((s: { index: number }) => s.index), [...Array(15).keys()]);
  assert.equal(doc.samples.slice(0, 5).map((s: { label: number }) => s.label), [7, 2, 1, 0, 4]); // MNIST test labels
  let verified = 0;
  for (const s of doc.samples) {
    assert.is(s.margin_lower.length, 9);
    assert.is(s.verified, s.predicted === s.label && s.margin_lower.every((v: number) => v > 0));
    verified += s.verified ? 1 : 0;
  }
  assert.ok(verified > 0 && verified <= 15);
});

test('one-output sigmoid network: one margin, the logit signed by the label', async () => {
  if (!fs.existsSync(path.join(root, 'models/mnist-3v5-sigmoid.onnx'))) return;
  const r = veribound('bounds', '--net', 'mnist-3v5-sigmoid', '--data', 'mnist:3v5', '--samples', '6', '--eps', '0.02', '--backend', 'cpu', '--json');
  assert.is(r.code, 0, r.err);
  const doc = JSON.parse(r.out);
  const logit = logitNetwork(loadNetwork('mnist-3v5-sigmoid'));
  assert.is(logit.layers.at(-1)!.op.kind, 'dense', 'the trailing sigmoid is dropped');
  const ds = loadDataset('mnist:3v5', { split: 'test' });
  const x = Float64Array.from(ds.images.subarray(0, 6 * 784));
  const ref = await new CpuEngine().bound(logit, buildBoxes(x, 784, [...Array(6).keys()], new Array(6).fill(0.02)), { method: 'crown', spec: marginSpec(logit, ds.labels.subarray(0, 6)) });
  doc.samples.forEach((s: { label: number; margin_lower: number[]; verified: boolean; predicted: number }, i: number) => {
    assert.is(s.label, ds.labels[i]);
    assert.is(s.margin_lower.length, 1);
    assert.ok(Math.abs(s.margin_lower[0] - ref.lower[i]) <= 1e-12 * Math.max(1, Math.abs(ref.lower[i])));
    assert.is(s.verified, s.predicted === s.label && s.margin_lower[0] > 0);
  });
});

const bad: [string, string[], RegExp][] = [
  ['negative eps', ['--eps', '-0.1'], /--eps: epsilon -0\.1 is negative/],
  ['eps not a number', ['--eps', 'x1'], /--eps: 'x1' is not a number/],
  ['eps missing', [], /--eps is required/],
  ['samples 0', ['--eps', '0.1', '--samples', '0'], /--samples: 0 is below the minimum of 1/],
  ['too many samples', ['--eps', '0.1', '--samples', '10001'], /--samples 10001: mnist-test has only 10000 images/],
  ['unknown method', ['--eps', '0.1', '--samples', '2', '--method', 'deeppoly'], /--method 'deeppoly': unknown bound method/],
  ['two methods', ['--eps', '0.1', '--samples', '2', '--method', 'ibp,crown'], /give one method/],
  ['unknown backend', ['--eps', '0.1', '--samples', '2', '--backend', 'tpu'], /--backend 'tpu': expected one of auto, gpu, cpu/],
  ['both inputs and samples', ['--eps', '0.1', '--samples', '2', '--inputs', 'x.json'], /either --samples N or --inputs/],
  ['unknown option', ['--eps', '0.1', '--frobnicate'], /frobnicate/],
];

for (const [name, args, re] of bad) {
  test(`bad input: ${name} -> one line, exit 2`, () => {
    const r = veribound('bounds', '--net', netFile, ...args);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, re);
    assert.is(r.err.trim().split('\n').length, 1, r.err);
    assert.is(r.out, '');
  });
}

function writeJson(name: string, doc: unknown) {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return f;
}

const badFiles: [string, unknown, RegExp][] = [
  ['wrong length', { inputs: [xs[0].slice(1)], labels: [0] }, new RegExp(`input 0 has ${n - 1} values but .* takes ${n}`)],
  ['label out of range', { inputs: [xs[0], xs[1]], labels: [0, 4] }, /input 1: label 4 is out of range \(the network has 4 classes: 0\.\.3\)/],
  ['negative label', { inputs: [xs[0]], labels: [-1] }, /label -1 is out of range/],
  ['value outside [0,1]', { inputs: [[...xs[0].slice(0, n - 1), 1.5]], labels: [0] }, new RegExp(`input 0 value ${n - 1} is 1\\.5, outside the input domain \\[0, 1\\]`)],
  ['label count', { inputs: [xs[0], xs[1]], labels: [0] }, /2 inputs but 1 labels/],
  ['not JSON', '{"inputs": [', /not valid JSON/],
  ['no inputs', { labels: [] }, /"inputs" is missing/],
  ['empty', { inputs: [], labels: [] }, /"inputs" is empty/],
];

for (const [name, doc, re] of badFiles) {
  test(`bad --inputs file: ${name} -> one line naming the file, exit 2`, () => {
    const f = writeJson(`${name.replace(/\W+/g, '_')}.json`, doc);
    const r = veribound('bounds', '--net', netFile, '--inputs', f, '--eps', '0.1', '--backend', 'cpu');
    assert.is(r.code, 2, r.err);
    assert.match(r.err, re);
    assert.ok(r.err.includes(f), 'names the file');
    assert.is(r.err.trim().split('\n').length, 1, r.err);
  });
}

test('missing --inputs file', () => {
  const r = veribound('bounds', '--net', netFile, '--inputs', path.join(tmp, 'nope.json'), '--eps', '0.1', '--backend', 'cpu');
  assert.is(r.code, 2);
  assert.match(r.err, /nope\.json: cannot read it \(ENOENT\)/);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
