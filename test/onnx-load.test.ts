// Every VNN-COMP network in ../shared/benchmarks and every bundled model loads, and the
// float64 and float32 forward passes agree with onnxruntime-node (an independent
// implementation, run on the same file) on random inputs and on MNIST test images.
import { test } from 'uvu';
import { guard, sharedMissing } from './helpers/requires.js';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { loadOnnxFile } from '../src/onnx/load.js';
import { forward, forward32 } from '../src/forward.js';
import { inputSize, outputSize } from '../src/network.js';
import type { Network } from '../src/network.js';
import { bundledModels, loadNetwork, resolveNetworkPath } from '../src/models.js';
import { loadMnist } from '../src/data/mnist.js';
import { maxAbsDiff, numbers, runOrt } from './fixtures-onnx.js';

/** For the tests that read VNN-COMP files from ../shared (skipped with one line without it). */
const sharedTest = guard(test, sharedMissing());

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const benchDir = path.resolve(root, '../shared/benchmarks');

function onnxFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.onnx')).map((f) => path.join(dir, f)).sort();
}

sharedTest('the shared benchmarks are there', () => {
  assert.ok(fs.existsSync(benchDir), `${benchDir} is missing: these tests need ../shared/benchmarks beside the project`);
  assert.ok(onnxFiles(benchDir).length >= 16, 'expected the 16 VNN-COMP networks');
});

/** Random inputs in [0,1] and, for 784-input nets, the first MNIST test images. */
function inputsFor(net: Network, seed: number): { x: Float64Array; batch: number } {
  const n = inputSize(net);
  const rand = numbers(seed, 3 * n).map((v) => (v + 1) / 2);
  if (n !== 784) return { x: Float64Array.from(rand), batch: 3 };
  const ds = loadMnist('test');
  const x = new Float64Array(6 * n);
  x.set(rand);
  x.set(ds.images.subarray(0, 3 * n), 3 * n);
  return { x, batch: 6 };
}

async function agreesWithOrt(file: string, net: Network, seed: number): Promise<void> {
  const { x, batch } = inputsFor(net, seed);
  const ref = await runOrt(file, x, batch);
  assert.is(ref.length, batch * outputSize(net), `${file}: output size`);
  const d64 = maxAbsDiff(forward(net, x, batch), ref);
  const d32 = maxAbsDiff(forward32(net, Float32Array.from(x), batch), ref);
  assert.ok(d64 <= 1e-4, `${file}: float64 forward differs from onnxruntime by ${d64}`);
  assert.ok(d32 <= 1e-4, `${file}: float32 forward differs from onnxruntime by ${d32}`);
}

const files = fs.existsSync(benchDir) ? onnxFiles(benchDir) : [];
files.forEach((file, k) => {
  sharedTest(`shared ${path.relative(benchDir, file)} loads and matches onnxruntime`, async () => {
    const net = loadOnnxFile(file);
    assert.ok(net.layers.length > 0);
    await agreesWithOrt(file, net, 100 + k);
  });
});

test('bundled models load by name and match onnxruntime', async () => {
  for (const [k, name] of bundledModels().entries()) {
    const file = resolveNetworkPath(name);
    assert.ok(fs.existsSync(file), file);
    const net = loadNetwork(name);
    assert.is(net.name, name);
    await agreesWithOrt(file, net, 200 + k);
  }
});

sharedTest('structure: normalisation, NHWC transpose, sigmoid and pooling map to the right layers', () => {
  const kinds = (rel: string) => loadOnnxFile(path.join(benchDir, rel)).layers.map((l) => l.op.kind);
  const conv = kinds('eran/nets/mnist_conv_maxpool.onnx');
  assert.is(conv[0], 'affine', 'Sub/Div merged into one affine');
  assert.is(conv.filter((k) => k === 'affine').length, 1);
  assert.ok(conv.includes('permute'), 'the NHWC transpose is kept');
  assert.is(conv.filter((k) => k === 'maxpool2d').length, 2);
  assert.is(kinds('eran/nets/ffnnSIGMOID__Point_6x200.onnx').filter((k) => k === 'sigmoid').length, 6);
  const avg = kinds('verivital/Convnet_avgpool.onnx');
  assert.ok(avg.includes('avgpool2d'));
  assert.not.ok(avg.includes('pad'), 'an all-zero Pad adds no layer');
  const fc = loadOnnxFile(path.join(benchDir, 'mnist_fc/onnx/mnist-net_256x2.onnx'));
  assert.equal(fc.inputShape, [784, 1]);
  const cifar = loadOnnxFile(path.join(benchDir, 'oval21/nets/cifar_base_kw.onnx'));
  assert.equal(cifar.inputShape, [3, 32, 32]);
});

test.run();
