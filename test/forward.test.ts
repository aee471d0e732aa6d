// The forward pass: batching does not change results, forwardLayers agrees with forward,
// float32 stays close to float64, and the window/pad/permute ops do what their definitions
// in src/network.ts say on small hand-checked cases. (Agreement with onnxruntime on real
// networks is in onnx-load.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { forward, forward32, forwardLayers } from '../src/forward.js';
import { INPUT, inputSize, outputSize, size } from '../src/network.js';
import type { Network, Op, Shape } from '../src/network.js';
import { RANDOM_NET_KINDS, randomNetwork, seededRng } from './helpers/random-network.js';
import { maxAbsDiff, numbers } from './fixtures-onnx.js';

test('a batch gives exactly the per-sample results, and forwardLayers ends with forward', () => {
  for (const kind of RANDOM_NET_KINDS) {
    for (let seed = 1; seed <= 3; seed++) {
      const net = randomNetwork(seededRng(seed * 7 + kind.length), { kind });
      const n = inputSize(net), m = outputSize(net), batch = 7; // 7: the 4-sample blocks and the remainder
      const x = Float64Array.from(numbers(seed, batch * n));
      const y = forward(net, x, batch);
      for (let b = 0; b < batch; b++) {
        assert.equal(Array.from(forward(net, x.slice(b * n, (b + 1) * n), 1)), Array.from(y.subarray(b * m, (b + 1) * m)), `${kind}/${seed} sample ${b}`);
      }
      const layers = forwardLayers(net, x, batch);
      assert.is(layers.length, net.layers.length);
      layers.forEach((a, i) => assert.is(a.length, batch * size(net.layers[i].shape), `layer ${i} size`));
      assert.equal(Array.from(layers[layers.length - 1]), Array.from(y));
      const y32 = forward32(net, Float32Array.from(x), batch);
      assert.instance(y32, Float32Array);
      const scale = 1 + Math.max(...Array.from(y, Math.abs));
      assert.ok(maxAbsDiff(y32, y) <= 1e-5 * scale, `${kind}/${seed}: float32 differs by ${maxAbsDiff(y32, y)}`);
    }
  }
});

function one(op: Op, inputShape: Shape, shape: Shape): Network {
  return { name: 't', inputShape, layers: [{ name: 'l', op, inputs: [INPUT], shape }], warnings: [] };
}

test('max pooling never picks a padded position; average pooling counts pads only when asked', () => {
  // one channel, 2x2 input, all negative; 2x2 windows, stride 2, one row/col of padding on top/left
  const x = Float64Array.of(-1, -2, -3, -4);
  const pads: [number, number, number, number] = [1, 1, 0, 0];
  const base = { kernel: [2, 2] as [number, number], stride: [2, 2] as [number, number], pads };
  // windows: (0,0) covers only x[0]; (0,1) covers x[1]; (1,0) x[2]; (1,1) x[3]
  assert.equal(Array.from(forward(one({ kind: 'maxpool2d', ...base }, [1, 2, 2], [1, 1, 1]), x, 1)), [-1]);
  const mp = one({ kind: 'maxpool2d', kernel: [2, 2], stride: [1, 1], pads }, [1, 2, 2], [1, 2, 2]);
  assert.equal(Array.from(forward(mp, x, 1)), [-1, -1, -1, -1]);
  const avg = (countIncludePad: boolean) => one({ kind: 'avgpool2d', kernel: [2, 2], stride: [1, 1], pads, countIncludePad }, [1, 2, 2], [1, 2, 2]);
  assert.equal(Array.from(forward(avg(false), x, 1)), [-1, -1.5, -2, -2.5]);
  assert.equal(Array.from(forward(avg(true), x, 1)), [-0.25, -0.75, -1, -2.5]);
});

test('pad, permute, affine and add on small cases', () => {
  const x = Float64Array.of(1, 2, 3, 4);
  const padded = forward(one({ kind: 'pad', pads: [1, 0, 0, 1] }, [1, 2, 2], [1, 3, 3]), x, 1);
  assert.equal(Array.from(padded), [0, 0, 0, 1, 2, 0, 3, 4, 0]);
  const perm = forward(one({ kind: 'permute', perm: Int32Array.of(3, 1, 2, 0) }, [4], [4]), x, 1);
  assert.equal(Array.from(perm), [4, 2, 3, 1]);
  const aff = forward(one({ kind: 'affine', scale: Float64Array.of(1, -1, 2, 0), shift: Float64Array.of(0, 1, 0, 5) }, [4], [4]), x, 1);
  assert.equal(Array.from(aff), [1, -1, 6, 5]);
  const net: Network = {
    name: 'res', inputShape: [2], warnings: [],
    layers: [
      { name: 'd', op: { kind: 'dense', inFeatures: 2, outFeatures: 2, weight: Float64Array.of(1, 1, 0, 2), bias: Float64Array.of(0, -1) }, inputs: [INPUT], shape: [2] },
      { name: 'a', op: { kind: 'add' }, inputs: [0, INPUT], shape: [2] },
    ],
  };
  assert.equal(Array.from(forward(net, Float64Array.of(1, 2), 1)), [4, 5]);
});

test('conv2d with stride and asymmetric padding matches a direct evaluation of its definition', () => {
  const rng = seededRng(3);
  const [c, h, w, m, kh, kw] = [2, 5, 4, 3, 3, 2];
  const op = { kind: 'conv2d' as const, inChannels: c, outChannels: m, kernel: [kh, kw] as [number, number], stride: [2, 1] as [number, number], pads: [1, 0, 2, 1] as [number, number, number, number],
    weight: Float64Array.from({ length: m * c * kh * kw }, () => rng() - 0.5), bias: Float64Array.from({ length: m }, () => rng()) };
  const oh = Math.floor((h + 1 + 2 - kh) / 2) + 1, ow = Math.floor((w + 0 + 1 - kw) / 1) + 1;
  const x = Float64Array.from({ length: c * h * w }, () => rng());
  const y = forward(one(op, [c, h, w], [m, oh, ow]), x, 1);
  const at = (ch: number, i: number, j: number) => (i >= 0 && i < h && j >= 0 && j < w ? x[(ch * h + i) * w + j] : 0);
  for (let o = 0; o < m; o++) for (let r = 0; r < oh; r++) for (let q = 0; q < ow; q++) {
    let s = op.bias[o];
    for (let ch = 0; ch < c; ch++) for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) s += op.weight[((o * c + ch) * kh + a) * kw + b] * at(ch, r * 2 - 1 + a, q - 0 + b);
    assert.ok(Math.abs(y[(o * oh + r) * ow + q] - s) < 1e-12, `output ${o},${r},${q}`);
  }
});

test.run();
