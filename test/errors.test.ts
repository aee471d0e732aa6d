// Bad input through the real CLI (`veribound info --net FILE`): each case must exit with
// code 2 and print exactly one line on stderr that names the problem, with no stack trace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { model, node, numbers } from './fixtures-onnx.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const cli = path.join(root, 'dist/src/cli.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-errors-'));

function write(name: string, bytes: Uint8Array | string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Runs `info --net <net>` and checks the one-line, exit-2 contract; returns the message. */
function userError(net: string, ...expect: RegExp[]): void {
  const r = spawnSync(process.execPath, [cli, 'info', '--net', net, '--samples', '0'], { encoding: 'utf8', timeout: 60_000 });
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  assert.is(r.status, 2, `exit code for ${net}: ${r.status}; stderr: ${r.stderr}`);
  assert.is(lines.length, 1, `exactly one stderr line, got:\n${r.stderr}`);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  assert.not.match(r.stderr, /internal error/);
  assert.is(r.stdout, '', 'nothing on stdout');
  for (const e of expect) assert.match(lines[0], e);
}

const gemm = (w: number[], dims = [3, 4], inDims = [1, 4]) => model({
  input: { name: 'x', dims: inDims },
  nodes: [node('Gemm', ['x', 'W'], ['y'], { transB: 1 }, 'fc1')],
  inits: [{ name: 'W', dims, data: w }],
  output: 'y',
});

test('missing file', () => {
  userError(path.join(dir, 'nope.onnx'), /nope\.onnx: no such file/);
});

test('unknown name that is not a path lists the bundled models', () => {
  userError('no-such-model', /'no-such-model' is neither an ONNX file nor a bundled model \(bundled: /);
});

test('truncated ONNX', () => {
  const good = model({ input: { name: 'x', dims: [1, 4] }, nodes: [node('Gemm', ['x', 'W'], ['y'], { transB: 1 })], inits: [{ name: 'W', dims: [3, 4], data: numbers(1, 12) }], output: 'y' });
  userError(write('truncated.onnx', good.subarray(0, Math.floor(good.length * 0.6))), /truncated\.onnx: not an ONNX model \(/);
});

test('random bytes', () => {
  const bytes = Uint8Array.from(numbers(42, 4096), (v) => Math.floor((v + 1) * 128) & 255);
  userError(write('random.onnx', bytes), /random\.onnx: not an ONNX model \(/);
});

test('a text file and an empty file', () => {
  userError(write('notes.onnx', 'this is a text file, not a network\nsecond line\n'), /notes\.onnx: not an ONNX model/);
  userError(write('empty.onnx', ''), /empty\.onnx: not an ONNX model \(the file is empty\)/);
});

test('unsupported operator names the op, the node and what is supported', () => {
  const bytes = model({ input: { name: 'x', dims: [1, 4] }, nodes: [node('LeakyRelu', ['x'], ['y'], {}, 'act1')], output: 'y' });
  userError(write('leaky.onnx', bytes), /leaky\.onnx: unsupported operator 'LeakyRelu' \(node 'act1'\)/, /supported: .*Conv.*Gemm.*Relu/);
});

test('unsupported attribute value (dilations)', () => {
  const bytes = model({
    input: { name: 'x', dims: [1, 1, 6, 6] },
    nodes: [node('Conv', ['x', 'W'], ['y'], { dilations: [2, 2] }, 'conv1')],
    inits: [{ name: 'W', dims: [1, 1, 2, 2], data: numbers(2, 4) }],
    output: 'y',
  });
  userError(write('dilated.onnx', bytes), /dilated\.onnx: node 'conv1' \(Conv\): dilations \[2,2\] are not supported/);
});

test('a shape that does not fit', () => {
  userError(write('shape.onnx', gemm(numbers(3, 12), [3, 4], [1, 5])), /shape\.onnx: node 'fc1' \(Gemm\): weight B \[3,4\].*does not fit the input \[1,5\]/);
});

test('NaN and infinite weights', () => {
  const w = numbers(4, 12);
  w[5] = NaN;
  userError(write('nan.onnx', gemm(w)), /nan\.onnx: layer 0 'fc1' \(dense\): weight\[\d+\] is NaN/);
  w[5] = 0.5;
  w[11] = -Infinity;
  userError(write('inf.onnx', gemm(w)), /inf\.onnx: layer 0 'fc1' \(dense\): weight\[\d+\] is -Infinity/);
});

test('a good file through the same path works (exit 0, layers printed)', () => {
  const file = write('good.onnx', gemm(numbers(5, 12)));
  const r = spawnSync(process.execPath, [cli, 'info', '--net', file], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /Dense 4->3/);
  assert.match(r.stdout, /parameters: 15\b/); // 12 weights + 3 (zero) biases
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test.run();
