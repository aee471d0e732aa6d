// The MILP's exact minima against independent references: the homework network (0.5), activation-
// pattern enumeration with one LP per pattern, a dense grid, and CROWN's lower bound.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { milpMinimizeLinear } from '../src/milp/index.js';
import { encodeNetwork } from '../src/milp/encode/network.js';
import { boundNetworkCpu, crownLayerBounds, ibpLayerBounds } from '../src/bounds/index.js';
import { forward } from '../src/forward.js';
import type { Network } from '../src/network.js';
import { outputSize } from '../src/network.js';
import { homeworkNet, patternMinimum, randomPoolNet, rng } from './milp-brute.js';

const box2 = { lower: new Float64Array([0, 0]), upper: new Float64Array([1, 1]) };

test('homework network: min x9 − x10 over [0,1]² is exactly 0.5', async () => {
  const r = await milpMinimizeLinear(homeworkNet(), box2, new Float64Array([1, -1]), { timeLimitS: 10 });
  assert.is(r.status, 'optimal');
  assert.ok(Math.abs(r.value! - 0.5) < 1e-9, `value ${r.value}`);
  assert.ok(Math.abs(r.bound - 0.5) < 1e-9, `bound ${r.bound}`);
  // x4 = x1 − 2 can never win its pool, so only the (x5, x6) pool needs binaries
  assert.is(r.binaries, 2);
  const y = r.output!;
  assert.ok(Math.abs(y[0] - y[1] - r.value!) < 1e-9, 'the minimiser replays to the minimum');
});

test('homework network: maximum of x9 − x10 agrees with pattern enumeration', async () => {
  const net = homeworkNet();
  const r = await milpMinimizeLinear(net, box2, new Float64Array([-1, 1]), { timeLimitS: 10 });
  const ref = await patternMinimum(net, box2.lower, box2.upper, [-1, 1]);
  assert.ok(Math.abs(r.value! - ref) < 1e-7, `milp ${r.value} vs enumeration ${ref}`);
});

function gridMinimum(net: Network, lower: Float64Array, upper: Float64Array, c: ArrayLike<number>, steps: number): number {
  const n = lower.length;
  const total = (steps + 1) ** n;
  const xs = new Float64Array(total * n);
  for (let p = 0; p < total; p++) {
    let q = p;
    for (let i = 0; i < n; i++) { xs[p * n + i] = lower[i] + ((q % (steps + 1)) / steps) * (upper[i] - lower[i]); q = Math.floor(q / (steps + 1)); }
  }
  const y = forward(net, xs, total);
  const m = outputSize(net);
  let best = Infinity;
  for (let p = 0; p < total; p++) {
    let s = 0;
    for (let k = 0; k < m; k++) s += c[k] * y[p * m + k];
    best = Math.min(best, s);
  }
  return best;
}

test('random ReLU + max-pool nets: MILP minimum = pattern enumeration ≤ grid, ≥ CROWN', async () => {
  const r = rng(7);
  for (let seed = 1; seed <= 6; seed++) {
    const n = 2 + (seed % 3);
    const net = randomPoolNet(seed, n);
    const centre = Array.from({ length: n }, () => r() * 2 - 1);
    const lower = Float64Array.from(centre, (v) => v - 0.5 - r());
    const upper = Float64Array.from(centre, (v) => v + 0.5 + r());
    const c = Float64Array.from([1, -1]);
    const boxes = { lower, upper, count: 1 };
    const layerBounds = crownLayerBounds(net, boxes);
    const milp = await milpMinimizeLinear(net, { lower, upper }, c, { timeLimitS: 20, layerBounds });
    assert.is(milp.status, 'optimal', `seed ${seed}`);
    const exact = await patternMinimum(net, lower, upper, c);
    const grid = gridMinimum(net, lower, upper, c, n === 2 ? 200 : n === 3 ? 40 : 14);
    const crown = boundNetworkCpu(net, boxes, { method: 'crown', spec: { c, rows: 1, shared: true } }).lower[0];
    const tol = 1e-6 * (1 + Math.abs(exact));
    assert.ok(Math.abs(milp.value! - exact) < tol, `seed ${seed}: milp ${milp.value} vs enumeration ${exact}`);
    assert.ok(milp.value! <= grid + tol, `seed ${seed}: milp ${milp.value} above grid ${grid}`);
    assert.ok(milp.value! >= crown - tol, `seed ${seed}: milp ${milp.value} below CROWN ${crown}`);
    // without the CROWN bounds (interval bounds only) the answer is the same, with at least as many binaries
    const plain = await milpMinimizeLinear(net, { lower, upper }, c, { timeLimitS: 20 });
    assert.ok(Math.abs(plain.value! - exact) < tol, `seed ${seed}: IBP-only milp ${plain.value} vs ${exact}`);
    assert.ok(plain.binaries >= milp.binaries);
    const y = milp.output!;
    assert.ok(Math.abs(y[0] - y[1] - milp.value!) < tol, `seed ${seed}: minimiser replays to ${y[0] - y[1]}`);
  }
});

test('encoding contains every real point: forward assignments satisfy all rows', () => {
  const r = rng(11);
  for (let seed = 20; seed < 25; seed++) {
    const net = randomPoolNet(seed, 3, 3);
    const lower = Float64Array.from({ length: 3 }, () => -1 - r());
    const upper = Float64Array.from({ length: 3 }, () => 1 + r());
    const boxes = { lower, upper, count: 1 };
    for (const lb of [undefined, ibpLayerBounds(net, boxes), crownLayerBounds(net, boxes)]) {
      const enc = encodeNetwork(net, { lower, upper }, { layerBounds: lb });
      for (let s = 0; s < 200; s++) {
        const x = Float64Array.from({ length: 3 }, (_, i) => lower[i] + r() * (upper[i] - lower[i]));
        const v = enc.builder.assignment(x);
        assert.ok(enc.builder.violation(v) < 1e-9, `seed ${seed}: violation ${enc.builder.violation(v)}`);
        const y = forward(net, x, 1);
        enc.outputs.forEach((e, k) => assert.ok(Math.abs(enc.builder.value(e, v) - y[k]) < 1e-9));
      }
    }
  }
});

test.run();
