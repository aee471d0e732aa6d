// `veribound sweep --complete` through the real CLI on the shared small problem: every pair's
// verdict equals brute force (MILP on each pair) and `verify` on the same pair written as
// VNN-LIB, the interval closes in the table, JSON and CSV, the plot shades it; without
// --complete the attack's counterexamples replay and leave the bounds' counts unchanged; bad
// --timeout/--threads/--checkpoint/--resume values are one line and exit 2. Also: `--data folder:PATH` is resized to
// the network's input by `sweep` and `bounds`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pngjs from 'pngjs';
import type { Network } from '../src/network.js';
import { appendLayer } from '../src/network.js';
import { saveOnnx } from '../src/onnx/export.js';
import { datasetShapeFor } from '../src/sweep/setup.js';
import { UserError } from '../src/errors.js';
import { bruteForce, candidates, checkCounterexample, count, E, eps, labels, n, net, xs } from './sweep-milp-fixture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cli = path.join(root, 'dist/src/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-sweep-milp-'));
const netFile = path.join(tmp, 'tiny.onnx');
saveOnnx(net, netFile);
const inputsFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(inputsFile, JSON.stringify({
  inputs: Array.from({ length: count }, (_, i) => Array.from(xs.subarray(i * n, (i + 1) * n))),
  labels: Array.from(labels),
}));

function veribound(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Row { method: string; eps: number; verified: number; falsified: number; misclassified: number; undecided: number; boundVerified: number; robustAccuracy: number; robustAccuracyUpper: number; robustAccuracyInterval: number[]; decidedBy: Record<string, number> }
interface Pair { index: number; eps: number; verdict: string; decidedBy: string | null; timeS: number; reason?: string; counterexample?: number[]; counterexampleEps?: number }

/** Every falsified pair's counterexample (its own or the one it names) replays inside its ball. */
function checkPairs(pairs: Pair[]): void {
  for (const p of pairs.filter((q) => q.verdict === 'falsified')) {
    const own = p.counterexample ?? pairs.find((q) => q.index === p.index && q.eps === p.counterexampleEps)?.counterexample;
    checkCounterexample(p.index, eps.indexOf(p.eps), own ? Float64Array.from(own) : undefined);
  }
}

test('sweep --complete: every pair decided, verdicts equal brute force, files carry them', async () => {
  const brute = await bruteForce();
  const robust = eps.map((_, k) => candidates.filter((i) => brute[i * E + k] === 'verified').length);
  const out = path.join(tmp, 'm.json'), csv = path.join(tmp, 'm.csv'), svg = path.join(tmp, 'm.svg'), pairsFile = path.join(tmp, 'm-pairs.csv');
  const r = veribound('sweep', '--net', netFile, '--inputs', inputsFile, '--eps', eps.join(','), '--method', 'ibp,crown', '--backend', 'cpu',
    '--complete', '--timeout', '20', '--out', out, '--csv', csv, '--plot', svg, '--pairs', pairsFile);
  assert.is(r.code, 0, r.err);
  const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.is(doc.complete.timeoutS, 20);
  assert.is(doc.partial, false);
  assert.is(doc.conflicts, 0);
  for (const method of ['ibp', 'crown']) {
    const rows: Row[] = doc.results.filter((x: Row) => x.method === method);
    assert.equal(rows.map((x) => x.verified), robust, method);
    assert.equal(rows.map((x) => x.falsified + x.misclassified), robust.map((v) => count - v), method);
    for (const x of rows) {
      assert.is(x.undecided, 0);
      assert.is(x.misclassified, count - candidates.length);
      assert.equal(x.robustAccuracyInterval, [x.robustAccuracy, x.robustAccuracyUpper]);
      assert.is(x.robustAccuracy, x.robustAccuracyUpper);
      assert.ok(x.boundVerified <= x.verified);
      assert.is(Object.values(x.decidedBy).reduce((s, v) => s + v, 0), count);
    }
  }
  // the bounds left work that the cascade did
  assert.ok(doc.complete.calls > 0);
  // per pair: the same verdict as brute force, a decider, and counterexamples that replay
  const pairs: Pair[] = doc.pairs;
  assert.is(pairs.length, count * E);
  for (const p of pairs) {
    const want = brute[p.index * E + eps.indexOf(p.eps)];
    const mis = !candidates.includes(p.index);
    assert.is(p.verdict, mis ? 'misclassified' : want, `pair (${p.index}, ${p.eps})`);
    assert.ok(p.decidedBy, `pair (${p.index}, ${p.eps}) names what decided it`);
  }
  checkPairs(pairs);
  const lines = fs.readFileSync(pairsFile, 'utf8').trim().split('\n');
  assert.is(lines.length, 1 + count * E);
  assert.equal(lines[0].split(','), ['index', 'eps', 'verdict', 'decidedBy', 'timeS', 'reason', 'partial', 'counterexampleEps', 'counterexample']);
  const withCex = lines.slice(1).map((l) => l.split(',')).filter((c) => c[8] !== '');
  assert.ok(withCex.length > 0);
  for (const c of withCex) assert.is(c[8].split(' ').length, n);
  // the plot: every pair is decided, so the interval is closed and no band is drawn
  const text = fs.readFileSync(svg, 'utf8');
  assert.is((text.match(/<polygon class="band"/g) ?? []).length, 0);
  assert.ok(text.includes('>CROWN + cascade<'));
  assert.match(r.out, /method\s+eps\s+clean acc\s+verified\s+robust acc\s+falsified\s+misclassified\s+undecided\s+robust acc interval/);
  assert.match(r.out, /--complete: \d+ cascade call\(s\)/);
});

test('sweep --complete: verdicts equal `verify` on the same pairs (VNN-LIB through the CLI)', () => {
  const out = path.join(tmp, 'v.json');
  const r = veribound('sweep', '--net', netFile, '--inputs', inputsFile, '--eps', eps.join(','), '--backend', 'cpu', '--complete', '--timeout', '20', '--out', out);
  assert.is(r.code, 0, r.err);
  const pairs: Pair[] = JSON.parse(fs.readFileSync(out, 'utf8')).pairs;
  // a few inputs, every eps: both verdicts and every decider appear
  const checked = pairs.filter((p) => candidates.slice(0, 3).includes(p.index));
  const seen = new Set<string>();
  for (const p of checked) {
    const x0 = xs.subarray(p.index * n, (p.index + 1) * n);
    const label = labels[p.index];
    const lines = [...Array(n).keys()].map((d) => `(declare-const X_${d} Real)`);
    for (let j = 0; j < 3; j++) lines.push(`(declare-const Y_${j} Real)`);
    for (let d = 0; d < n; d++) {
      lines.push(`(assert (>= X_${d} ${Math.max(0, x0[d] - p.eps)}))`, `(assert (<= X_${d} ${Math.min(1, x0[d] + p.eps)}))`);
    }
    const others = [0, 1, 2].filter((j) => j !== label);
    lines.push(`(assert (or ${others.map((j) => `(and (<= Y_${label} Y_${j}))`).join(' ')}))`);
    const spec = path.join(tmp, `pair-${p.index}-${p.eps}.vnnlib`);
    fs.writeFileSync(spec, lines.join('\n') + '\n');
    const v = veribound('verify', '--net', netFile, '--spec', spec, '--timeout', '20', '--backend', 'cpu');
    const answer = (v.out.trim().split('\n').pop() ?? '').trim().split(/\s+/)[0];
    assert.is(answer, p.verdict === 'verified' ? 'unsat' : 'sat', `pair (${p.index}, ${p.eps}): sweep ${p.verdict}, verify ${v.out} ${v.err}`);
    seen.add(p.verdict);
  }
  assert.ok(seen.has('verified') && seen.has('falsified'), `both verdicts checked: ${[...seen]}`);
});

test('default sweep (no --complete): the attack falsifies with replayed counterexamples, bounds unchanged', async () => {
  const brute = await bruteForce();
  const out = path.join(tmp, 'plain.json'), bare = path.join(tmp, 'bare.json'), svg = path.join(tmp, 'plain.svg');
  const r = veribound('sweep', '--net', netFile, '--inputs', inputsFile, '--eps', eps.join(','), '--backend', 'cpu', '--out', out, '--plot', svg);
  assert.is(r.code, 0, r.err);
  const r2 = veribound('sweep', '--net', netFile, '--inputs', inputsFile, '--eps', eps.join(','), '--backend', 'cpu', '--out', bare, '--no-attack');
  assert.is(r2.code, 0, r2.err);
  const doc = JSON.parse(fs.readFileSync(out, 'utf8')), plain = JSON.parse(fs.readFileSync(bare, 'utf8'));
  assert.is(doc.complete, null);
  assert.ok(doc.attack.attacks > 0);
  assert.is(plain.attack.attacks, 0);
  const rows: Row[] = doc.results;
  assert.equal(rows.map((x) => x.verified), plain.results.map((x: Row) => x.verified), 'the attack never changes what the bounds verify');
  assert.ok(rows.some((x) => x.falsified > 0), 'the attack finds counterexamples');
  for (const [k, x] of rows.entries()) {
    assert.is(x.misclassified, count - candidates.length);
    assert.ok(x.falsified <= candidates.filter((i) => brute[i * E + k] === 'falsified').length);
    assert.is(x.robustAccuracyUpper, (count - x.falsified - x.misclassified) / count);
  }
  for (const p of doc.pairs as Pair[]) if (p.verdict === 'falsified') assert.is(brute[p.index * E + eps.indexOf(p.eps)], 'falsified');
  checkPairs(doc.pairs);
  assert.ok(plain.results.every((x: Row) => x.falsified === 0));
  assert.match(fs.readFileSync(svg, 'utf8'), /class="band"/);
});

const bad: [string, string[], RegExp][] = [
  ['zero timeout', ['--complete', '--timeout', '0'], /--timeout '0': expected a positive number of seconds/],
  ['negative timeout', ['--milp', '--milp-timeout', '-1'], /--milp-timeout '-1': expected a positive number/],
  ['timeout without --complete', ['--timeout', '5'], /--timeout applies to --complete/],
  ['both timeouts', ['--complete', '--timeout', '5', '--milp-timeout', '5'], /--milp-timeout is an alias of --timeout/],
  ['bad threads', ['--threads', '0'], /--threads: 0 is below the minimum of 1/],
  ['missing checkpoint folder', ['--checkpoint', '/nonexistent-dir/c.jsonl'], /--checkpoint \/nonexistent-dir\/c\.jsonl: folder \/nonexistent-dir does not exist/],
  ['missing resume file', ['--resume', '/nonexistent-dir/c.jsonl'], /--resume \/nonexistent-dir\/c\.jsonl: cannot read it \(ENOENT\)/],
];
for (const [name, args, re] of bad) {
  test(`bad input: ${name} -> one line, exit 2`, () => {
    const r = veribound('sweep', '--net', netFile, '--inputs', inputsFile, '--backend', 'cpu', ...args);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, re);
    assert.is(r.err.trim().split('\n').length, 1, r.err);
  });
}

// a folder of 10x10 PNGs, two classes: bright on the left (class "a") or on the right ("b")
function writeFolder(dir: string): void {
  const { PNG } = pngjs;
  for (const [c, left] of [['a', true], ['b', false]] as const) {
    fs.mkdirSync(path.join(dir, c), { recursive: true });
    for (let k = 0; k < 5; k++) {
      const png = new PNG({ width: 10, height: 10 });
      for (let y = 0; y < 10; y++) {
        for (let x = 0; x < 10; x++) {
          const o = (y * 10 + x) * 4, v = (x < 5) === left ? 200 + 10 * k : 20;
          png.data[o] = png.data[o + 1] = png.data[o + 2] = v;
          png.data[o + 3] = 255;
        }
      }
      fs.writeFileSync(path.join(dir, c, `${k}.png`), PNG.sync.write(png));
    }
  }
}

/** Class 1 when the right half of a side × side grey image is brighter. */
function halvesNet(inputShape: number[], side: number): Network {
  const m: Network = { name: 'halves', inputShape, layers: [], warnings: [] };
  appendLayer(m, { kind: 'reshape' }, 'flatten', [side * side]);
  const w = new Float64Array(2 * side * side);
  for (let i = 0; i < side * side; i++) { const right = i % side >= side / 2 ? 1 : -1; w[i] = -right; w[side * side + i] = right; }
  appendLayer(m, { kind: 'dense', inFeatures: side * side, outFeatures: 2, weight: w, bias: new Float64Array(2) });
  return m;
}

test('--data folder:PATH is resized to the network\'s input (sweep, bounds)', () => {
  const dir = path.join(tmp, 'folder');
  writeFolder(dir);
  for (const shape of [[1, 4, 4], [16]]) {
    const file = path.join(tmp, `halves-${shape.length}.onnx`);
    saveOnnx(halvesNet(shape, 4), file);
    const b = veribound('bounds', '--net', file, '--data', `folder:${dir}`, '--samples', '2', '--eps', '0.01', '--backend', 'cpu', '--json');
    assert.is(b.code, 0, b.err);
    const doc = JSON.parse(b.out).results[0];
    assert.is(doc.samples.length, 2);
    assert.is(doc.verified, 2, 'both test images are classified right and robust at 0.01');
    const html = path.join(tmp, `halves-${shape.length}.html`);
    const s = veribound('sweep', '--net', file, '--data', `folder:${dir}`, '--samples', '2', '--eps', '0.01,0.5', '--backend', 'cpu', '--milp', '--html', html);
    assert.is(s.code, 0, s.err);
    assert.match(s.out, /crown\s+0\.01\s+100\.00%\s+2\/2/);
    // the page: the interval per epsilon and the shaded curve
    const page = fs.readFileSync(html, 'utf8');
    assert.is((page.match(/<polygon class="band"/g) ?? []).length, 0, 'every pair decided: a closed interval, no band');
    assert.match(page, /CROWN\+cascade falsified/);
  }
  // shapes an image folder cannot give: one line naming the network's shape
  const rgbish = { ...net, inputShape: [2, 4, 4] };
  assert.throws(() => datasetShapeFor(`folder:${dir}`, rgbish), (e: unknown) => e instanceof UserError && /takes inputs of shape \[2,4,4\]/.test((e as Error).message));
  assert.throws(() => datasetShapeFor(`folder:${dir}`, { ...net, inputShape: [7] }), (e: unknown) => e instanceof UserError && /7 values/.test((e as Error).message));
  assert.equal(datasetShapeFor(`folder:${dir}`, { ...net, inputShape: [48] }), { size: 4, channels: 3 });
  assert.equal(datasetShapeFor('mnist', { ...net, inputShape: [48] }), {});
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
