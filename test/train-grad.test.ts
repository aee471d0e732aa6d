// Back-propagation of every trainable op checked against central finite differences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendLayer, type Network, type Op } from '../src/network.js';
import { TrainableModel } from '../src/train/model.js';
import { binaryCrossEntropy, softmaxCrossEntropy } from '../src/train/loss.js';
import { makeRng } from '../src/train/rng.js';

const rng = makeRng(42);
const randn = (n: number, s = 0.5) => Float64Array.from({ length: n }, () => rng.gaussian() * s);

function net(inputShape: number[], ops: Op[]): Network {
  const n: Network = { name: 'gradcheck', inputShape, layers: [], warnings: [] };
  for (const op of ops) appendLayer(n, op);
  return n;
}
const conv = (i: number, o: number, k: number, s: number, p: number): Op => ({
  kind: 'conv2d', inChannels: i, outChannels: o, kernel: [k, k], stride: [s, s], pads: [p, p, p, p], weight: randn(o * i * k * k), bias: randn(o, 0.1),
});
const dense = (i: number, o: number): Op => ({ kind: 'dense', inFeatures: i, outFeatures: o, weight: randn(i * o), bias: randn(o, 0.1) });
const pool: Op = { kind: 'maxpool2d', kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0] };

/** Loss of the batch for the current weights; fills grads (and returns the input gradient) when asked. */
function lossOf(model: TrainableModel, x: Float64Array, labels: Uint8Array, B: number, backward: boolean): number {
  model.input.set(x);
  model.forward(B);
  const grad = backward ? model.outputGrad : null;
  const r = model.sigmoidHead ? binaryCrossEntropy(model.output, labels, B, grad) : softmaxCrossEntropy(model.output, labels, B, model.outSize, grad);
  if (backward) { model.zeroGrads(); model.backward(B); }
  return r.loss / B;
}

function gradCheck(network: Network, classes: number, B: number, zeroFraction = 0): void {
  const model = new TrainableModel(network, B);
  const x = Float64Array.from({ length: B * model.inSize }, () => (rng.next() < zeroFraction ? 0 : rng.next()));
  const labels = Uint8Array.from({ length: B }, () => rng.int(classes));
  lossOf(model, x, labels, B, true);
  const params = model.params(), grads = model.grads().map((g) => Float64Array.from(g));
  let checked = 0;
  params.forEach((p, pi) => {
    const picks = Math.min(p.length, 12);
    for (let t = 0; t < picks; t++) {
      const k = rng.int(p.length), h = 1e-5, old = p[k];
      p[k] = old + h; const up = lossOf(model, x, labels, B, false);
      p[k] = old - h; const down = lossOf(model, x, labels, B, false);
      p[k] = old;
      const numeric = (up - down) / (2 * h);
      const err = Math.abs(numeric - grads[pi][k]);
      assert.ok(err <= 1e-6 + 1e-4 * Math.abs(numeric), `param ${pi}[${k}]: analytic ${grads[pi][k]} vs numeric ${numeric}`);
      checked++;
    }
  });
  assert.ok(checked > 10);
}

test('dense/ReLU MLP with softmax cross-entropy (batch of 5)', () => {
  gradCheck(net([12], [dense(12, 7), { kind: 'relu' }, dense(7, 6), { kind: 'relu' }, dense(6, 4)]), 4, 5);
});

test('conv (pad 1, stride 1) → ReLU → maxpool → conv (pad 0, stride 2) → reshape → dense', () => {
  const n = net([2, 8, 8], [conv(2, 3, 3, 1, 1), { kind: 'relu' }, pool, conv(3, 5, 3, 2, 0), { kind: 'relu' }]);
  appendLayer(n, { kind: 'reshape' }, 'flatten', [5]);
  appendLayer(n, dense(5, 3));
  gradCheck(n, 3, 3);
});

test('conv with 5 output channels (blocked and remainder paths) and an interior sigmoid', () => {
  const n = net([1, 6, 6], [conv(1, 5, 3, 1, 1), { kind: 'sigmoid' }, pool]);
  appendLayer(n, { kind: 'reshape' }, 'flatten', [45]);
  appendLayer(n, dense(45, 3));
  gradCheck(n, 3, 2);
});

test('mostly-zero input (MNIST-like) takes the sparse dense path and gets the same gradients', () => {
  gradCheck(net([100], [dense(100, 9), { kind: 'relu' }, dense(9, 3)]), 3, 6, 0.85);
  // the same network and data through the dense path must give the same outputs
  const n = net([100], [dense(100, 9)]);
  const m = new TrainableModel(n, 2);
  const x = Float64Array.from({ length: 200 }, (_, i) => (i % 7 === 0 ? rng.next() : 0));
  m.input.set(x);
  const sparseOut = Float64Array.from(m.forward(2));
  for (let i = 0; i < 2; i++) {
    for (let o = 0; o < 9; o++) {
      let a = (n.layers[0].op as { bias: Float64Array }).bias[o];
      for (let k = 0; k < 100; k++) a += (n.layers[0].op as { weight: Float64Array }).weight[o * 100 + k] * x[i * 100 + k];
      assert.ok(Math.abs(a - sparseOut[i * 9 + o]) < 1e-12);
    }
  }
});

test('conv forward (GEMM path and sparse scatter path) equals a direct convolution', () => {
  for (const [k, st, pd] of [[3, 1, 1], [3, 2, 0], [2, 1, 1], [5, 2, 2]]) {
    const op = conv(3, 5, k, st, pd) as Extract<Op, { kind: 'conv2d' }>;
    const n = net([3, 7, 9], [op]);
    const [, oh, ow] = n.layers[0].shape;
    const m = new TrainableModel(n, 2);
    // sample 0 dense, sample 1 mostly zero
    const x = Float64Array.from({ length: 2 * 189 }, (_, i) => (i < 189 || rng.next() < 0.2 ? rng.gaussian() : 0));
    m.input.set(x);
    const y = m.forward(2);
    for (let s = 0; s < 2; s++) {
      for (let oc = 0; oc < 5; oc++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
        let a = op.bias[oc];
        for (let ic = 0; ic < 3; ic++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
          const iy = oy * st - pd + ky, ix = ox * st - pd + kx;
          if (iy < 0 || iy >= 7 || ix < 0 || ix >= 9) continue;
          a += op.weight[((oc * 3 + ic) * k + ky) * k + kx] * x[s * 189 + (ic * 7 + iy) * 9 + ix];
        }
        const got = y[s * 5 * oh * ow + (oc * oh + oy) * ow + ox];
        assert.ok(Math.abs(got - a) < 1e-12, `k${k} s${st} p${pd} sample ${s} [${oc},${oy},${ox}]: ${got} vs ${a}`);
      }
    }
  }
});

test('gradients through a conv fed mostly-zero inputs (scatter path)', () => {
  const n = net([2, 8, 8], [conv(2, 9, 3, 1, 1), { kind: 'relu' }, pool]);
  appendLayer(n, { kind: 'reshape' }, 'flatten', [144]);
  appendLayer(n, dense(144, 3));
  gradCheck(n, 3, 3, 0.8);
});

test('one-output sigmoid head with binary cross-entropy', () => {
  const n = net([10], [dense(10, 6), { kind: 'relu' }, dense(6, 1), { kind: 'sigmoid' }]);
  const m = new TrainableModel(n, 4);
  assert.ok(m.sigmoidHead);
  gradCheck(n, 2, 4);
});

test('input gradient of a conv layer that is not first', () => {
  // a leading dense layer makes the conv's dx needed; check through it
  const n: Network = { name: 'g', inputShape: [16], layers: [], warnings: [] };
  appendLayer(n, dense(16, 32));
  appendLayer(n, { kind: 'reshape' }, 'r', [2, 4, 4]);
  appendLayer(n, conv(2, 4, 3, 1, 1));
  appendLayer(n, { kind: 'relu' });
  appendLayer(n, { kind: 'reshape' }, 'f', [64]);
  appendLayer(n, dense(64, 3));
  gradCheck(n, 3, 3);
});

test.run();
