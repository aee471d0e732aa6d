// Minimal adversarial examples against a bisection over ε of the MILP verifier, replay of every
// example and counterexample, limits (time, per-value cap, target), VNN-LIB style unsafe sets,
// the worker pool, and disposal of every HiGHS model.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { milpFindInSet, milpVerify, minimalAdversarial, MilpPool } from '../src/milp/index.js';
import { loadHighs } from '../src/milp/highs.js';
import { forward } from '../src/forward.js';
import { predictedClass } from '../src/spec/margins.js';
import { homeworkNet, randomPoolNet } from './milp-brute.js';
import { randomNetwork, seededRng } from './helpers/random-network.js';

// seed 11: three classes meet near x (seed 5: one class wins all of [0,1]²)
const net = randomPoolNet(11, 2, 3);
const x = new Float64Array([0.4, 0.6]);
const label = predictedClass(forward(net, x, 1));
const ball = (eps: number) => ({ lower: x.map((v) => Math.max(0, v - eps)), upper: x.map((v) => Math.min(1, v + eps)) });
const linf = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

test('minimal L∞ distance equals a bisection over ε of the MILP verifier', async () => {
  const adv = await minimalAdversarial(net, x, label, { norm: 'linf', delta: 1e-7, timeLimitS: 30 });
  assert.is(adv.status, 'optimal');
  const d = adv.distance!;
  assert.ok(d > 0 && d < 1, `distance ${d}`);
  // the example replays: another class, inside [0,1], at the reported distance
  const y = forward(net, adv.adversarial!, 1);
  assert.is.not(predictedClass(y), label);
  assert.is(adv.newClass, predictedClass(y));
  assert.ok(adv.adversarial!.every((v) => v >= 0 && v <= 1));
  assert.ok(Math.abs(linf(adv.adversarial!, x) - d) < 1e-12);
  assert.ok(adv.lowerBound <= d + 1e-9);
  let lo = 0, hi = 1;
  for (let k = 0; k < 11; k++) {
    const mid = (lo + hi) / 2;
    const v = await milpVerify(net, ball(mid), label, { timeLimitS: 30 });
    assert.ok(v.status === 'verified' || v.status === 'falsified', `eps ${mid}: ${v.status}`);
    if (v.status === 'verified') lo = mid;
    else {
      hi = mid;
      const cy = forward(net, v.counterexample!, 1);
      assert.is.not(predictedClass(cy), label, 'counterexample replays');
      assert.ok(linf(v.counterexample!, x) <= mid + 1e-12, 'counterexample inside the ball');
    }
  }
  assert.ok(d >= lo - 1e-6 && d <= hi + 1e-6, `adversarial ${d} outside bisection [${lo}, ${hi}]`);
});

test('bisection and one distance-minimising MILP bracket the same minimal L∞ distance', async () => {
  let compared = 0;
  for (let seed = 11; seed < 40 && compared < 3; seed++) {
    const n = 4;
    const net4 = randomPoolNet(seed, n, 3);
    const x4 = Float64Array.from({ length: n }, (_, i) => 0.3 + 0.1 * i);
    const c = predictedClass(forward(net4, x4, 1));
    const bis = await minimalAdversarial(net4, x4, c, { norm: 'linf', timeLimitS: 30, tolerance: 1e-4 });
    const one = await minimalAdversarial(net4, x4, c, { norm: 'linf', timeLimitS: 30, tolerance: 0 });
    if (one.status === 'infeasible') { assert.is(bis.status, 'infeasible', `seed ${seed}`); continue; }
    assert.is(one.status, 'optimal', `seed ${seed}`);
    assert.ok(bis.status === 'optimal' || bis.status === 'bracketed', `seed ${seed}: ${bis.status}`);
    // both brackets are proven: each lower bound lies below the other's example
    assert.ok(bis.lowerBound <= one.distance! + 1e-9 && one.lowerBound <= bis.distance! + 1e-9, `seed ${seed}: [${bis.lowerBound}, ${bis.distance}] vs [${one.lowerBound}, ${one.distance}]`);
    assert.ok(bis.distance! - bis.lowerBound <= 1e-4 + 1e-12 && Math.abs(bis.distance! - one.distance!) <= 1e-4 + 1e-9, `seed ${seed}: ${bis.distance} vs ${one.distance}`);
    assert.is.not(predictedClass(forward(net4, bis.adversarial!, 1)), c, 'the example replays');
    assert.ok(linf(bis.adversarial!, x4) <= bis.distance! + 1e-12);
    compared++;
  }
  assert.ok(compared >= 3, `only ${compared} seeds had an adversarial example`);
});

test('on dense ReLU nets the bisection decides radii by bab (the engine\'s branch and bound), and agrees with one MILP', async () => {
  let compared = 0, byBab = 0;
  for (let seed = 1; seed < 40 && compared < 3; seed++) {
    const netD = randomNetwork(seededRng(seed), { kind: 'dense', depth: 2, width: 8, outputs: 3 });
    const n = netD.inputShape[0];
    const xD = new Float64Array(n).fill(0.5);
    const c = predictedClass(forward(netD, xD, 1));
    const bis = await minimalAdversarial(netD, xD, c, { norm: 'linf', timeLimitS: 30, tolerance: 1e-4 });
    const one = await minimalAdversarial(netD, xD, c, { norm: 'linf', timeLimitS: 30, tolerance: 0 });
    if (one.status === 'infeasible' || bis.status === 'infeasible') { assert.is(bis.status, one.status, `seed ${seed}`); continue; }
    assert.is(one.status, 'optimal', `seed ${seed}`);
    assert.ok(bis.status === 'optimal' || bis.status === 'bracketed', `seed ${seed}: ${bis.status}`);
    assert.ok(bis.lowerBound <= one.distance! + 1e-9 && one.lowerBound <= bis.distance! + 1e-9, `seed ${seed}: [${bis.lowerBound}, ${bis.distance}] vs [${one.lowerBound}, ${one.distance}]`);
    assert.is.not(predictedClass(forward(netD, bis.adversarial!, 1)), c, 'the example replays');
    byBab += bis.solves.filter((s) => s.status.endsWith('(bab)')).length;
    compared++;
  }
  assert.ok(compared >= 3, `only ${compared} nets had an adversarial example`);
  assert.ok(byBab > 0, 'bab decided no radius');
});

test('L1, per-value cap and target', async () => {
  const inf = await minimalAdversarial(net, x, label, { norm: 'linf', timeLimitS: 30 });
  const l1 = await minimalAdversarial(net, x, label, { norm: 'l1', timeLimitS: 30 });
  assert.is(l1.status, 'optimal');
  const d1 = Array.from(l1.adversarial!, (v, i) => Math.abs(v - x[i])).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(d1 - l1.distance!) < 1e-12);
  const infAsL1 = Array.from(inf.adversarial!, (v, i) => Math.abs(v - x[i])).reduce((a, b) => a + b, 0);
  // ‖v‖₁ ≥ ‖v‖∞ bounds the L1 optimum below; the L∞ optimum is an L1 candidate above
  assert.ok(l1.distance! >= inf.distance! - 1e-7 && l1.distance! <= infAsL1 + 1e-7, `l1 ${l1.distance} vs linf ${inf.distance}, ${infAsL1}`);
  assert.is.not(predictedClass(forward(net, l1.adversarial!, 1)), label);
  const capped = await minimalAdversarial(net, x, label, { norm: 'l1', maxChange: inf.distance! * 0.9, timeLimitS: 30 });
  assert.is(capped.status, 'infeasible', 'no example when every value may move less than the L∞ optimum');
  const other = [0, 1, 2].find((j) => j !== label && j !== inf.newClass) ?? [0, 1, 2].find((j) => j !== label)!;
  const tgt = await minimalAdversarial(net, x, label, { norm: 'linf', target: other, timeLimitS: 30 });
  if (tgt.status === 'optimal') {
    assert.is(predictedClass(forward(net, tgt.adversarial!, 1)), other);
    assert.ok(tgt.distance! >= inf.distance! - 1e-7);
  } else assert.is(tgt.status, 'infeasible');
});

test('no example exists: infeasible, as a grid over [0,1]² agrees', async () => {
  const flat = randomPoolNet(5, 2, 3);
  const c = predictedClass(forward(flat, x, 1));
  const r = await minimalAdversarial(flat, x, c, { norm: 'linf', timeLimitS: 30 });
  assert.is(r.status, 'infeasible');
  assert.is(r.lowerBound, 1);
  for (let i = 0; i <= 50; i++) for (let j = 0; j <= 50; j++) assert.is(predictedClass(forward(flat, new Float64Array([i / 50, j / 50]), 1)), c);
});

test('time limit: a timeout is never a wrong answer', async () => {
  const adv = await minimalAdversarial(net, x, label, { norm: 'linf', timeLimitS: 30 });
  const safe = ball(adv.distance! * 0.5), unsafe = ball(adv.distance! * 1.5);
  for (const t of [1e-4, 0.01, 0.05]) {
    const a = await milpVerify(net, safe, label, { timeLimitS: t });
    assert.ok(a.status === 'verified' || a.status === 'timeout' || a.status === 'unknown', `safe box at ${t}s: ${a.status}`);
    const b = await milpVerify(net, unsafe, label, { timeLimitS: t });
    assert.ok(b.status === 'falsified' || b.status === 'timeout' || b.status === 'unknown', `unsafe box at ${t}s: ${b.status}`);
    if (b.status === 'falsified') assert.is.not(predictedClass(forward(net, b.counterexample!, 1)), label);
  }
});

test('unsafe sets: homework x9 − x10 ≤ 0.4 is unreachable, ≤ 0.6 has a replaying witness', async () => {
  const hw = homeworkNet();
  const box = { lower: new Float64Array([0, 0]), upper: new Float64Array([1, 1]) };
  const conj = (b: number) => ({ a: new Float64Array([1, -1]), b: new Float64Array([b]), rows: 1 });
  const no = await milpFindInSet(hw, box, [conj(0.4), conj(0.45)], { timeLimitS: 10 });
  assert.is(no.status, 'infeasible');
  const yes = await milpFindInSet(hw, box, [conj(0.4), conj(0.6)], { timeLimitS: 10 });
  assert.is(yes.status, 'found');
  assert.is(yes.witness!.disjunct, 1);
  const y = forward(hw, yes.witness!.input, 1);
  assert.ok(y[0] - y[1] <= 0.6);
});

test('worker pool gives the same answers and closes', async () => {
  const adv = await minimalAdversarial(net, x, label, { norm: 'linf', timeLimitS: 30 });
  const pool = new MilpPool(2);
  try {
    const [a, b] = await Promise.all([
      milpVerify(net, ball(adv.distance! * 0.9), label, { timeLimitS: 30, pool }),
      milpVerify(net, ball(adv.distance! * 1.1), label, { timeLimitS: 30, pool }),
    ]);
    assert.is(a.status, 'verified');
    assert.is(b.status, 'falsified');
    assert.is.not(predictedClass(forward(net, b.counterexample!, 1)), label);
    const viaPool = await minimalAdversarial(net, x, label, { norm: 'linf', timeLimitS: 30, pool });
    assert.ok(Math.abs(viaPool.distance! - adv.distance!) < 1e-7);
  } finally {
    await pool.close();
  }
});

test('every HiGHS model is disposed, also after timeouts', async () => {
  const highs = await loadHighs();
  const made: { disposed: boolean }[] = [];
  const original = highs.createModel.bind(highs);
  (highs as { createModel: typeof highs.createModel }).createModel = ((...args: Parameters<typeof highs.createModel>) => {
    const m = original(...args);
    made.push(m);
    return m;
  }) as typeof highs.createModel;
  try {
    await milpVerify(net, ball(0.3), label, { timeLimitS: 1e-4 });
    await milpVerify(net, ball(0.3), label, { timeLimitS: 30 });
    await minimalAdversarial(net, x, label, { norm: 'l1', timeLimitS: 30 });
  } finally {
    (highs as { createModel: typeof highs.createModel }).createModel = original;
  }
  assert.ok(made.length >= 3, `${made.length} models`);
  assert.ok(made.every((m) => m.disposed), 'a model was left undisposed');
});

test.run();
