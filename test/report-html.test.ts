// The HTML report page from a real (small) sweep on the CPU engine: one table row per epsilon,
// the inline SVG curve, inline PNG examples whose pixels are the inputs', nothing external.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import pngjs from 'pngjs';
import type { Network } from '../src/network.js';
import { appendLayer } from '../src/network.js';
import { forward } from '../src/forward.js';
import { CpuEngine } from '../src/bounds/index.js';
import { runSweep } from '../src/sweep/scheduler.js';
import { predict } from '../src/sweep/classify.js';
import type { RunInfo, SweepReport } from '../src/sweep/report.js';
import { buildRows, perSample } from '../src/sweep/report.js';
import { PairTable } from '../src/sweep/pairs.js';
import { renderHtmlReport, writeHtmlReport } from '../src/report/html.js';
import { sweepHtmlReport } from '../src/report/sweep-html.js';
import { UserError } from '../src/errors.js';

const { PNG } = pngjs;

// 8x8 grey images given flat, as [64, 1] (drawn as squares); class 1 when the left half is brighter than the right (through a ReLU layer)
function makeNet(): Network {
  const net: Network = { name: 'left<right> & co', inputShape: [64, 1], layers: [], warnings: [] };
  appendLayer(net, { kind: 'reshape' }, 'flatten', [64]);
  const w1 = new Float64Array(4 * 64);
  for (let i = 0; i < 64; i++) {
    const left = i % 8 < 4 ? 1 / 32 : -1 / 32;
    w1[i] = left; w1[64 + i] = -left; w1[128 + i] = left * 0.5; w1[192 + i] = -left * 0.5;
  }
  appendLayer(net, { kind: 'dense', inFeatures: 64, outFeatures: 4, weight: w1, bias: new Float64Array([0, 0, 0.01, 0.01]) });
  appendLayer(net, { kind: 'relu' });
  appendLayer(net, { kind: 'dense', inFeatures: 4, outFeatures: 2, weight: new Float64Array([-1, 1, -0.5, 0.5, 1, -1, 0.5, -0.5]), bias: new Float64Array([0, 0]) });
  return net;
}

function makeInputs(count: number): { inputs: Float64Array; labels: Int32Array } {
  const inputs = new Float64Array(count * 64);
  const labels = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const d = (k - (count - 1) / 2) / count; // brightness difference, from -0.5 to 0.5
    for (let i = 0; i < 64; i++) inputs[k * 64 + i] = 0.5 + (i % 8 < 4 ? d : -d) * ((i >> 3) / 7);
    labels[k] = k % 5 === 0 ? (d > 0 ? 0 : 1) : d > 0 ? 1 : 0; // every fifth label is wrong
  }
  return { inputs, labels };
}

async function sweepReport(): Promise<{ rep: SweepReport; net: Network; inputs: Float64Array }> {
  const net = makeNet();
  const count = 20;
  const { inputs, labels } = makeInputs(count);
  const eps = [0.01, 0.02, 0.05, 0.1, 0.2];
  const { predicted } = predict(net, inputs, count);
  const candidates = [...Array(count).keys()].filter((i) => predicted[i] === labels[i]);
  const engine = new CpuEngine();
  const runs: RunInfo[] = [];
  for (const method of ['ibp', 'crown'] as const) {
    const run = await runSweep(engine, { net, inputs, labels, count, eps, candidates }, { method, schedule: 'all' });
    runs.push({ run, seconds: 0.01 });
  }
  await engine.dispose();
  const table = new PairTable(count, eps);
  const rows = buildRows(eps, count, candidates.length, runs, table);
  const rep: SweepReport = {
    net: net.name, data: 'synthetic', samples: count, backend: 'cpu', engine: engine.describe(), schedule: 'all', eps,
    methods: ['ibp', 'crown'], correct: candidates.length, rows, runs: [],
    perSample: perSample(eps, [...Array(count).keys()], labels, predicted, runs, table), seconds: 0.1,
    attack: { attacks: 0, seconds: 0 }, conflicts: 0, partial: false,
  };
  return { rep, net, inputs };
}

const count = (s: string, re: RegExp): number => (s.match(re) ?? []).length;

test('the page has the network, one row per epsilon, the curve and the examples, all inline', async () => {
  const { rep, net, inputs } = await sweepReport();
  const html = renderHtmlReport(sweepHtmlReport(rep, net, { inputs, classNames: ['right', 'left'], attackBudget: 0 }));
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  const tbody = /<table class="results">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1];
  assert.is(count(tbody, /<tr>/g), rep.eps.length);
  assert.is(count(html, /<svg[\s>]/g), 1);
  assert.is(count(html, /<polyline /g), 2); // one curve per method
  assert.not.match(html, /<\?xml/);
  // escaped, never raw markup from names
  assert.match(html, /left&lt;right&gt; &amp; co/);
  assert.not.match(html, /left<right>/);
  // the layers of the network
  assert.match(html, /Dense 64-&gt;4/);
  assert.match(html, /clean accuracy/);
  // nothing external: no links, scripts, stylesheets or remote URLs
  assert.not.match(html, /<(script|link|iframe)\b/i);
  assert.not.match(html, /(src|href)\s*=\s*"(?!data:)/i);
  assert.not.match(html, /url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);
  // examples: verified ones and the misclassified ones (every fifth input), marked as misclassified, not falsified
  const figures = [...html.matchAll(/<figure class="example (\w+)"><img src="data:image\/png;base64,([^"]+)"/g)];
  const kinds = figures.map((f) => f[1]);
  assert.ok(kinds.includes('verified') && kinds.includes('misclassified'), kinds.join());
  assert.not.ok(kinds.includes('falsified'), 'no counterexample search ran (attackBudget 0): nothing is falsified');
  const miscount = rep.perSample.filter((s) => s.label !== s.predicted).length;
  assert.is(kinds.filter((k) => k === 'misclassified').length, Math.min(4, miscount));
  // a misclassified figure shows a misclassified input, pixel for pixel (value × 255, enlarged)
  const idx = Number(/input (\d+)/.exec(html.slice(html.indexOf('<figure class="example misclassified"')))![1]);
  assert.ok(rep.perSample[idx].label !== rep.perSample[idx].predicted);
  const fig = figures.find((f) => f[1] === 'misclassified')!;
  const png = PNG.sync.read(Buffer.from(fig[2], 'base64'));
  const scale = png.width / 8;
  assert.is(png.height, 8 * scale);
  for (const [y, x] of [[0, 0], [7, 2], [5, 6]]) {
    const v = Math.round(inputs[idx * 64 + y * 8 + x] * 255);
    assert.is(png.data[((y * scale) * png.width + x * scale) * 4], v, `pixel ${y},${x}`);
  }
});

test('PGD counterexamples on the page replay, lie in the ball, and only where no method verified', async () => {
  const { rep, net, inputs } = await sweepReport();
  const r = sweepHtmlReport(rep, net, { inputs, perKind: 3 });
  const adv = r.examples.filter((e) => e.adversarial);
  assert.ok(adv.length >= 1, 'PGD finds some counterexample on this net');
  assert.ok(adv.length <= 3);
  for (const ex of adv) {
    const idx = Number(/input (\d+)/.exec(ex.title)![1]);
    const eps = Number(/falsified at ε = ([\d.e-]+)/.exec(ex.lines.at(-1)!)![1]);
    const x = inputs.subarray(idx * 64, (idx + 1) * 64);
    let dist = 0;
    for (let i = 0; i < 64; i++) dist = Math.max(dist, Math.abs(ex.adversarial![i] - x[i]));
    assert.ok(dist <= eps + 1e-12, `distance ${dist} > eps ${eps}`);
    const y = forward(net, Float64Array.from(ex.adversarial!), 1);
    assert.ok(y[rep.perSample[idx].label] <= Math.max(...Array.from(y).filter((_, j) => j !== rep.perSample[idx].label)), 'the counterexample changes the decision');
    // soundness cross-check: no method verified this input at this epsilon
    for (const m of rep.methods) {
      const v = rep.perSample[idx].maxVerifiedEps[m];
      assert.ok(v === null || v < eps, `${m} verified input ${idx} up to ${v}, PGD refuted it at ${eps}`);
    }
  }
  const html = renderHtmlReport(r);
  assert.is([...html.matchAll(/<figure class="example/g)].length, r.examples.length);
});

test('each example says at which ε it was verified, falsified or left undecided; undecided inputs are shown', async () => {
  const { rep, net, inputs } = await sweepReport();
  const r = sweepHtmlReport(rep, net, { inputs, perKind: 3, attackBudget: 0 });
  const undecided = r.examples.filter((x) => x.status === 'undecided');
  // without an attack every correctly classified input not verified at the largest ε is undecided there
  const expected = rep.perSample.filter((s) => s.label === s.predicted && Object.values(s.maxVerifiedEps).every((v) => v === null || v < 0.2));
  assert.is(undecided.length, Math.min(3, expected.length));
  assert.ok(undecided.length >= 1);
  for (const ex of undecided) {
    const s = rep.perSample[Number(/input (\d+)/.exec(ex.title)![1])];
    const best = Math.max(...Object.values(s.maxVerifiedEps).map((v) => v ?? -1));
    const m = /undecided at ε = ([\d.]+)(?: … ([\d.]+))?: neither proven robust nor refuted/.exec(ex.lines.at(-1)!)!;
    assert.ok(Number(m[1]) > best, `first undecided ε ${m[1]} is above the verified ${best}`);
    assert.is(Number(m[2] ?? m[1]), 0.2);
  }
  for (const ex of r.examples.filter((x) => x.status === 'verified')) {
    const s = rep.perSample[Number(/input (\d+)/.exec(ex.title)![1])];
    for (const mth of rep.methods) {
      const v = s.maxVerifiedEps[mth];
      assert.ok(ex.lines.includes(`${mth.toUpperCase()}: ${v === null ? 'not verified at any ε of the sweep' : `verified up to ε = ${v}`}`), ex.lines.join(' | '));
    }
  }
  for (const ex of r.examples.filter((x) => x.status === 'misclassified')) assert.match(ex.lines.join(' '), /misclassified without any perturbation/);
});

test('inputs that are not images (a feature vector) are listed as values instead of failing the page', async () => {
  const { rep, net, inputs } = await sweepReport();
  const r = sweepHtmlReport(rep, net, { inputs, attackBudget: 0 });
  const html = renderHtmlReport({ ...r, imageShape: [7, 3, 3, 1] });
  assert.ok(r.examples.length > 0);
  assert.is(count(html, /<pre class="values">x = \[/g), r.examples.length);
  assert.not.match(html, /<img /);
});

test('the page records the command line and the veribound version', async () => {
  const { rep, net, inputs } = await sweepReport();
  const version = JSON.parse(fs.readFileSync(path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../package.json'), 'utf8')).version;
  const html = renderHtmlReport(sweepHtmlReport(rep, net, { inputs, attackBudget: 0, command: "veribound sweep --net 'my net.onnx' --html r.html" }));
  assert.ok(html.includes(`veribound ${version}: <code>veribound sweep --net &#39;my net.onnx&#39; --html r.html</code>`));
  const dflt = renderHtmlReport(sweepHtmlReport(rep, net, { inputs, attackBudget: 0 }));
  assert.match(dflt, new RegExp(`<p class="provenance">veribound ${version.replace(/\./g, '\\.')}: <code>veribound `));
});

test('an adversarial example is drawn as three panels; writeHtmlReport is atomic', async () => {
  const { rep, net, inputs } = await sweepReport();
  const r = sweepHtmlReport(rep, net, { inputs, perKind: 1 });
  const x = inputs.slice(0, 64);
  r.examples.push({ title: 'attack', status: 'falsified', lines: ['moved by 0.1'], image: x, adversarial: x.map((v) => Math.min(1, v + 0.1)) });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-report-'));
  try {
    const file = path.join(dir, 'r.html');
    writeHtmlReport(file, r);
    const html = fs.readFileSync(file, 'utf8');
    const last = [...html.matchAll(/<img src="data:image\/png;base64,([^"]+)" width="(\d+)" height="(\d+)"/g)].at(-1)!;
    const png = PNG.sync.read(Buffer.from(last[1], 'base64'));
    assert.ok(png.width > 3 * png.height - 1, 'three panels side by side');
    assert.is(png.width, Number(last[2]));
    assert.equal(fs.readdirSync(dir), ['r.html']);
    try {
      writeHtmlReport(path.join(dir, 'missing', 'r.html'), r);
      assert.unreachable('expected an error');
    } catch (err) {
      assert.instance(err, UserError);
      assert.match((err as Error).message, /--html .*missing/);
    }
    assert.equal(fs.readdirSync(dir), ['r.html']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('veribound sweep --html writes the page (bundled mnist-mlp, CPU)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-report-cli-'));
  try {
    const file = path.join(dir, 'sweep.html');
    const r = spawnSync(process.execPath, ['dist/src/cli.js', 'sweep', '--net', 'mnist-mlp', '--samples', '8', '--eps', '0.005,0.01,0.02', '--method', 'ibp,crown', '--backend', 'cpu', '--html', file], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const html = fs.readFileSync(file, 'utf8');
    const tbody = /<table class="results">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1];
    assert.is(count(tbody, /<tr>/g), 3);
    assert.is(count(html, /<polyline /g), 2);
    assert.ok(count(html, /<img src="data:image\/png;base64,/g) >= 1);
    assert.match(html, /Dense 784-&gt;50/);
    assert.match(html, /<code>veribound sweep --net mnist-mlp --samples 8 --eps 0\.005,0\.01,0\.02 --method ibp,crown --backend cpu --html \S+sweep\.html<\/code>/);
    const bad = spawnSync(process.execPath, ['dist/src/cli.js', 'sweep', '--samples', '2', '--html', path.join(dir, 'no', 'x.html')], { encoding: 'utf8' });
    assert.is(bad.status, 2);
    assert.match(bad.stderr, /--html .*does not exist/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
