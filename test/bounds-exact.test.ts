// Exact small case (issue 3 item 5): the reference homework's 2-input max-pool network.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { appendLayer, validateNetwork } from '../src/network.js';
import { boundNetworkCpu, crownLayerBounds, ibpLayerBounds } from '../src/bounds/index.js';

// x3 = x1 + x2, x4 = x1 − 2, x5 = x1 − x2, x6 = x2; x7 = max(x3, x4), x8 = max(x5, x6);
// x9 = x7, x10 = −x7 + x8 − 0.5, on x1, x2 ∈ [0, 1].
function homework(): Network {
  const net: Network = { name: 'homework', inputShape: [2], layers: [], warnings: [] };
  appendLayer(net, { kind: 'dense', inFeatures: 2, outFeatures: 4, weight: Float64Array.of(1, 1, 1, 0, 1, -1, 0, 1), bias: Float64Array.of(0, -2, 0, 0) });
  appendLayer(net, { kind: 'reshape' }, 'to_chw', [2, 1, 2]);
  appendLayer(net, { kind: 'maxpool2d', kernel: [1, 2], stride: [1, 2], pads: [0, 0, 0, 0] });
  appendLayer(net, { kind: 'reshape' }, 'flatten', [2]);
  appendLayer(net, { kind: 'dense', inFeatures: 2, outFeatures: 2, weight: Float64Array.of(1, 0, -1, 1), bias: Float64Array.of(0, -0.5) });
  validateNetwork(net);
  return net;
}
const box = { lower: Float64Array.of(0, 0), upper: Float64Array.of(1, 1), count: 1 };
const margin = { c: Float64Array.of(1, -1), rows: 1, shared: true }; // x9 − x10

const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;

test('IBP gives the homework intervals for every node', () => {
  const b = ibpLayerBounds(homework(), box);
  const want: [number, number][][] = [
    [[0, 2], [-2, -1], [-1, 1], [0, 1]], // x3..x6
    [[0, 2], [-2, -1], [-1, 1], [0, 1]], // reshape
    [[0, 2], [0, 1]], // x7, x8
    [[0, 2], [0, 1]],
    [[0, 2], [-2.5, 0.5]], // x9, x10
  ];
  want.forEach((layer, i) => layer.forEach(([lo, hi], j) => {
    assert.ok(near(b[i].lower[j], lo) && near(b[i].upper[j], hi), `layer ${i} neuron ${j}: [${b[i].lower[j]}, ${b[i].upper[j]}] want [${lo}, ${hi}]`);
  }));
});

test('the network computes the homework formula, whose minimum of x9 − x10 on the box is 0.5', () => {
  const net = homework();
  let min = Infinity;
  for (let i = 0; i <= 20; i++) {
    for (let j = 0; j <= 20; j++) {
      const x1 = i / 20, x2 = j / 20;
      const point = { lower: Float64Array.of(x1, x2), upper: Float64Array.of(x1, x2), count: 1 };
      const out = ibpLayerBounds(net, point)[4].lower; // a degenerate box is an exact evaluation
      const x7 = Math.max(x1 + x2, x1 - 2), x8 = Math.max(x1 - x2, x2);
      assert.ok(near(out[0], x7) && near(out[1], -x7 + x8 - 0.5), `at (${x1}, ${x2})`);
      min = Math.min(min, out[0] - out[1]);
    }
  }
  assert.ok(near(min, 0.5), `grid minimum ${min}`);
});

test('IBP and CROWN lower bounds of x9 − x10 are sound (≤ 0.5) and CROWN is at least as tight', () => {
  const net = homework();
  const ibp = boundNetworkCpu(net, box, { method: 'ibp', spec: margin });
  const crown = boundNetworkCpu(net, box, { method: 'crown', spec: margin });
  assert.ok(ibp.lower[0] <= 0.5 && crown.lower[0] <= 0.5, `ibp ${ibp.lower[0]}, crown ${crown.lower[0]}`);
  assert.ok(crown.lower[0] >= ibp.lower[0] - 1e-12, `crown ${crown.lower[0]} < ibp ${ibp.lower[0]}`);
  // the upper bounds hold the grid maximum of x9 − x10 = 2·x7 − x8 + 0.5
  let max = -Infinity;
  for (let i = 0; i <= 20; i++) {
    for (let j = 0; j <= 20; j++) {
      const x1 = i / 20, x2 = j / 20;
      max = Math.max(max, 2 * Math.max(x1 + x2, x1 - 2) - Math.max(x1 - x2, x2) + 0.5);
    }
  }
  assert.ok(ibp.upper[0] >= max - 1e-12 && crown.upper[0] >= max - 1e-12, `upper ${ibp.upper[0]}, ${crown.upper[0]} < ${max}`);
});

test('CROWN layer bounds keep every node inside the IBP intervals', () => {
  const net = homework();
  const ibp = ibpLayerBounds(net, box);
  const crown = crownLayerBounds(net, box);
  crown.forEach((b, i) => b.lower.forEach((lo, j) => {
    assert.ok(lo >= ibp[i].lower[j] - 1e-12 && b.upper[j] <= ibp[i].upper[j] + 1e-12, `layer ${i} neuron ${j}`);
  }));
  // x7 = max(x3, x4) is x3 exactly (x3 ≥ 0 > −1 ≥ x4): CROWN finds x9 ∈ [0, 2] exactly
  assert.ok(near(crown[4].lower[0], 0) && near(crown[4].upper[0], 2));
});

test.run();
