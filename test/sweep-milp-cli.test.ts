// `veribound sweep --milp` through the real CLI on the shared small problem: the per-eps counts
// equal brute force, the interval closes in the table, JSON and CSV, the plot and the page shade
// it; bad --milp-timeout values are one line and exit 2. Also: `--data folder:PATH` is resized to
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
import { bruteForce, candidates, count, E, eps, labels, n, net, xs } from './sweep-milp-fixture.js';

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

interface Row { method: string; eps: number; verified: number; falsified: number; undecided: number; boundVerified: number; robustAccuracy: number; robustAccuracyUpper: number; robustAccuracyInterval: number[]; milp: { undecidedBefore: number; calls: number } }

test('sweep --milp: counts equal brute force, the interval closes, files carry it', async () => {
  const brute = await bruteForce();
  const robust = eps.map((_, k) => candidates.filter((i) => brute[i * E + k] === 'verified').length);
  const out = path.join(tmp, 'm.json'), csv = path.join(tmp, 'm.csv'), svg = path.join(tmp, 'm.svg');
  const r = veribound('sweep', '--net', netFile, '--inputs', inputsFile, '--eps', eps.join(','), '--method', 'ibp,crown', '--backend', 'cpu',
    '--milp', '--milp-timeout', '20', '--out', out, '--csv', csv, '--plot', svg);
  assert.is(r.code, 0, r.err);
  const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.equal(doc.milp.timeoutS, 20);
  for (const method of ['ibp', 'crown']) {
    const rows: Row[] = doc.results.filter((x: Row) => x.method === method);
    assert.equal(rows.map((x) => x.verified), robust, method);
    assert.equal(rows.map((x) => x.falsified), robust.map((v) => count - v), method);
    for (const x of rows) {
      assert.is(x.undecided, 0);
      assert.equal(x.robustAccuracyInterval, [x.robustAccuracy, x.robustAccuracyUpper]);
      assert.is(x.robustAccuracy, x.robustAccuracyUpper);
      assert.ok(x.boundVerified <= x.verified);
    }
    assert.ok(rows.some((x) => x.milp.undecidedBefore > 0), 'the bounds left work');
    const run = doc.runs.find((x: { method: string }) => x.method === method);
    assert.is(run.completion.undecidedAfter, 0);
    assert.is(run.completion.conflicts, 0);
    assert.is(run.completion.undecidedBefore, rows.reduce((s, x) => s + x.milp.undecidedBefore, 0));
  }
  // IBP's open pairs include CROWN's: CROWN (second) reuses IBP's answers
  assert.ok(doc.runs[1].completion.reused > 0);
  // per input: verified up to maxVerifiedEps, falsified from minFalsifiedEps, nothing between
  for (const s of doc.perSample) {
    const v = s.maxVerifiedEps.crown, f = s.minFalsifiedEps.crown;
    const next = v === null ? eps[0] : eps[eps.indexOf(v) + 1];
    assert.is(f, next ?? null, `input ${s.index}`);
  }
  const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  for (const col of ['verified', 'falsified', 'undecided', 'robust_accuracy', 'robust_accuracy_upper', 'milp_calls', 'falsified_attack']) assert.ok(head.includes(col), col);
  assert.is(lines.length, 1 + 2 * E);
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    assert.is(cells[head.indexOf('undecided')], '0');
    assert.is(cells[head.indexOf('robust_accuracy')], cells[head.indexOf('robust_accuracy_upper')]);
  }
  // the plot: the interval closed, so no undecided band is drawn or named (report-plot.test.ts checks open bands)
  const text = fs.readFileSync(svg, 'utf8');
  assert.is((text.match(/<polygon class="band"/g) ?? []).length, 0);
  assert.not.ok(text.includes('>undecided'));
  assert.ok(text.includes('>CROWN + MILP<'));
  // the table: falsified / undecided / interval columns and the completion summary
  assert.match(r.out, /method\s+eps\s+clean acc\s+verified\s+robust acc\s+falsified\s+undecided\s+robust acc interval/);
  assert.match(r.out, /crown \+ attack \+ MILP: decided (\d+) of the \1 pair\(s\) the bounds left undecided \(100\.0%\)/);
});

test('without --milp the interval is [verified, clean accuracy] and the plot has no band', () => {
  const out = path.join(tmp, 'plain.json'), svg = path.join(tmp, 'plain.svg');
  const r = veribound('sweep', '--net', netFile, '--inputs', inputsFile, '--eps', eps.join(','), '--backend', 'cpu', '--out', out, '--plot', svg);
  assert.is(r.code, 0, r.err);
  const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.is(doc.milp, null);
  for (const x of doc.results as Row[]) {
    assert.is(x.falsified, count - candidates.length);
    assert.is(x.undecided, candidates.length - x.verified);
    assert.is(x.robustAccuracyUpper, candidates.length / count);
    assert.is(x.milp, undefined);
  }
  assert.not.match(fs.readFileSync(svg, 'utf8'), /class="band"/);
});

const bad: [string, string[], RegExp][] = [
  ['zero timeout', ['--milp', '--milp-timeout', '0'], /--milp-timeout '0': expected a positive number of seconds/],
  ['negative timeout', ['--milp', '--milp-timeout', '-1'], /--milp-timeout '-1': expected a positive number/],
  ['timeout without --milp', ['--milp-timeout', '5'], /--milp-timeout applies to --milp/],
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
    const doc = JSON.parse(b.out);
    assert.is(doc.results[0].samples.length, 2);
    assert.is(doc.results[0].verified, 2, 'both test images are classified right and robust at 0.01');
    const html = path.join(tmp, `halves-${shape.length}.html`);
    const s = veribound('sweep', '--net', file, '--data', `folder:${dir}`, '--samples', '2', '--eps', '0.01,0.5', '--backend', 'cpu', '--milp', '--html', html);
    assert.is(s.code, 0, s.err);
    assert.match(s.out, /crown\s+0\.01\s+100\.00%\s+2\/2/);
    // the page: the interval per epsilon and the curve; the band only where the interval stayed open
    const page = fs.readFileSync(html, 'utf8');
    const open = /undecided \(CROWN \+ MILP\)/.test(page);
    assert.is((page.match(/<polygon class="band"/g) ?? []).length, open ? 1 : 0);
    assert.match(page, /CROWN\+MILP falsified/);
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
