// `veribound sweep` through the real CLI: its counts equal bounding every (input, eps) pair on
// its own with the CPU engine, the JSON/CSV/SVG files are written and well-formed, and bad
// input is one line on stderr with exit code 2 and nothing written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Network } from '../src/network.js';
import { inputSize } from '../src/network.js';
import { CpuEngine } from '../src/bounds/index.js';
import type { BoundMethod } from '../src/bounds/types.js';
import { saveOnnx } from '../src/onnx/export.js';
import { loadNetwork } from '../src/models.js';
import { forward } from '../src/forward.js';
import { loadMnist } from '../src/data/mnist.js';
import { marginSpec, predictedClass } from '../src/spec/margins.js';
import { buildBoxes } from '../src/sweep/boxes.js';
import { verifiedAt } from '../src/sweep/scheduler.js';
import { randomNetwork, seededRng } from './helpers/random-network.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cli = path.join(root, 'dist/src/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-sweep-'));
const bundled = path.join(root, 'models/mnist-mlp.onnx');

function veribound(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Verified count per eps, each (input, eps) pair bounded in its own engine call; misclassified inputs count as not verified. */
async function bruteForce(net: Network, inputs: Float64Array, labels: number[], eps: number[], method: BoundMethod): Promise<number[]> {
  const n = inputSize(net);
  const outs = forward(net, inputs, labels.length);
  const k = outs.length / labels.length;
  const engine = new CpuEngine();
  const counts = eps.map(() => 0);
  for (let i = 0; i < labels.length; i++) {
    if (predictedClass(outs.subarray(i * k, (i + 1) * k)) !== labels[i]) continue;
    for (let e = 0; e < eps.length; e++) {
      const r = await engine.bound(net, buildBoxes(inputs, n, [i], [eps[e]]), { method, spec: marginSpec(net, [labels[i]]) });
      counts[e] += verifiedAt(r, 0) ? 1 : 0;
    }
  }
  return counts;
}

// a random dense network (2 to 6 inputs, 3 classes) and inputs labelled mostly by its own predictions
const rng = seededRng(99);
const net = randomNetwork(rng, { kind: 'dense', depth: 2, width: 12, outputs: 3 });
const netFile = path.join(tmp, 'tiny.onnx');
saveOnnx(net, netFile);
const n = inputSize(net);
const count = 40;
const xs = Array.from({ length: count }, () => Array.from({ length: n }, () => rng()));
const outs = forward(net, Float64Array.from(xs.flat()), count);
const labels = xs.map((_, i) => (i % 7 === 6 ? 0 : predictedClass(outs.subarray(i * 3, i * 3 + 3))));
const inputsFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(inputsFile, JSON.stringify({ inputs: xs, labels }));
const eps = [0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3];

interface Result { method: string; eps: number; verified: number; falsified: number; misclassified: number; undecided: number; robustAccuracy: number; pairsBounded: number }

test('every schedule gives the brute-force counts; JSON, CSV and SVG are written', async () => {
  const loaded = loadNetwork(netFile);
  const brute = {
    ibp: await bruteForce(loaded, Float64Array.from(xs.flat()), labels, eps, 'ibp'),
    crown: await bruteForce(loaded, Float64Array.from(xs.flat()), labels, eps, 'crown'),
  };
  assert.ok(brute.crown[0] > brute.crown[eps.length - 1], `the eps list crosses boundaries: ${brute.crown}`);
  const correct = labels.filter((l, i) => predictedClass(outs.subarray(i * 3, i * 3 + 3)) === l).length;
  for (const schedule of ['adaptive', 'bisect', 'all']) {
    const out = path.join(tmp, `${schedule}.json`), csv = path.join(tmp, `${schedule}.csv`), svg = path.join(tmp, `${schedule}.svg`);
    const r = veribound('sweep', '--net', netFile, '--inputs', inputsFile, '--eps', eps.join(','), '--method', 'ibp,crown', '--backend', 'cpu',
      '--schedule', schedule, '--out', out, '--csv', csv, '--plot', svg);
    assert.is(r.code, 0, r.err);
    const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(doc.eps, eps);
    assert.equal(doc.methods, ['ibp', 'crown']);
    assert.is(doc.samples, count);
    assert.is(doc.cleanCorrect, correct);
    for (const method of ['ibp', 'crown'] as const) {
      const rows: Result[] = doc.results.filter((x: Result) => x.method === method);
      assert.equal(rows.map((x) => x.verified), brute[method], `${schedule} ${method}`);
      rows.forEach((x) => {
        assert.is(x.robustAccuracy, x.verified / count);
        assert.is(x.misclassified, count - correct);
        assert.is(x.verified + x.falsified + x.misclassified + x.undecided, count);
      });
      const runInfo = doc.runs.find((x: { method: string }) => x.method === method);
      assert.is(runInfo.pairsTotal, count * eps.length);
      assert.is(rows.reduce((s, x) => s + x.pairsBounded, 0), runInfo.pairsBounded);
      if (schedule === 'all') assert.is(runInfo.pairsBounded, correct * eps.length);
      else assert.ok(runInfo.pairsBounded < correct * eps.length, `${schedule} bounded ${runInfo.pairsBounded}`);
    }
    // per input: the largest verified eps agrees with the per-eps counts
    for (const method of ['ibp', 'crown']) {
      const largest = doc.perSample.map((s: { maxVerifiedEps: Record<string, number | null> }) => s.maxVerifiedEps[method]);
      assert.equal(eps.map((e) => largest.filter((m: number | null) => m !== null && m >= e).length), brute[method as 'ibp' | 'crown']);
    }
    // CSV: header + one row per (method, eps), numbers parse
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    assert.is(lines.length, 1 + 2 * eps.length);
    const head = lines[0].split(',');
    assert.ok(head.includes('robustAccuracy') && head.includes('verified') && head.includes('eps'));
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      assert.is(cells.length, head.length);
      cells.slice(1, head.indexOf('partial')).forEach((c) => assert.ok(Number.isFinite(Number(c)), `CSV cell '${c}'`));
      assert.is(cells[head.indexOf('partial')], 'false');
    }
    assert.is(Number(lines[1].split(',')[head.indexOf('verified')]), brute.ibp[0]);
    // SVG: one polyline per method, legend names them
    const text = fs.readFileSync(svg, 'utf8');
    assert.match(text, /^<\?xml[^>]*\?>\s*<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.ok(text.trim().endsWith('</svg>'));
    assert.is((text.match(/<polyline /g) ?? []).length, 2);
    assert.ok(text.includes('>IBP<') && text.includes('>CROWN<'));
    // the table on stdout
    assert.match(r.out, /method\s+eps\s+clean acc\s+verified\s+robust acc/);
    assert.is(r.out.split('\n').filter((l) => /^(ibp|crown)\s+\d/.test(l)).length, 2 * eps.length);
    assert.is(r.err, '', 'no progress bar or notice when stderr is not a terminal and the backend is cpu');
  }
});

test('bundled MNIST network: sweep counts equal every pair bounded on its own (CROWN)', async () => {
  assert.ok(fs.existsSync(bundled), 'models/mnist-mlp.onnx is bundled');
  const samples = 20;
  const sweepEps = [0.005, 0.01, 0.015, 0.02, 0.03, 0.04];
  const r = veribound('sweep', '--samples', String(samples), '--eps', '0.005,0.01,0.015,0.02,0.03,0.04', '--method', 'crown',
    '--backend', 'cpu', '--out', path.join(tmp, 'mnist.json'));
  assert.is(r.code, 0, r.err);
  const doc = JSON.parse(fs.readFileSync(path.join(tmp, 'mnist.json'), 'utf8'));
  const ds = loadMnist('test');
  const mlp = loadNetwork('mnist-mlp');
  const inputs = Float64Array.from(ds.images.subarray(0, samples * 784));
  const brute = await bruteForce(mlp, inputs, Array.from(ds.labels.subarray(0, samples)), sweepEps, 'crown');
  assert.equal(doc.results.map((x: Result) => x.verified), brute);
  assert.ok(brute[0] > 0 && brute[0] > brute[brute.length - 1], `boundaries inside the list: ${brute}`);
});

const bad: [string, string[], RegExp][] = [
  ['empty eps range', ['--eps', '0.1:0.01:5'], /--eps: '0\.1:0\.01:5' is an empty range/],
  ['zero count', ['--eps', '0.01:0.1:0'], /empty range \(count 0\)/],
  ['negative eps in a list', ['--eps', '0.01,-0.02'], /epsilon -0\.02 is negative/],
  ['too many samples', ['--samples', '20000'], /--samples 20000: mnist-test has only 10000 images/],
  ['unknown method', ['--method', 'ibp,alpha'], /--method 'alpha': unknown bound method/],
  ['unknown schedule', ['--schedule', 'random'], /--schedule 'random'/],
  ['missing output folder', ['--out', '/nonexistent-dir/x.json'], /--out \/nonexistent-dir\/x\.json: folder \/nonexistent-dir does not exist/],
];

for (const [name, args, re] of bad) {
  test(`bad input: ${name} -> one line, exit 2, nothing written`, () => {
    const plot = path.join(tmp, `bad-${name.replace(/\W+/g, '_')}.svg`);
    const r = veribound('sweep', '--net', netFile, '--plot', plot, ...args);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, re);
    assert.is(r.err.trim().split('\n').length, 1, r.err);
    assert.ok(!fs.existsSync(plot));
  });
}

test('an input file whose inputs do not fit the network', () => {
  const f = path.join(tmp, 'short.json');
  fs.writeFileSync(f, JSON.stringify({ inputs: [xs[0].slice(0, n - 1)], labels: [0] }));
  const r = veribound('sweep', '--net', netFile, '--inputs', f, '--backend', 'cpu');
  assert.is(r.code, 2);
  assert.match(r.err, new RegExp(`input 0 has ${n - 1} values but .* takes ${n}`));
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
