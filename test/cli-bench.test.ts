// `veribound bench` through the real CLI (CPU only; speed is never asserted): one row per
// (method, box count), each row's count of boxes with all margin bounds positive equals the CPU
// engine's on the same boxes (the timed call did the real work), IBP's FLOPs per box are the
// network's interval passes, networks no dataset fits get seeded random inputs, and bad
// arguments are one line with exit 2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNetwork } from '../src/models.js';
import { logitNetwork } from '../src/network.js';
import { loadDataset } from '../src/data/load.js';
import { CpuEngine } from '../src/bounds/index.js';
import { marginSpec } from '../src/spec/margins.js';
import { verifiedAt } from '../src/sweep/scheduler.js';
import { epsBoxes, firstBoxes, forwardFlops } from '../src/bench/throughput.js';
import { saveOnnx } from '../src/onnx/export.js';
import { randomNetwork, seededRng } from './helpers/random-network.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cli = path.join(root, 'dist/src/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-bench-'));

function veribound(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: tmp, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('bench --json on mnist-mlp: rows per method and size, the real bounds, IBP FLOPs', async () => {
  const r = veribound('bench', '--net', 'mnist-mlp', '--backend', 'cpu', '--method', 'ibp,crown', '--boxes', '20,50', '--json');
  assert.is(r.code, 0, r.err);
  const doc = JSON.parse(r.out);
  assert.is(doc.rows.length, 4);
  assert.match(doc.meta.engine, /^cpu float64 \(\d+ threads?\)$/);
  const net = logitNetwork(loadNetwork('mnist-mlp'));
  const ds = loadDataset('mnist', { split: 'test' });
  const { boxes, labels } = epsBoxes(Float64Array.from(ds.images.subarray(0, 5 * 784)), ds.labels.subarray(0, 5), 784, doc.eps);
  for (const row of doc.rows) {
    assert.ok(row.seconds > 0 && row.boxesPerSecond > 0);
    assert.is(row.pairsPerSecond, row.boxesPerSecond);
    const ref = await new CpuEngine().bound(net, firstBoxes(boxes, row.boxes), { method: row.method, spec: marginSpec(net, labels.slice(0, row.boxes)) });
    let positive = 0;
    for (let b = 0; b < row.boxes; b++) if (verifiedAt(ref, b)) positive++;
    assert.is(row.verified, positive, `${row.method} ${row.boxes}`);
    if (row.method === 'ibp') {
      assert.is(row.flopsPerBox, forwardFlops(net));
      assert.ok(Math.abs(row.gflopsPerSecond - (row.flopsPerBox * row.boxes) / row.seconds / 1e9) < 1e-9);
    } else assert.is(row.flopsPerBox, null); // CPU-only: CROWN's backward work is not counted
  }
});

test('bench: a network no dataset fits gets seeded random inputs; table output', () => {
  const file = path.join(tmp, 'small.onnx');
  saveOnnx(randomNetwork(seededRng(3), { kind: 'dense', depth: 1, width: 5, outputs: 3 }), file);
  const a = veribound('bench', '--net', file, '--backend', 'cpu', '--boxes', '30', '--method', 'crown', '--seed', '7');
  assert.is(a.code, 0, a.err);
  assert.match(a.out, /3 random inputs \(seed 7\)/);
  assert.match(a.out, /cpu\s+crown\s+30\s/);
});

test('bench: bad arguments are one line, exit 2', () => {
  for (const [args, re] of [
    [['--backend', 'tpu'], /--backend 'tpu': expected cpu or gpu/],
    [['--boxes', '0'], /--boxes: 0 is below the minimum of 1/],
    [['--boxes', '-5'], /--boxes: '-5' is not a whole number/],
    [['--method', 'deepz'], /--method 'deepz': unknown bound method/],
    [['--out', 'x.csv'], /--out writes the JSON document/],
    [['--boxs', '10'], /did you mean --boxes\?/],
  ] as [string[], RegExp][]) {
    const r = veribound('bench', '--backend', 'cpu', ...args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.is(r.err.trim().split('\n').length, 1);
  }
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
