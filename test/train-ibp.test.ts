// Certified (IBP) training: the interval bounds it trains on must be sound, its gradient
// must match finite differences, and training on it must make IBP prove more images.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendLayer, type Network, type Op } from '../src/network.js';
import { TrainableModel } from '../src/train/model.js';
import { IntervalModel } from '../src/train/ibp.js';
import { softmaxCrossEntropy } from '../src/train/loss.js';
import { makeRng } from '../src/train/rng.js';
import { buildNetwork } from '../src/train/arch.js';
import { intervalAccuracy, evaluate, train } from '../src/train/trainer.js';
import { loadMnist } from '../src/data/mnist.js';

const rng = makeRng(11);
const randn = (n: number, s = 0.6) => Float64Array.from({ length: n }, () => rng.gaussian() * s);

function convNet(): Network {
  const n: Network = { name: 'ibp', inputShape: [2, 6, 6], layers: [], warnings: [] };
  const ops: Op[] = [
    { kind: 'conv2d', inChannels: 2, outChannels: 4, kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], weight: randn(72), bias: randn(4, 0.1) },
    { kind: 'relu' },
    { kind: 'maxpool2d', kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0] },
  ];
  for (const op of ops) appendLayer(n, op);
  appendLayer(n, { kind: 'reshape' }, 'flat', [36]);
  appendLayer(n, { kind: 'dense', inFeatures: 36, outFeatures: 7, weight: randn(252), bias: randn(7, 0.1) });
  appendLayer(n, { kind: 'sigmoid' });
  appendLayer(n, { kind: 'dense', inFeatures: 7, outFeatures: 3, weight: randn(21), bias: randn(3, 0.1) });
  return n;
}

test('IBP bounds contain the outputs of points sampled in the clipped box, and collapse at eps = 0', () => {
  const net = convNet();
  const B = 4, eps = 0.08;
  const model = new TrainableModel(net, B);
  const interval = new IntervalModel(model);
  const x = Float64Array.from({ length: B * 72 }, () => (rng.next() < 0.3 ? 0 : rng.next()));
  model.input.set(x);
  interval.forward(B, 0);
  const clean = Float64Array.from(model.forward(B));
  for (let k = 0; k < clean.length; k++) {
    assert.ok(Math.abs(interval.lower[k] - clean[k]) < 1e-12 && Math.abs(interval.upper[k] - clean[k]) < 1e-12);
  }
  model.input.set(x);
  interval.forward(B, eps);
  const lo = Float64Array.from(interval.lower), up = Float64Array.from(interval.upper);
  let widthSum = 0;
  for (let k = 0; k < lo.length; k++) widthSum += up[k] - lo[k];
  assert.ok(widthSum > 0);
  const probe = new TrainableModel(net, B);
  for (let t = 0; t < 300; t++) {
    for (let i = 0; i < x.length; i++) {
      const a = Math.max(x[i] - eps, 0), b = Math.min(x[i] + eps, 1);
      const u = t % 3 === 0 ? (rng.next() < 0.5 ? 0 : 1) : rng.next(); // corners too
      probe.input[i] = a + (b - a) * u;
    }
    const y = probe.forward(B);
    for (let k = 0; k < y.length; k++) {
      assert.ok(y[k] >= lo[k] - 1e-9 && y[k] <= up[k] + 1e-9, `output ${k}: ${y[k]} outside [${lo[k]}, ${up[k]}]`);
    }
  }
});

test('gradient of the interval loss matches finite differences', () => {
  const net = convNet();
  const B = 3, eps = 0.05, kappa = 0.7;
  const model = new TrainableModel(net, B);
  const interval = new IntervalModel(model);
  const x = Float64Array.from({ length: B * 72 }, () => rng.next());
  const labels = Uint8Array.from([0, 2, 1]);
  const lossAt = (withGrad: boolean): number => {
    model.input.set(x);
    interval.forward(B, eps);
    const r = interval.loss(labels, B, kappa, false);
    if (withGrad) { model.zeroGrads(); interval.backward(B); }
    return (kappa * r.loss) / B;
  };
  lossAt(true);
  const grads = model.grads().map((g) => Float64Array.from(g));
  const params = model.params();
  let checked = 0;
  params.forEach((p, pi) => {
    for (let t = 0; t < Math.min(10, p.length); t++) {
      const k = rng.int(p.length), h = 1e-6, old = p[k];
      p[k] = old + h; const a = lossAt(false);
      p[k] = old - h; const b = lossAt(false);
      p[k] = old;
      const num = (a - b) / (2 * h);
      assert.ok(Math.abs(num - grads[pi][k]) <= 1e-6 + 1e-4 * Math.abs(num), `param ${pi}[${k}]: ${grads[pi][k]} vs ${num}`);
      checked++;
    }
  });
  assert.ok(checked > 20);
  // the clean loss helper is unaffected by the interval model (shared weights, same logits)
  model.input.set(x);
  model.forward(B);
  assert.ok(Number.isFinite(softmaxCrossEntropy(model.output, labels, B, 3, null).loss));
});

test('IBP training makes many more test images provable than plain training', () => {
  const trainSet = loadMnist('train'), testSet = loadMnist('test');
  const opts = { epochs: 3, batchSize: 32, lr: 2e-3, seed: 4, limit: 2000 };
  const plain = buildNetwork('784-32-10', [1, 28, 28], 10, 4);
  train(plain, trainSet, opts);
  const robust = buildNetwork('784-32-10', [1, 28, 28], 10, 4);
  const hist = train(robust, trainSet, { ...opts, ibp: { eps: 0.05, ramp: 0.4 } });
  assert.is(hist[2].ibpEps, 0.05);
  const eps = 0.05;
  const vPlain = intervalAccuracy(plain, testSet, eps, { limit: 500 });
  const vRobust = intervalAccuracy(robust, testSet, eps, { limit: 500 });
  const clean = evaluate(robust, testSet, { limit: 500 }).accuracy;
  assert.ok(vRobust > vPlain + 0.3, `IBP-verified at eps ${eps}: plain ${vPlain}, IBP-trained ${vRobust}`);
  assert.ok(vRobust <= clean, 'verified accuracy cannot exceed clean accuracy');
  assert.ok(clean > 0.6, `IBP-trained clean accuracy ${clean}`);
});

test.run();
