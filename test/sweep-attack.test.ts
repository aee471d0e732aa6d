// The sweep's attack (sweep/attack.ts, its batched gradients from gradient.ts, falsify.ts): every counterexample lies
// in the real L∞ ball and flips the decision on the float64 network; results do not depend on
// how pairs are batched; batched gradients equal one-at-a-time ones; the falsify
// search attacks the top eps as the plain attack does, bisects down with each probe starting
// from the counterexample above it shrunk, and ends within one eps of where the plain attack at
// every eps first succeeds on most inputs. Also PairTable's monotone bookkeeping.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTarget } from '../src/sweep/setup.js';
import { inputSize } from '../src/network.js';
import { forward } from '../src/forward.js';
import { inputGradient } from '../src/gradient.js';
import { marginsOf } from '../src/spec/margins.js';
import { attackPairs } from '../src/sweep/attack.js';
import { falsifyByAttack } from '../src/sweep/falsify.js';
import { FALSIFIED, MISCLASSIFIED, PairTable, UNDECIDED, VERIFIED } from '../src/sweep/pairs.js';
import { randomNetwork, seededRng } from './helpers/random-network.js';

const { net, data } = await loadTarget({ net: 'mnist-mlp', samples: 60 });
const n = inputSize(net);
const x0 = (i: number) => data.inputs.subarray(i * n, (i + 1) * n);

test('attackPairs: counterexamples lie in the ball and replay; batching does not change them', () => {
  const pairs = Array.from({ length: 60 }, (_, i) => ({ input: i, eps: 0.06 }));
  const big = attackPairs(net, data.inputs, data.labels, pairs, { maxRows: 4096 });
  const small = attackPairs(net, data.inputs, data.labels, pairs, { maxRows: 6 });
  let found = 0;
  big.forEach((x, i) => {
    assert.is(x === null, small[i] === null, `input ${i}: same outcome in batches of 3 pairs`);
    if (!x) return;
    found++;
    assert.equal(Array.from(x), Array.from(small[i]!));
    for (let d = 0; d < n; d++) {
      assert.ok(x[d] >= 0 && x[d] <= 1 && Math.abs(x[d] - x0(i)[d]) <= 0.06, `input ${i} value ${d} inside the ball`);
    }
    assert.ok(Math.min(...marginsOf(forward(net, x, 1), data.labels[i])) < 0, `input ${i}: the decision flips`);
  });
  assert.ok(found > 10, `the attack finds counterexamples at eps 0.06 (${found})`);
});

test('attackPairs: a start point (a larger ball\'s counterexample shrunk toward the input) is used, projected into the ball', () => {
  // counterexamples at 0.08, shrunk to 0.06: the shrunk point starts restart 1, with no steps
  const big = attackPairs(net, data.inputs, data.labels, Array.from({ length: 60 }, (_, i) => ({ input: i, eps: 0.08 })), { restarts: 8, steps: 40 });
  const shrunk = big.map((x, i) => x && Float64Array.from(x0(i), (v, d) => v + (x[d] - v) * (0.06 / 0.08)));
  const withStart = attackPairs(net, data.inputs, data.labels, shrunk.map((s, i) => ({ input: i, eps: 0.06, start: s ?? undefined })), { restarts: 2, steps: 0 });
  const without = attackPairs(net, data.inputs, data.labels, shrunk.map((_, i) => ({ input: i, eps: 0.06 })), { restarts: 2, steps: 0 });
  let fromStart = 0;
  withStart.forEach((x, i) => {
    if (!x) return;
    for (let d = 0; d < n; d++) assert.ok(Math.abs(x[d] - x0(i)[d]) <= 0.06 && x[d] >= 0 && x[d] <= 1, `input ${i} value ${d} inside the ball`);
    assert.ok(Math.min(...marginsOf(forward(net, x, 1), data.labels[i])) < 0);
    if (!without[i]) { fromStart++; assert.equal(Array.from(x), Array.from(shrunk[i]!), `input ${i}: the start point itself`); }
  });
  assert.ok(fromStart > 0, 'some shrunk counterexamples are counterexamples at the smaller eps, found without a step');
});

test('batched gradients (the SIMD GEMM on dense layers) equal one-at-a-time gradients', () => {
  const rng = seededRng(3);
  const small = randomNetwork(rng, { kind: 'dense', depth: 3, width: 16, outputs: 4 });
  for (const m of [net, small]) {
    const size = inputSize(m), out = m.layers[m.layers.length - 1].shape.reduce((a, b) => a * b, 1);
    const B = 7;
    const x = Float64Array.from({ length: B * size }, () => rng());
    const c = Float64Array.from({ length: B * out }, () => rng() - 0.5);
    const got = inputGradient(m, x, B, c);
    const want = { grad: new Float64Array(got.grad.length), output: new Float64Array(got.output.length) };
    for (let b = 0; b < B; b++) {
      const one = inputGradient(m, x.subarray(b * size, (b + 1) * size), 1, c.subarray(b * out, (b + 1) * out));
      want.grad.set(one.grad, b * size);
      want.output.set(one.output, b * out);
    }
    for (let k = 0; k < want.grad.length; k++) assert.ok(Math.abs(want.grad[k] - got.grad[k]) <= 1e-9 * (1 + Math.abs(want.grad[k])), `grad ${k}`);
    for (let k = 0; k < want.output.length; k++) assert.ok(Math.abs(want.output[k] - got.output[k]) <= 1e-9 * (1 + Math.abs(want.output[k])), `output ${k}`);
  }
});

test('falsifyByAttack: the top eps attacked as the plain attack does, then bisected down; every counterexample replays in its ball', async () => {
  const eps = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1];
  const E = eps.length;
  const candidates = [...Array(40).keys()];
  const f = await falsifyByAttack({ net, inputs: data.inputs, labels: data.labels, count: 60, eps, candidates }, { threads: 1 });
  // the first round is the plain attack at the top eps
  const top = attackPairs(net, data.inputs, data.labels, candidates.map((i) => ({ input: i, eps: eps[E - 1] })));
  // brute force: the plain attack at every eps
  const all = attackPairs(net, data.inputs, data.labels, candidates.flatMap((i) => eps.map((e) => ({ input: i, eps: e }))));
  let below = 0, near = 0;
  for (const i of candidates) {
    assert.is(f.hi[i] < E, top[i] !== null, `input ${i}: falsified iff the top attack succeeds`);
    if (f.hi[i] === E) continue;
    const c = f.cex[i]!;
    assert.ok(c, `input ${i} has its counterexample`);
    assert.ok(Math.min(...marginsOf(forward(net, c, 1), data.labels[i])) < 0);
    for (let d = 0; d < n; d++) assert.ok(Math.abs(c[d] - x0(i)[d]) <= eps[f.hi[i]] && c[d] >= 0 && c[d] <= 1, `input ${i} value ${d} inside the ball`);
    if (f.hi[i] < E - 1) below++;
    const first = eps.findIndex((_, e) => all[i * E + e] !== null);
    if (Math.abs(f.hi[i] - first) <= 1) near++;
  }
  assert.ok(below > 20, `${below} inputs bisected below the top`);
  // the warm-started search ends where the plain attack first succeeds, or one eps from it, on most inputs
  assert.ok(near >= 0.9 * candidates.filter((i) => f.hi[i] < E).length, `${near} inputs within one eps of the plain attack's first success`);
});

test('falsifyByAttack: below a counterexample the attack starts from it shrunk (with no steps at all, the search still goes down)', async () => {
  const eps = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1];
  const E = eps.length;
  const problem = { net, inputs: data.inputs, labels: data.labels, count: 60, eps, candidates: [...Array(40).keys()] };
  const warm = await falsifyByAttack(problem, { threads: 1, downSteps: 0 });
  // the same probes with nothing to start from below the top: 0 steps, the input and a uniform point
  const cold = await falsifyByAttack(problem, { threads: 1, steps: 0, hi: Int32Array.from(warm.hi, (h) => (h < E ? E - 1 : E)) });
  const down = problem.candidates.filter((i) => warm.hi[i] < E - 1).length;
  assert.ok(down > 10, `${down} inputs went below the top with 0 steps per probe there`);
  const coldDown = problem.candidates.filter((i) => cold.hi[i] < E - 1).length;
  assert.ok(coldDown < down / 2, `without the shrunk start ${coldDown} inputs go below the top`);
});

test('PairTable: proofs go down, counterexamples go up, conflicts are counted and lose', () => {
  const t = new PairTable(3, [0.1, 0.2, 0.3, 0.4]);
  t.verified(0, 1, 'bab', 2);
  assert.equal(Array.from(t.status.subarray(0, 4)), [VERIFIED, VERIFIED, UNDECIDED, UNDECIDED]);
  assert.equal(t.by.slice(0, 4), ['bab', 'bab', '', '']);
  assert.is(t.timeS[1], 2);
  assert.is(t.timeS[0], 0);
  const x = new Float64Array([1]);
  t.falsified(0, 3, x, 'attack');
  t.falsified(0, 2, x, 'milp');
  assert.equal(Array.from(t.status.subarray(0, 4)), [VERIFIED, VERIFIED, FALSIFIED, FALSIFIED]);
  assert.is(t.firstFalsified(0), 2);
  assert.is(t.verifiedPrefix(0), 2);
  assert.is(t.conflicts, 0);
  t.falsified(0, 1, x, 'attack');
  assert.is(t.conflicts, 1);
  assert.is(t.status[1], FALSIFIED);
  t.open(1, 2, 'timeout', 5);
  assert.is(t.reason[4 + 2], 'timeout');
  t.verified(1, 3, 'milp');
  assert.is(t.reason[4 + 2], undefined);
  t.misclassified(2, x);
  assert.equal(Array.from(t.status.subarray(8, 12)), [MISCLASSIFIED, MISCLASSIFIED, MISCLASSIFIED, MISCLASSIFIED]);
  t.falsified(2, 0, x, 'attack');
  assert.is(t.by[8], 'misclassified');
});

test.run();
