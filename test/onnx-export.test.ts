// Export: random networks of every op kind and the shared VNN-COMP nets are written as
// ONNX, run in onnxruntime-node (which must agree with our forward pass) and re-imported
// (which must give the same layers with float32-rounded weights).
import { test } from 'uvu';
import { guard, sharedMissing } from './helpers/requires.js';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { networkToOnnx, saveOnnx } from '../src/onnx/export.js';
import { loadOnnxBytes, loadOnnxFile } from '../src/onnx/load.js';
import { forward } from '../src/forward.js';
import { inputSize } from '../src/network.js';
import type { Network } from '../src/network.js';
import { UserError } from '../src/errors.js';
import { RANDOM_NET_KINDS, randomNetwork, seededRng } from './helpers/random-network.js';
import { maxAbsDiff, numbers, runOrt } from './fixtures-onnx.js';

/** For the tests that read VNN-COMP files from ../shared (skipped with one line without it). */
const sharedTest = guard(test, sharedMissing());

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const benchDir = path.resolve(root, '../shared/benchmarks');

/** Layer kinds that move or compute data (an identity permute is a reshape: the importer makes it one). */
const nonReshape = (net: Network) => net.layers
  .filter((l) => l.op.kind !== 'reshape' && !(l.op.kind === 'permute' && l.op.perm.every((p, i) => p === i)))
  .map((l) => l.op.kind);

/** Weights after the float32 rounding of export, in layer order. */
function rounded(net: Network): number[] {
  const out: number[] = [];
  for (const { op } of net.layers) {
    if (op.kind === 'dense' || op.kind === 'conv2d') out.push(...Array.from(op.weight, Math.fround), ...Array.from(op.bias, Math.fround));
    if (op.kind === 'affine') out.push(...Array.from(op.scale, Math.fround), ...Array.from(op.shift, Math.fround));
  }
  return out;
}

function weights(net: Network): number[] {
  const out: number[] = [];
  for (const { op } of net.layers) {
    if (op.kind === 'dense' || op.kind === 'conv2d') out.push(...op.weight, ...op.bias);
    if (op.kind === 'affine') out.push(...op.scale, ...op.shift);
  }
  return out;
}

test('random networks of every kind: export runs in onnxruntime and re-imports to the same network', async () => {
  for (const kind of RANDOM_NET_KINDS) {
    for (let seed = 1; seed <= 4; seed++) {
      const net = randomNetwork(seededRng(seed * 31 + kind.length), { kind });
      const what = `${kind} seed ${seed}`;
      const bytes = networkToOnnx(net);
      const back = loadOnnxBytes(bytes, 'exported.onnx');
      assert.equal(nonReshape(back), nonReshape(net), `${what}: layer kinds`);
      assert.equal(back.inputShape, net.inputShape, `${what}: input shape`);
      assert.equal(weights(back), rounded(net), `${what}: weights are the float32-rounded originals`);
      const batch = 3;
      const x = Float64Array.from(numbers(seed, batch * inputSize(net)));
      const ref = await runOrt(bytes, x, batch);
      const ours = forward(back, x, batch);
      const d = maxAbsDiff(ours, ref);
      assert.ok(d <= 1e-4 * (1 + Math.max(...Array.from(ours, Math.abs))), `${what}: onnxruntime differs by ${d}`);
      const orig = forward(net, x, batch);
      assert.ok(maxAbsDiff(orig, ours) <= 1e-4 * (1 + Math.max(...Array.from(orig, Math.abs))), `${what}: re-imported forward differs`);
    }
  }
});

sharedTest('shared networks: the exported model computes what the original file computes', async () => {
  for (const rel of ['eran/nets/mnist_conv_maxpool.onnx', 'verivital/Convnet_avgpool.onnx', 'oval21/nets/cifar_deep_kw.onnx', 'sanity/test_small.onnx', 'mnist_fc/onnx/mnist-net_256x2.onnx']) {
    const file = path.join(benchDir, rel);
    const net = loadOnnxFile(file);
    const x = Float64Array.from(numbers(rel.length, 2 * inputSize(net)), (v) => (v + 1) / 2);
    const d = maxAbsDiff(await runOrt(networkToOnnx(net), x, 2), await runOrt(file, x, 2));
    assert.ok(d <= 1e-5, `${rel}: exported differs by ${d}`);
  }
});

test('saveOnnx writes atomically and reports unwritable paths as UserErrors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-export-'));
  try {
    const net = randomNetwork(seededRng(5), { kind: 'conv' });
    const file = path.join(dir, 'net.onnx');
    fs.writeFileSync(file, 'old contents');
    saveOnnx(net, file);
    assert.equal(nonReshape(loadOnnxFile(file)), nonReshape(net));
    assert.equal(fs.readdirSync(dir), ['net.onnx'], 'no temporary file is left');
    const bad = path.join(dir, 'missing-dir', 'net.onnx');
    try {
      saveOnnx(net, bad);
      assert.unreachable('wrote into a missing directory');
    } catch (e) {
      assert.instance(e, UserError);
      assert.match((e as Error).message, /missing-dir\/net\.onnx: cannot write/);
    }
    assert.equal(fs.readdirSync(dir), ['net.onnx']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
