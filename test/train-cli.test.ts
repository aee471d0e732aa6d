// `veribound train` as a user runs it: argument errors are one line with exit 2 and leave
// no file; a small run writes an ONNX network that loads back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOnnxFile } from '../src/onnx/load.js';
import { outputShape } from '../src/network.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-train-cli-'));

function train(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'train', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('bad arguments: one clear line on stderr, exit 2, nothing written', () => {
  const out = path.join(dir, 'bad.onnx');
  const cases: [string[], RegExp][] = [
    [['--epochs', 'abc', '--onnx', out], /--epochs: expected an integer >= 1, got 'abc'/],
    [['--epochs', '0', '--onnx', out], /--epochs: expected an integer >= 1, got '0'/],
    [['--lr', 'fast', '--onnx', out], /--lr: expected a positive number, got 'fast'/],
    [['--lr=-1', '--onnx', out], /--lr: expected a positive number, got '-1'/],
    [['--lr-schedule', 'step', '--onnx', out], /--lr-schedule: expected cosine or constant/],
    [['--epochs', '1'], /--onnx FILE\.onnx is required/],
    [['--batch', '32', '--onnx', out], /--batch is now --batch-size/],
    [['--schedule', 'constant', '--onnx', out], /--schedule is now --lr-schedule/],
    [['--out', out], /--out writes the JSON document \(FILE\.json\); the trained network goes to --onnx/],
    [['--lr', '-0.1', '--onnx', out], /--lr: expected a positive number, got '-0\.1'/],
    [['--onnx', path.join(dir, 'missing', 'x.onnx')], /folder .*missing does not exist/],
    [['--data', 'cifar10', '--onnx', out], /unknown dataset 'cifar10'/],
    [['--arch', '784-50-12', '--onnx', out], /output layer has 12 units but the data has 10 classes/],
    [['--arch', '784-5x-10', '--onnx', out], /cannot read layer '5x'/],
    [['--bogus', '--onnx', out], /bogus/],
    [['--ibp-eps', '2', '--onnx', out], /--ibp-eps: expected a number in \[0, 1\], got '2'/],
    [['--ibp-ramp', '0.3', '--onnx', out], /--ibp-ramp and --ibp-kappa need --ibp-eps/],
  ];
  for (const [args, pattern] of cases) {
    const r = train(...args);
    assert.is(r.code, 2, `${args.join(' ')}: exit ${r.code}, stderr ${r.err}`);
    assert.match(r.err, pattern);
    assert.is(r.err.trim().split('\n').length, 1, `more than one line: ${r.err}`);
    assert.not.match(r.err, /at .*\.js:\d+/);
  }
  assert.equal(fs.readdirSync(dir), []);
});

test('a small run prints per-epoch lines and writes a network that loads back', () => {
  const out = path.join(dir, 'small.onnx');
  const r = train('--arch', '784-12-10', '--epochs', '2', '--limit', '600', '--batch-size', '32', '--lr', '0.005', '--seed', '4', '--onnx', out);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /epoch 1\/2 {2}loss \d+\.\d+ {2}train \d+\.\d+% {2}test \d+\.\d+%/);
  assert.match(r.out, /epoch 2\/2/);
  const acc = Number(/test accuracy (\d+\.\d+)%/.exec(r.out)?.[1]);
  assert.ok(acc > 50, `accuracy ${acc}%`);
  const net = loadOnnxFile(out);
  assert.equal([...outputShape(net)], [10]);
  assert.is(net.layers.filter((l) => l.op.kind === 'dense').length, 2);
  assert.equal(fs.readdirSync(dir).sort(), ['small.onnx'], 'no temporary file left');
  // same seed, same bytes (same file name too: it becomes the graph's name)
  fs.mkdirSync(path.join(dir, 'again'));
  const again = path.join(dir, 'again', 'small.onnx');
  assert.is(train('--arch', '784-12-10', '--epochs', '2', '--limit', '600', '--batch-size', '32', '--lr', '0.005', '--seed', '4', '--onnx', again).code, 0);
  assert.ok(fs.readFileSync(out).equals(fs.readFileSync(again)), 'same seed gave a different file');
});

test('--json: one JSON document on stdout (the epoch lines on stderr), --out the same document', () => {
  const onnx = path.join(dir, 'j.onnx'), json = path.join(dir, 'j.json');
  const r = train('--arch', '784-12-10', '--epochs', '2', '--limit', '300', '--seed', '2', '--onnx', onnx, '--json', '--out', json);
  assert.is(r.code, 0, r.err);
  const doc = JSON.parse(r.out);
  assert.equal(JSON.parse(fs.readFileSync(json, 'utf8')), doc);
  assert.match(r.err, /epoch 2\/2/);
  assert.is(doc.epochs.length, 2);
  assert.is(doc.onnx, onnx);
  assert.is(doc.meta.seed, 2);
  const printed = Number(/test accuracy (\d+\.\d+)%/.exec(r.err)?.[1]);
  assert.ok(Math.abs(100 * doc.testAccuracy - printed) < 0.006, `${doc.testAccuracy} vs ${printed}%`);
  assert.is(doc.parameters, 784 * 12 + 12 + 12 * 10 + 10);
  fs.rmSync(onnx); fs.rmSync(json);
});

test('--ibp-eps trains on interval bounds and reports the verified fraction', () => {
  const out = path.join(dir, 'ibp.onnx');
  const r = train('--arch', '784-12-10', '--epochs', '2', '--limit', '600', '--batch-size', '32', '--lr', '0.005', '--ibp-eps', '0.02', '--ibp-ramp', '0.5', '--onnx', out);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /epoch 2\/2 .* train IBP-verified \d+\.\d+% at eps 0\.02/);
  assert.match(r.out, /IBP-verified test accuracy at eps 0\.02: \d+\.\d+%/);
  assert.ok(fs.existsSync(out));
  fs.rmSync(out);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
