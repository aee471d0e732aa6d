// The MaxPool α family (src/bounds/ops/maxpool.ts: m ≥ α·x_i + (1 − α)·x_k): on max(z, −z) = |z|
// over z ∈ [−1, 1], DeepPoly's line m ≥ x_i (α = 1) bounds |z| below by −1, the midpoint α = ½
// gives the exact 0, and α-CROWN finds it; every α in [0, 1] stays below the true minimum 0.
// (Random conv nets with max-pools are covered by bounds-relax.test.ts: gradients against finite
// differences, any α at sampled and PGD points.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { appendLayer } from '../src/network.js';
import { planOf } from '../src/bounds/plan.js';
import { crownChunk } from '../src/bounds/crown.js';
import { backwardPass } from '../src/bounds/backward.js';
import { alphaBox } from '../src/bounds/optimise/alpha.js';
import { boundNetworkCpu } from '../src/bounds/index.js';

function absNet(): Network {
  const net: Network = { name: 'abs', inputShape: [1], layers: [], warnings: [] };
  appendLayer(net, { kind: 'dense', inFeatures: 1, outFeatures: 2, weight: Float64Array.of(1, -1), bias: new Float64Array(2) });
  appendLayer(net, { kind: 'reshape' }, 'to-image', [1, 1, 2]);
  appendLayer(net, { kind: 'maxpool2d', kernel: [1, 2], stride: [1, 2], pads: [0, 0, 0, 0] });
  appendLayer(net, { kind: 'reshape' }, 'flat', [1]);
  return net;
}

test('max(z, −z) on [−1, 1]: CROWN −1, α = ½ exact, α-CROWN reaches 0, every α ≤ 0', () => {
  const net = absNet();
  const lower = Float64Array.of(-1), upper = Float64Array.of(1);
  const crown = boundNetworkCpu(net, { lower, upper, count: 1 }, { method: 'crown', spec: { c: Float64Array.of(1), rows: 1, shared: true } });
  assert.ok(Math.abs(crown.lower[0] + 1) < 1e-12, `CROWN ${crown.lower[0]}`);
  const plan = planOf(net);
  const { state } = crownChunk(plan, { lower, upper }, 1, 8, false);
  const pool = net.layers.findIndex((l) => l.op.kind === 'maxpool2d');
  assert.is(state.relax[pool]!.free![0], 1, 'the pool output is free');
  const last = plan.layers.length - 1;
  for (let q = 0; q <= 20; q++) {
    const a = q / 20;
    const lb = backwardPass(state, last, Float64Array.of(1), { n: 1, box: new Int32Array(1), bias: new Float64Array(1) }, { layer: Object.assign([], { [pool]: { alpha: Float64Array.of(a) } }) });
    assert.ok(lb[0] <= 1e-12, `α ${a}: bound ${lb[0]} above the minimum 0`);
    if (q === 10) assert.ok(Math.abs(lb[0]) < 1e-12, `α ½: ${lb[0]}`);
    if (q === 0 || q === 20) assert.ok(Math.abs(lb[0] + 1) < 1e-12, `α ${a}: ${lb[0]}`);
  }
  const res = alphaBox(net, lower, upper, Float64Array.of(1), 1, { iterations: 60, lr: 0.1, deadline: Infinity });
  assert.ok(res.best[0] > -1e-3 && res.best[0] <= 1e-12, `α-CROWN ${res.best[0]}`);
});

test.run();
