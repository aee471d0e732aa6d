// The LP branch-and-bound (src/milp/bab.ts) against HiGHS's MIP and the activation-pattern
// enumeration: exact minima, decision queries, replay of candidates, time limits, the pool,
// and the Lagrangian node bound it relies on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { milpFindInSet, milpMinimizeLinear, milpVerify, minimalAdversarial, MilpPool } from '../src/milp/index.js';
import { solveMilp } from '../src/milp/highs.js';
import { lagrangianBound } from '../src/milp/lp-bound.js';
import { objectiveModel, prepare } from '../src/milp/problem.js';
import { clipInput, replayValue } from '../src/milp/replay-spec.js';
import { crownLayerBounds } from '../src/bounds/index.js';
import { forward } from '../src/forward.js';
import { predictedClass } from '../src/spec/margins.js';
import { homeworkNet, patternMinimum, randomPoolNet, rng } from './milp-brute.js';

const box2 = { lower: new Float64Array([0, 0]), upper: new Float64Array([1, 1]) };

test('homework network: bab gives min x9 − x10 = 0.5 with a proven bound, like the MIP', async () => {
  for (const c of [[1, -1], [-1, 1]]) {
    const cv = Float64Array.from(c);
    const bab = await milpMinimizeLinear(homeworkNet(), box2, cv, { timeLimitS: 10, solver: 'bab' });
    const mip = await milpMinimizeLinear(homeworkNet(), box2, cv, { timeLimitS: 10, solver: 'mip' });
    assert.is(bab.status, 'optimal');
    assert.ok(Math.abs(bab.value! - mip.value!) < 1e-9, `bab ${bab.value} vs mip ${mip.value}`);
    assert.ok(bab.bound <= bab.value! && bab.value! - bab.bound < 1e-7, `bound ${bab.bound} value ${bab.value}`);
    const y = bab.output!;
    assert.ok(Math.abs(cv[0] * y[0] + cv[1] * y[1] - bab.value!) < 1e-12, 'value is the replayed one');
  }
  const r = await milpMinimizeLinear(homeworkNet(), box2, new Float64Array([1, -1]), { timeLimitS: 10, solver: 'bab' });
  assert.ok(Math.abs(r.value! - 0.5) < 1e-9, `value ${r.value}`);
});

test('random ReLU + max-pool nets: bab minimum = enumeration = MIP, with and without replay', async () => {
  const r = rng(19);
  for (let seed = 30; seed < 38; seed++) {
    const n = 2 + (seed % 3);
    const net = randomPoolNet(seed, n);
    const centre = Array.from({ length: n }, () => r() * 2 - 1);
    const lower = Float64Array.from(centre, (v) => v - 0.5 - r());
    const upper = Float64Array.from(centre, (v) => v + 0.5 + r());
    const c = Float64Array.from([r() - 0.5, r() - 0.5]);
    const box = { lower, upper };
    const layerBounds = seed % 2 ? crownLayerBounds(net, { lower, upper, count: 1 }) : undefined;
    const exact = await patternMinimum(net, lower, upper, c);
    const tol = 1e-6 * (1 + Math.abs(exact));
    const bab = await milpMinimizeLinear(net, box, c, { timeLimitS: 20, layerBounds, solver: 'bab' });
    const mip = await milpMinimizeLinear(net, box, c, { timeLimitS: 20, layerBounds, solver: 'mip' });
    assert.is(bab.status, 'optimal', `seed ${seed}`);
    assert.ok(Math.abs(bab.value! - exact) < tol, `seed ${seed}: bab ${bab.value} vs enumeration ${exact}`);
    assert.ok(Math.abs(bab.value! - mip.value!) < tol, `seed ${seed}: bab ${bab.value} vs mip ${mip.value}`);
    assert.ok(bab.bound <= exact + 1e-9, `seed ${seed}: bound ${bab.bound} above the minimum ${exact}`);
    // the plain branch-and-bound (integral LP points only, no network) reaches the same minimum
    const p = prepare(net, box, layerBounds);
    const plain = await solveMilp(objectiveModel(p, c), { timeLimitS: 20, method: 'bab' });
    assert.is(plain.status, 'optimal', `seed ${seed} plain`);
    assert.ok(Math.abs(plain.objective! - exact) < tol && plain.bound <= exact + 1e-9, `seed ${seed}: plain ${plain.objective} / ${plain.bound} vs ${exact}`);
    // the root LP by the interior-point method (as on large encodings) changes nothing
    const ipm = await solveMilp(objectiveModel(p, c), { timeLimitS: 20, method: 'bab', rootIpmAbove: 0 });
    assert.is(ipm.status, 'optimal', `seed ${seed} ipm`);
    assert.ok(Math.abs(ipm.objective! - exact) < tol && ipm.bound <= exact + 1e-9, `seed ${seed}: ipm root ${ipm.objective} / ${ipm.bound} vs ${exact}`);
  }
});

// seed 11: three classes meet near x
const net = randomPoolNet(11, 2, 3);
const x = new Float64Array([0.4, 0.6]);
const label = predictedClass(forward(net, x, 1));
const ball = (eps: number) => ({ lower: x.map((v) => Math.max(0, v - eps)), upper: x.map((v) => Math.min(1, v + eps)) });

test('decision queries: bab and MIP agree on verify, find-in-set and the minimal distance', async () => {
  const advM = await minimalAdversarial(net, x, label, { norm: 'linf', delta: 1e-6, timeLimitS: 30, solver: 'mip', bracket: false });
  const advB = await minimalAdversarial(net, x, label, { norm: 'linf', delta: 1e-6, timeLimitS: 30, solver: 'bab', bracket: false });
  assert.is(advB.status, 'optimal');
  assert.ok(Math.abs(advB.distance! - advM.distance!) < 1e-6, `bab ${advB.distance} vs mip ${advM.distance}`);
  assert.is.not(predictedClass(forward(net, advB.adversarial!, 1)), label);
  const d = advB.distance!;
  for (const f of [0.5, 0.9, 0.99, 1.01, 1.1, 2]) {
    const b = await milpVerify(net, ball(d * f), label, { timeLimitS: 30, solver: 'bab' });
    const m = await milpVerify(net, ball(d * f), label, { timeLimitS: 30, solver: 'mip' });
    assert.is(b.status, m.status, `eps ${d * f}`);
    assert.is(b.status, f < 1 ? 'verified' : 'falsified', `eps ${d * f}`);
    if (b.status === 'falsified') assert.is.not(predictedClass(forward(net, b.counterexample!, 1)), label, 'counterexample replays');
  }
  const hw = homeworkNet();
  const conj = (v: number) => ({ a: new Float64Array([1, -1]), b: new Float64Array([v]), rows: 1 });
  for (const v of [0.4, 0.499, 0.501, 0.6]) {
    const b = await milpFindInSet(hw, box2, [conj(v)], { timeLimitS: 10, solver: 'bab' });
    assert.is(b.status, v < 0.5 ? 'infeasible' : 'found', `x9 − x10 ≤ ${v}`);
    if (b.witness) { const y = forward(hw, b.witness.input, 1); assert.ok(y[0] - y[1] <= v); }
  }
});

test('candidates that do not replay are never reported', async () => {
  const p = prepare(net, ball(0.3));
  const c = Float64Array.from([1, -1, 0]);
  const data = objectiveModel(p, c);
  // a replay that accepts no point (a decision margin no output reaches): LP points exist, none counts
  const never = { kind: 'distance' as const, net: p.net, box: p.box, x0: x, norm: 'linf' as const, label, delta: 1e9 };
  const r = await solveMilp(data, { timeLimitS: 20, method: 'bab', replay: never });
  assert.is(r.x, undefined);
  assert.is(r.objective, undefined);
  assert.is.not(r.status, 'optimal');
  const exact = await patternMinimum(p.net, p.box.lower, p.box.upper, c);
  assert.ok(r.bound <= exact + 1e-9, `bound ${r.bound} vs ${exact}`);
  // with an honest replay the reported value is the network's value at the reported input
  const honest = { kind: 'linear' as const, net: p.net, box: p.box, c };
  const h = await solveMilp(data, { timeLimitS: 20, method: 'bab', replay: honest });
  assert.is(h.status, 'optimal');
  assert.is(h.objective, replayValue(honest, clipInput(p.box, h.x!)));
});

test('time limits: a bab timeout is never a wrong answer', async () => {
  const adv = await minimalAdversarial(net, x, label, { norm: 'linf', timeLimitS: 30, solver: 'bab' });
  for (const t of [1e-4, 0.005, 0.02]) {
    const a = await milpVerify(net, ball(adv.distance! * 0.5), label, { timeLimitS: t, solver: 'bab' });
    assert.ok(a.status === 'verified' || a.status === 'timeout', `safe box at ${t}s: ${a.status}`);
    const b = await milpVerify(net, ball(adv.distance! * 1.5), label, { timeLimitS: t, solver: 'bab' });
    assert.ok(b.status === 'falsified' || b.status === 'timeout', `unsafe box at ${t}s: ${b.status}`);
    if (b.status === 'falsified') assert.is.not(predictedClass(forward(net, b.counterexample!, 1)), label);
  }
  const p = prepare(net, ball(0.3));
  const r = await solveMilp(objectiveModel(p, Float64Array.from([1, -1, 0])), { timeLimitS: 1e-6, method: 'bab' });
  assert.is(r.status, 'timeout');
});

test('worker pool runs bab jobs with the same answers', async () => {
  const adv = await minimalAdversarial(net, x, label, { norm: 'linf', timeLimitS: 30, solver: 'bab' });
  const pool = new MilpPool(2);
  try {
    const [a, b] = await Promise.all([
      milpVerify(net, ball(adv.distance! * 0.9), label, { timeLimitS: 30, pool, solver: 'bab' }),
      milpVerify(net, ball(adv.distance! * 1.1), label, { timeLimitS: 30, pool, solver: 'bab' }),
    ]);
    assert.is(a.status, 'verified');
    assert.is(b.status, 'falsified');
    assert.is.not(predictedClass(forward(net, b.counterexample!, 1)), label);
    const viaPool = await minimalAdversarial(net, x, label, { norm: 'linf', timeLimitS: 30, pool, solver: 'bab' });
    assert.ok(Math.abs(viaPool.distance! - adv.distance!) < 1e-7);
  } finally {
    await pool.close();
  }
});

test('Lagrangian bound: never above the LP minimum for any multipliers, tight at the optimum', async () => {
  const r = rng(5);
  const p = prepare(net, ball(0.25));
  const c = Float64Array.from([0, 1, -1]);
  const data = objectiveModel(p, c);
  data.integrality.fill(0); // the LP relaxation
  const lp = await solveMilp(data, { timeLimitS: 10 });
  assert.is(lp.status, 'optimal');
  for (let k = 0; k < 200; k++) {
    const y = Float64Array.from({ length: data.numRows }, () => (r() - 0.5) * 10 * r());
    const b = lagrangianBound(data, y, data.colLower, data.colUpper);
    assert.ok(b <= lp.objective! + 1e-12, `multipliers ${k}: ${b} above the LP minimum ${lp.objective}`);
  }
  // the branch-and-bound's root node uses HiGHS's duals: its bound is the LP value, up to tolerances
  const root = await solveMilp(data, { timeLimitS: 10, method: 'bab' });
  assert.ok(Math.abs(root.bound - lp.objective!) < 1e-7, `root bound ${root.bound} vs LP ${lp.objective}`);
});

test.run();
