// inputGradient against central finite differences on random networks of every op kind
// (dense, sigmoid, conv with pad/max/avg pooling/permute/affine, residual adds) and on a
// shared VNN-COMP CNN.
import { test } from 'uvu';
import { guard, sharedMissing } from './helpers/requires.js';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { inputGradient } from '../src/gradient.js';
import { forward } from '../src/forward.js';
import { INPUT, inputSize, outputSize } from '../src/network.js';
import type { Network } from '../src/network.js';
import { loadOnnxFile } from '../src/onnx/load.js';
import { RANDOM_NET_KINDS, randomNetwork, seededRng } from './helpers/random-network.js';
import { numbers } from './fixtures-onnx.js';

/** For the tests that read VNN-COMP files from ../shared (skipped with one line without it). */
const sharedTest = guard(test, sharedMissing());

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** d(c·y)/dx_i of sample b by central differences. */
function finiteDiff(net: Network, x: Float64Array, b: number, c: Float64Array, i: number, h = 1e-6): number {
  const n = inputSize(net), m = outputSize(net);
  const xs = x.slice(b * n, (b + 1) * n);
  const cb = c.subarray(b * m, (b + 1) * m);
  const f = (d: number) => {
    const p = xs.slice();
    p[i] += d;
    const y = forward(net, p, 1);
    return y.reduce((s, v, j) => s + v * cb[j], 0);
  };
  return (f(h) - f(-h)) / (2 * h);
}

function check(net: Network, x: Float64Array, batch: number, c: Float64Array, coords: number[], what: string): void {
  const { output, grad } = inputGradient(net, x, batch, c);
  assert.equal(Array.from(output), Array.from(forward(net, x, batch)), `${what}: output`);
  const n = inputSize(net);
  for (let b = 0; b < batch; b++) {
    for (const i of coords) {
      const g = grad[b * n + i], fd = finiteDiff(net, x, b, c, i);
      assert.ok(Math.abs(g - fd) <= 1e-5 * (1 + Math.abs(fd)), `${what}: sample ${b} input ${i}: gradient ${g}, finite difference ${fd}`);
    }
  }
}

test('random networks of every kind: gradient = finite differences', () => {
  for (const kind of RANDOM_NET_KINDS) {
    for (let seed = 1; seed <= 5; seed++) {
      const net = randomNetwork(seededRng(seed * 13 + kind.length), { kind });
      const n = inputSize(net), m = outputSize(net), batch = 2;
      const x = Float64Array.from(numbers(seed, batch * n));
      const c = Float64Array.from(numbers(seed + 99, batch * m));
      check(net, x, batch, c, Array.from({ length: n }, (_, i) => i), `${kind}/${seed}`);
    }
  }
});

sharedTest('a shared CNN (conv, maxpool, NHWC permute, normalisation): gradient = finite differences', () => {
  const net = loadOnnxFile(path.resolve(root, '../shared/benchmarks/eran/nets/mnist_conv_maxpool.onnx'));
  const x = Float64Array.from(numbers(5, 784), (v) => (v + 1) / 2);
  const c = new Float64Array(10);
  c[3] = 1; c[7] = -1; // a margin y3 − y7
  check(net, x, 1, c, [100, 210, 333, 407, 500, 601], 'mnist_conv_maxpool');
});

test('padded average pooling (with and without counting pads) and zero Pad: gradient = finite differences', () => {
  for (const countIncludePad of [false, true]) {
    const rng = seededRng(countIncludePad ? 2 : 1);
    const net: Network = {
      name: 'avg', inputShape: [2, 4, 4], warnings: [],
      layers: [
        { name: 'pad', op: { kind: 'pad', pads: [0, 1, 1, 0] }, inputs: [INPUT], shape: [2, 5, 5] },
        { name: 'pool', op: { kind: 'avgpool2d', kernel: [3, 3], stride: [2, 1], pads: [1, 1, 1, 2], countIncludePad }, inputs: [0], shape: [2, 3, 6] },
        { name: 'fc', op: { kind: 'dense', inFeatures: 36, outFeatures: 2, weight: Float64Array.from({ length: 72 }, () => rng() - 0.5), bias: Float64Array.of(0.1, -0.1) }, inputs: [1], shape: [2] },
      ],
    };
    const x = Float64Array.from(numbers(7, 32));
    check(net, x, 1, Float64Array.of(1, -2), Array.from({ length: 32 }, (_, i) => i), `avgpool countIncludePad=${countIncludePad}`);
  }
});

test('ReLU subgradient at 0 is 0, and maxpool routes to one maximal position', () => {
  const net: Network = {
    name: 'kink', inputShape: [1, 2, 2], warnings: [],
    layers: [
      { name: 'pool', op: { kind: 'maxpool2d', kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0] }, inputs: [INPUT], shape: [1, 1, 1] },
      { name: 'relu', op: { kind: 'relu' }, inputs: [0], shape: [1, 1, 1] },
    ],
  };
  const atZero = inputGradient(net, Float64Array.of(0, -1, -2, -3), 1, Float64Array.of(1));
  assert.equal(Array.from(atZero.grad), [0, 0, 0, 0]);
  const pos = inputGradient(net, Float64Array.of(0.5, 2, -2, 1), 1, Float64Array.of(3));
  assert.equal(Array.from(pos.grad), [0, 3, 0, 0]);
});

test.run();
