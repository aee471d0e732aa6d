import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network, Op } from '../src/network.js';
import { INPUT } from '../src/network.js';
import { forwardLayers } from '../src/forward.js';
import { crownLayerBounds } from '../src/bounds/index.js';
import { alphaCrown } from './helpers/alpha-bounds.js';
import { makeRng } from '../src/train/rng.js';

const rng = makeRng(7);

function randomNet(sizes: number[], affineFirst = false): Network {
  const layers: Network['layers'] = [];
  const push = (op: Op, shape: number[]) => layers.push({ name: `l${layers.length}`, op, inputs: [layers.length - 1 < 0 ? INPUT : layers.length - 1], shape });
  if (affineFirst) {
    const n = sizes[0];
    push({ kind: 'affine', scale: Float64Array.from({ length: n }, () => 0.5 + rng.next()), shift: Float64Array.from({ length: n }, () => rng.gaussian() * 0.1) }, [n]);
  }
  for (let k = 0; k + 1 < sizes.length; k++) {
    const [i, o] = [sizes[k], sizes[k + 1]];
    const weight = Float64Array.from({ length: i * o }, () => rng.gaussian() / Math.sqrt(i));
    const bias = Float64Array.from({ length: o }, () => rng.gaussian() * 0.1);
    push({ kind: 'dense', inFeatures: i, outFeatures: o, weight, bias }, [o]);
    if (k + 2 < sizes.length) push({ kind: 'relu' }, [o]);
  }
  return { name: 'random', inputShape: [sizes[0]], layers, warnings: [] };
}

/** Tiny float64 forward pass of the test networks (dense, relu, affine only). */
function run(net: Network, x: Float64Array): Float64Array {
  let h = x;
  for (const { op } of net.layers) {
    if (op.kind === 'dense') {
      const y = new Float64Array(op.outFeatures);
      for (let o = 0; o < op.outFeatures; o++) {
        let s = op.bias[o];
        for (let j = 0; j < op.inFeatures; j++) s += op.weight[o * op.inFeatures + j] * h[j];
        y[o] = s;
      }
      h = y;
    } else if (op.kind === 'relu') h = h.map((v) => Math.max(0, v));
    else if (op.kind === 'affine') h = h.map((v, i) => v * op.scale[i] + op.shift[i]);
  }
  return h;
}

function randomBox(n: number, eps: number) {
  const lower = new Float64Array(n), upper = new Float64Array(n);
  for (let i = 0; i < n; i++) { const c = rng.next(); lower[i] = c - eps; upper[i] = c + eps; }
  return { lower, upper };
}

function sample(lower: Float64Array, upper: Float64Array, vertex: boolean): Float64Array {
  return lower.map((l, i) => l + (vertex ? (rng.next() < 0.5 ? 0 : 1) : rng.next()) * (upper[i] - l));
}

test('every layer\'s bounds and α-CROWN bounds hold at sampled points (random dense ReLU nets)', () => {
  for (let trial = 0; trial < 12; trial++) {
    const net = randomNet([6, 12, 10, 8, 4], trial % 2 === 1);
    const { lower, upper } = randomBox(6, 0.05 + 0.3 * rng.next());
    const R = 5;
    const c = Float64Array.from({ length: R * 4 }, () => rng.gaussian());
    const crown = crownLayerBounds(net, { lower, upper, count: 1 });
    const res = alphaCrown(net, lower, upper, c, R, { iterations: 30, intermediate: trial % 3 === 0 ? 10 : undefined });
    for (let s = 0; s < 300; s++) {
      const x = sample(lower, upper, s % 3 === 0);
      const y = run(net, x);
      for (let r = 0; r < R; r++) {
        let v = 0;
        for (let j = 0; j < 4; j++) v += c[r * 4 + j] * y[j];
        assert.ok(v >= res.lower[r] - 1e-9, `trial ${trial} row ${r}: c·y = ${v} below bound ${res.lower[r]}`);
      }
      // every layer's value (the ReLUs' inputs included), CROWN's and α-CROWN's bounds
      forwardLayers(net, x, 1).forEach((z, k) => {
        for (const [what, b] of [['crown', crown[k]], ['alpha', res.bounds[k]]] as const) {
          for (let o = 0; o < z.length; o++) assert.ok(z[o] >= b.lower[o] - 1e-9 && z[o] <= b.upper[o] + 1e-9, `trial ${trial}: ${what} layer ${k} neuron ${o}`);
        }
      });
    }
  }
});

test('optimising α raises the bound above CROWN’s adaptive slopes on some rows and never lowers it', () => {
  let improved = 0, total = 0;
  for (let trial = 0; trial < 8; trial++) {
    const net = randomNet([5, 16, 16, 3]);
    const { lower, upper } = randomBox(5, 0.3);
    const R = 3;
    const c = Float64Array.from({ length: R * 3 }, () => rng.gaussian());
    const crown = alphaCrown(net, lower, upper, c, R, { iterations: 0 });
    const opt = alphaCrown(net, lower, upper, c, R, { iterations: 40 });
    for (let r = 0; r < R; r++) {
      total++;
      assert.ok(opt.lower[r] >= crown.lower[r] - 1e-12);
      if (opt.lower[r] > crown.lower[r] + 1e-6) improved++;
    }
  }
  assert.ok(improved >= total / 4, `improved ${improved} of ${total}`);
});

test('stopAbove stops optimising decided rows', () => {
  const net = randomNet([4, 8, 2]);
  const { lower, upper } = randomBox(4, 0.1);
  const c = new Float64Array([1, 0, 0, 1]);
  const res = alphaCrown(net, lower, upper, c, 2, { iterations: 50, stopAbove: new Float64Array([-1e9, -1e9]) });
  assert.is(res.iterations, 0);
});

test.run();
