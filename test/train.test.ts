import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadMnist } from '../src/data/mnist.js';
import { loadDataset } from '../src/data/load.js';
import { buildNetwork } from '../src/train/arch.js';
import { evaluate, train } from '../src/train/trainer.js';
import { TrainableModel } from '../src/train/model.js';
import { UserError } from '../src/errors.js';
import type { Network } from '../src/network.js';

const trainSet = loadMnist('train');
const testSet = loadMnist('test');

function weights(net: Network): number[] {
  const out: number[] = [];
  for (const l of net.layers) if (l.op.kind === 'dense' || l.op.kind === 'conv2d') out.push(...l.op.weight, ...l.op.bias);
  return out;
}

function throwsUser(fn: () => unknown, pattern: RegExp): void {
  try { fn(); } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a UserError matching ${pattern}`);
}

test('same seed gives bit-identical weights, another seed different ones', () => {
  const run = (seed: number) => {
    const net = buildNetwork('784-16-10', [1, 28, 28], 10, seed);
    train(net, trainSet, { epochs: 2, batchSize: 32, lr: 1e-3, seed, limit: 300 });
    return weights(net);
  };
  const a = run(7), b = run(7), c = run(8);
  assert.is(a.length, 784 * 16 + 16 + 16 * 10 + 10);
  assert.ok(a.every((v, i) => Object.is(v, b[i])), 'same seed, different weights');
  assert.ok(a.some((v, i) => v !== c[i]), 'different seeds, same weights');
});

test('a short MLP run reduces the loss and beats chance by a wide margin', () => {
  const net = buildNetwork('784-32-10', [1, 28, 28], 10, 3);
  const before = evaluate(net, testSet, { limit: 1000 });
  const hist = train(net, trainSet, { epochs: 3, batchSize: 32, lr: 2e-3, seed: 3, limit: 3000, schedule: 'cosine' });
  const after = evaluate(net, testSet, { limit: 1000 });
  assert.ok(hist[2].loss < hist[0].loss, `loss ${hist.map((h) => h.loss)}`);
  assert.ok(after.loss < before.loss * 0.5, `test loss ${before.loss} -> ${after.loss}`);
  assert.ok(after.accuracy > 0.8, `accuracy ${after.accuracy} (chance is 0.1)`);
});

test('a tiny CNN (conv-pool-dense) learns', () => {
  const net = buildNetwork('conv4-pool-10', [1, 28, 28], 10, 5);
  assert.equal(net.layers.map((l) => l.op.kind), ['conv2d', 'relu', 'maxpool2d', 'reshape', 'dense']);
  assert.equal([...net.layers[2].shape], [4, 14, 14]);
  train(net, trainSet, { epochs: 2, batchSize: 32, lr: 3e-3, seed: 5, limit: 800 });
  const acc = evaluate(net, testSet, { limit: 500 }).accuracy;
  assert.ok(acc > 0.6, `accuracy ${acc}`);
});

test('one-output sigmoid head trained with BCE on mnist:3v5', () => {
  const tr = loadDataset('mnist:3v5', { split: 'train' });
  const te = loadDataset('mnist:3v5', { split: 'test' });
  const net = buildNetwork('784-16-1', tr.shape, tr.classes, 2);
  assert.is(net.layers[net.layers.length - 1].op.kind, 'sigmoid');
  assert.ok(new TrainableModel(net, 1).sigmoidHead);
  const hist = train(net, tr, { epochs: 2, batchSize: 32, lr: 2e-3, seed: 2, limit: 1500, validation: te });
  assert.ok(hist[1].valAccuracy! > 0.9, `3v5 accuracy ${hist[1].valAccuracy} (chance 0.5)`);
});

test('the trained network matches onnxruntime after ONNX export', async () => {
  const { saveOnnx } = await import('../src/onnx/export.js');
  const ort = await import('onnxruntime-node');
  for (const arch of ['784-20-10', 'conv3-pool-conv4p0s2-10']) {
    const net = buildNetwork(arch, [1, 28, 28], 10, 9);
    train(net, trainSet, { epochs: 1, batchSize: 16, lr: 1e-3, seed: 9, limit: 200 });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vb-train-')), 'net.onnx');
    saveOnnx(net, file);
    const session = await ort.InferenceSession.create(file);
    const model = new TrainableModel(net, 1);
    for (const i of [0, 1, 2]) {
      const img = testSet.images.subarray(i * 784, (i + 1) * 784);
      model.input.set(img);
      const ours = model.forward(1);
      const res = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(img), [1, 1, 28, 28]) });
      const theirs = res[session.outputNames[0]].data as Float32Array;
      assert.is(theirs.length, 10);
      for (let k = 0; k < 10; k++) assert.ok(Math.abs(theirs[k] - ours[k]) < 1e-4, `${arch} image ${i} logit ${k}: ${theirs[k]} vs ${ours[k]}`);
    }
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

test('architecture strings: shapes, and clear errors', () => {
  const cnn = buildNetwork('conv8-pool-conv16-pool-10', [1, 28, 28], 10, 1);
  assert.equal(cnn.layers.map((l) => [...l.shape].join('x')), ['8x28x28', '8x28x28', '8x14x14', '16x14x14', '16x14x14', '16x7x7', '784', '10']);
  const mlp = buildNetwork('784-50-50-50-10', [1, 28, 28], 10, 1);
  assert.equal(mlp.layers.map((l) => l.op.kind), ['reshape', 'dense', 'relu', 'dense', 'relu', 'dense', 'relu', 'dense']);
  throwsUser(() => buildNetwork('100-10', [1, 28, 28], 10, 1), /starts with 100 inputs but the data has 784/);
  throwsUser(() => buildNetwork('784-50-7', [1, 28, 28], 10, 1), /output layer has 7 units but the data has 10 classes/);
  throwsUser(() => buildNetwork('784-50-pool', [1, 28, 28], 10, 1), /last layer must be a dense/);
  throwsUser(() => buildNetwork('784-50-pool-10', [1, 28, 28], 10, 1), /pool \(layer 2\) needs an image input/);
  throwsUser(() => buildNetwork('conv8x-10', [1, 28, 28], 10, 1), /cannot read layer 'conv8x'/);
  throwsUser(() => buildNetwork('conv8k31p0-10', [1, 28, 28], 10, 1), /does not fit/);
});

test('training rejects data that does not fit the network', () => {
  const net = buildNetwork('784-10', [1, 28, 28], 10, 1);
  const small = { ...testSet, name: 'tiny', shape: [1, 4, 4], images: new Float32Array(16 * 3), count: 3, labels: new Uint8Array(3) };
  throwsUser(() => train(net, small, { epochs: 1, batchSize: 4, lr: 1e-3, seed: 1 }), /tiny: images have 16 values/);
  throwsUser(() => train(net, testSet, { epochs: 0, batchSize: 4, lr: 1e-3, seed: 1 }), /epochs must be a positive integer/);
});

test.run();
