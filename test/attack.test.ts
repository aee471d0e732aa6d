// `veribound attack` end to end on a small MNIST-shaped network saved as ONNX: JSON fields agree
// with the library's minimal example, the PNG has three enlarged panels, transfer is reported,
// and bad arguments give one line and exit code 2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pngjs from 'pngjs';
import { saveOnnx } from '../src/onnx/export.js';
import { loadOnnxFile } from '../src/onnx/load.js';
import { loadMnist } from '../src/data/mnist.js';
import { imageAt } from '../src/data/dataset.js';
import { forward } from '../src/forward.js';
import { predictedClass } from '../src/spec/margins.js';
import { minimalAdversarial } from '../src/milp/index.js';
import { renderAdversarial } from '../src/report/adversarial-png.js';
import { smallMnistNet } from './helpers/small-mnist-net.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veribound-attack-'));
const cli = path.resolve('dist/src/cli.js');


const netFile = path.join(dir, 'small.onnx');
const otherFile = path.join(dir, 'other.onnx');
saveOnnx(smallMnistNet(3, 6), netFile);
saveOnnx(smallMnistNet(4, 6), otherFile);

function veribound(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'attack', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('attack --json --png --transfer: the minimal L∞ example of the library, drawn and transferred', async () => {
  const png = path.join(dir, 'adv.png');
  const r = veribound('--net', netFile, '--index', '0', '--timeout', '20', '--png', png, '--transfer', otherFile, '--json');
  assert.is(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  const net = loadOnnxFile(netFile);
  const x = imageAt(loadMnist('test'), 0);
  const original = predictedClass(forward(net, x, 1));
  assert.is(j.originalClass, original);
  // HiGHS can spend long at the root of these 784-input models: a timeout still carries a
  // replayed example (PGD's or a better incumbent) and a proven lower bound
  assert.ok(j.status === 'optimal' || j.status === 'bracketed' || j.status === 'found, not proven minimal', j.status);
  assert.is.not(j.newClass, original);
  // the example itself is in the JSON, and replays to the reported class at the reported distance
  assert.is(j.adversarial.length, x.length);
  const adv = Float64Array.from(j.adversarial);
  assert.is(predictedClass(forward(net, adv, 1)), j.newClass);
  assert.ok(Math.abs(Math.max(...adv.map((v, i) => Math.abs(v - x[i]))) - j.distance) <= 1e-12);
  assert.is(j.meta.commandLine.split(' ')[1], 'attack');
  assert.ok(j.margins.some((m: number) => m <= -0.001 + 1e-12), 'a margin is at most −δ');
  assert.ok(j.lowerBound <= j.distance + 1e-9);
  // the reported margins are the float64 replay of the example
  const lib = await minimalAdversarial(net, x, original, { norm: 'linf', timeLimitS: 1e-3, bracket: false });
  assert.ok(lib.status !== 'optimal' || Math.abs(lib.distance! - j.distance) < 1e-6);
  assert.is(j.transfer.net, otherFile);
  assert.is(typeof j.transfer.fooled, 'boolean');
  const img = pngjs.PNG.sync.read(fs.readFileSync(png));
  // the figure (report-adversarial.test.ts checks its parts): three 224-px panels, drawn at twice the size, with a caption below
  assert.ok(img.width > 2 * (3 * 28 * 8 + 2 * 8) && img.height > 2 * 28 * 8, `${img.width}x${img.height}`);
});

test('PNG panels: original and adversarial in grey, the change in red (up) and blue (down)', () => {
  const a = new Float64Array(4).fill(0.5), b = Float64Array.from([0.5, 0.9, 0.1, 0.5]);
  const img = renderAdversarial(a, b, [1, 2, 2], { scale: 1, gap: 0 });
  const px = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3));
  assert.equal(px(0, 0), [128, 128, 128]);
  assert.equal(px(3, 0), [230, 230, 230]); // adversarial panel, value 0.9
  assert.equal(px(5, 0), [255, 0, 0]); // +0.4: full red
  assert.equal(px(4, 1), [0, 0, 255]); // −0.4: full blue
  assert.equal(px(4, 0), [255, 255, 255]); // unchanged: white
});

test('bad arguments: one line, exit code 2', () => {
  const cases: [string[], RegExp][] = [
    [['--net', netFile, '--index', '0', '--norm', 'l3'], /--norm 'l3'/],
    [['--net', netFile], /--index/],
    [['--net', netFile, '--index', '70000'], /--index '70000'/],
    [['--net', netFile, '--index', '0', '--max-change=-1'], /--max-change/],
    [['--net', path.join(dir, 'missing.onnx'), '--index', '0'], /missing\.onnx/],
  ];
  for (const [args, re] of cases) {
    const r = veribound(...args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.is(r.err.trim().split('\n').length, 1, r.err);
  }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test.run();
