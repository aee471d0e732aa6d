import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { INPUT } from '../src/network.js';
import { pgdAttack } from '../src/attack/pgd.js';
import type { InputRegion } from '../src/spec/property.js';
import { insideBox, unsafeDisjunct } from '../src/spec/property.js';
import { forward } from '../src/forward.js';
import { makeRng } from '../src/train/rng.js';

const rng = makeRng(5);

function linearNet(n: number, m: number): Network {
  const weight = Float64Array.from({ length: n * m }, () => rng.gaussian());
  const bias = Float64Array.from({ length: m }, () => rng.gaussian());
  return { name: 'linear', inputShape: [n], layers: [{ name: 'd', op: { kind: 'dense', inFeatures: n, outFeatures: m, weight, bias }, inputs: [INPUT], shape: [m] }], warnings: [] };
}

function box(n: number, eps: number) {
  const lower = new Float64Array(n), upper = new Float64Array(n);
  for (let i = 0; i < n; i++) { const c = rng.next(); lower[i] = c - eps; upper[i] = c + eps; }
  return { lower, upper };
}

/** Exact minimum of a·(Wx + b) over the box: each input at the end its coefficient prefers. */
function exactMin(net: Network, a: Float64Array, lower: Float64Array, upper: Float64Array): number {
  const op = net.layers[0].op as Extract<Network['layers'][0]['op'], { kind: 'dense' }>;
  let v = 0;
  for (let o = 0; o < op.outFeatures; o++) v += a[o] * op.bias[o];
  for (let j = 0; j < op.inFeatures; j++) {
    let g = 0;
    for (let o = 0; o < op.outFeatures; o++) g += a[o] * op.weight[o * op.inFeatures + j];
    v += g > 0 ? g * lower[j] : g * upper[j];
  }
  return v;
}

test('on a linear net PGD reaches the exact minimum: found just above it, never below it', () => {
  for (let trial = 0; trial < 10; trial++) {
    const net = linearNet(8, 3);
    const { lower, upper } = box(8, 0.2);
    const a = Float64Array.from({ length: 3 }, () => rng.gaussian());
    const min = exactMin(net, a, lower, upper);
    const reachable: InputRegion = { lower, upper, unsafe: [{ a, b: new Float64Array([min + 1e-6]), rows: 1 }] };
    const hit = pgdAttack(net, reachable, { restarts: 2, steps: 20, seed: trial });
    assert.ok(hit.counterexample, `trial ${trial}: min ${min} not reached`);
    const cex = hit.counterexample!;
    assert.ok(insideBox(reachable, cex.x));
    assert.ok(unsafeDisjunct(reachable, forward(net, cex.x, 1)) >= 0);
    const unreachable: InputRegion = { lower, upper, unsafe: [{ a, b: new Float64Array([min - 1e-6]), rows: 1 }] };
    const miss = pgdAttack(net, unreachable, { restarts: 2, steps: 20, seed: trial });
    assert.is(miss.counterexample, null);
    assert.ok(insideBox(unreachable, miss.best.x));
    assert.ok(Math.abs(miss.best.value - 1e-6) < 1e-6, `best violation ${miss.best.value}`);
  }
});

test('a disjunction: the attack finds the reachable disjunct, and multi-row conjunctions need every row', () => {
  const net = linearNet(4, 2);
  const { lower, upper } = box(4, 0.1);
  const e0 = new Float64Array([1, 0]), e1 = new Float64Array([0, 1]);
  const min0 = exactMin(net, e0, lower, upper);
  const region: InputRegion = {
    lower, upper, unsafe: [
      { a: e0, b: new Float64Array([min0 - 1]), rows: 1 }, // unreachable
      { a: new Float64Array([...e0, ...e1]), b: new Float64Array([min0 + 1e-6, 1e9]), rows: 2 }, // reachable
    ],
  };
  const res = pgdAttack(net, region, { restarts: 2, steps: 20 });
  assert.ok(res.counterexample);
  assert.is(res.counterexample!.disjunct, 1);
  // the same, with a second row nobody can satisfy: nothing to find
  region.unsafe[1].b[1] = exactMin(net, e1, lower, upper) - 1;
  assert.is(pgdAttack(net, region, { restarts: 2, steps: 20 }).counterexample, null);
});

test('a deadline in the past stops the attack at once', () => {
  const net = linearNet(4, 2);
  const { lower, upper } = box(4, 0.1);
  const res = pgdAttack(net, { lower, upper, unsafe: [{ a: new Float64Array([1, 0]), b: new Float64Array([-1e9]), rows: 1 }] }, { deadline: Date.now() - 1 });
  assert.is(res.counterexample, null);
  assert.is(res.evaluations, 0);
});

test.run();
